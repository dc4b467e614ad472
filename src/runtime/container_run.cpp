// `run`: create + start, then stay attached: forward signals, proxy the
// terminal, and return the container's exit status.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "runtime/container_created.h"
#include "runtime/supervise.h"
#include "runtime/runtime.h"

namespace krill::runtime {

Result<int> Runtime::run(const RunOptions& options) {
  if (options.detach) {
    KRILL_CHECK(create(options.create));
    KRILL_CHECK(start(options.create.id));
    return 0;
  }
  const sigset_t signals = forwarded_signals();
  BlockedSignals blocked(signals);
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) return fail_errno("create signalfd");
  UniqueFd signal_fd_owner(signal_fd);

  auto created = KRILL_TRY(create_container(options.create, /*attached=*/true));
  const std::string& id = options.create.id;
  if (auto started = start(id); !started) {
    (void)remove(id, /*force=*/true);
    return std::unexpected(std::move(started.error()));
  }
  int console = created.console_master.get();
  auto status = supervise(created.record.init_pid, signal_fd, console);
  if (!options.keep) KRILL_CHECK(remove(id, /*force=*/true));
  return status;
}

}  // namespace krill::runtime
