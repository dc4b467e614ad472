// Starting the runtime and the exit command from krill-monitor, and reaping children through a
// signalfd (the monitor is a child subreaper, so orphans of the container end up here too).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::monitor {

// fork + exec of argv with the given fds as stdin/stdout/stderr (-1: /dev/null), every other
// fd closed and the signal mask and dispositions reset. argv[0] is looked up in PATH when it
// has no slash. With `new_session` the child calls setsid().
Result<pid_t> spawn_process(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd,
                            int stderr_fd, bool new_session = false);

// The wait status as the container's exit code: WEXITSTATUS, or 128+signal.
int exit_code_from_status(int status);

// Owns the signalfd that delivers SIGCHLD (and the other signals the monitor blocks) and the
// statuses of reaped children not yet asked for.
class ChildReaper {
 public:
  // Blocks SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and reads them through
  // a signalfd; ignores SIGPIPE.
  static Result<ChildReaper> open();
  int fd() const { return signal_fd_.get(); }
  // Reads the pending signals and reaps every exited child. Returns the signals other than
  // SIGCHLD that arrived (for logging).
  std::vector<int> handle_signals();
  // The wait status of `pid` if it was reaped (and forgets it).
  std::optional<int> take_status(pid_t pid);
  // Waits up to timeout_ms (-1: forever) for `pid` to exit; nullopt on timeout.
  std::optional<int> wait_for(pid_t pid, int timeout_ms);
  // Forgets the statuses nobody asked for (orphans reparented to the subreaper).
  void forget_statuses() { statuses_.clear(); }

 private:
  ChildReaper() = default;
  void reap_all();
  UniqueFd signal_fd_;
  std::map<pid_t, int> statuses_;
};

}  // namespace krill::monitor
