// Putting the container's setup process into its cgroups as it is born,
// instead of writing its pid into cgroup.procs afterwards. That write takes a
// kernel-wide lock which waits for an RCU grace period: 10-13 ms on these
// hosts, half of a whole container start (docs/benchmarks.md). On cgroup v2
// the child is cloned straight into its cgroup (clone3 CLONE_INTO_CGROUP); on
// v1 the single-threaded child writes "0" to each hierarchy's `tasks` file,
// which moves only itself and skips the slow path. The init inherits both.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/cgroups/manager.h"

namespace krill::runtime {

struct CgroupBirth {
  UniqueFd v2_directory;              // the unified-hierarchy cgroup, or invalid
  std::vector<std::string> v1_tasks;  // "<cgroup>/tasks" of every v1 hierarchy
};

// Opens what the child needs; the cgroups must exist (Manager::create()).
Result<CgroupBirth> prepare_cgroup_birth(const cgroups::Manager& cgroup);

// fork(), or clone3(CLONE_INTO_CGROUP) when there is a v2 cgroup. Returns 0 in
// the child, the child's pid in the parent.
Result<pid_t> fork_into_cgroup(const CgroupBirth& birth);

// In the child: joins the v1 hierarchies (open/write/close only).
Result<void> join_v1_cgroups(const CgroupBirth& birth);

}  // namespace krill::runtime
