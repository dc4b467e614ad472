// Staying attached to a container process: signals the runtime receives go
// to the process, a terminal is proxied, and the exit status comes back.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/error.h"

namespace krill::runtime {

// Signals an attached runtime passes on to the container (as runc does), plus SIGCHLD.
sigset_t forwarded_signals();

// Blocks a set of signals for its lifetime (so a signalfd can read them).
class BlockedSignals {
 public:
  explicit BlockedSignals(const sigset_t& set) { ::sigprocmask(SIG_BLOCK, &set, &previous_); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  ~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

 private:
  sigset_t previous_;
};

// Waits for `child` (a child of the caller), forwarding the signals read from
// `signal_fd` and proxying `console` (a pty master, or -1) with stdin/stdout.
// Returns the exit status, 128+N when killed by signal N.
Result<int> supervise(pid_t child, int signal_fd, int console);

}  // namespace krill::runtime
