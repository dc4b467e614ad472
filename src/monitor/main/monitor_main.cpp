// krill-monitor <run_dir>/monitor.json — the per-container monitor (krill's conmon). Started
// detached by the engine with fd 3 as its status pipe; see monitor/monitor_protocol.h.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "monitor/container_monitor.h"

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {
    static const char kUsage[] = "usage: krill-monitor <run_dir>/monitor.json\n";
    (void)!::write(2, kUsage, sizeof(kUsage) - 1);
    return 2;
  }
  // fd 3 is the status pipe when the engine passed one; keep it from every child.
  int status_fd = -1;
  if (::fcntl(3, F_SETFD, FD_CLOEXEC) == 0) status_fd = 3;
  return krill::monitor::run_container_monitor(argv[1], status_fd);
}
