// The processes descending from one: what a container without a cgroup of its own (rootless,
// none could be made) consists of, as far as its processes stayed in the tree.
#pragma once

#include <sys/types.h>

#include <vector>

namespace krill {

// `root` and its descendants, parents before children, from each thread's
// /proc/<pid>/task/<tid>/children. Processes that end meanwhile are left out; empty when `root`
// does not exist. A process re-parented away (its parent died) is no longer found.
std::vector<pid_t> process_tree(pid_t root);

}  // namespace krill
