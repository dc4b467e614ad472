// Whether the kernel's OOM killer struck in a container's memory cgroup (best effort).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace krill::monitor {

class OomWatch {
 public:
  // Opens the memory cgroup counter of `pid` now, while the cgroup exists: cgroup v2
  // memory.events, or v1 memory.oom_control. An invalid watch when neither is found.
  static OomWatch open_for(pid_t pid);
  // True when the counter says at least one process was OOM-killed.
  bool oom_killed() const;

 private:
  UniqueFd counter_fd_;
};

// The oom_kill count in memory.events / memory.oom_control text ("oom_kill N" line); 0 if absent.
long parse_oom_kill_count(std::string_view text);
// The cgroup path (relative to the hierarchy) of the v2 line ("0::/p") or of the v1 memory
// controller line ("4:memory:/p") in /proc/<pid>/cgroup text; `v2` tells which was found.
std::string memory_cgroup_path(std::string_view proc_cgroup, bool& v2);

}  // namespace krill::monitor
