// config-linux.md "IntelRdt": placing the container in a resctrl group (CTRL_MON group named by
// closID or the container id, its schemata, a MON group for enableMonitoring), and removing
// what the runtime made when the container is deleted. The resctrl mount is looked up in the
// runtime's mount namespace; tests pass a directory of their own as the root.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::runtime {

// What apply_intel_rdt made, kept in the container's record for delete.
struct RdtPlacement {
  std::string group;           // the CTRL_MON group directory the init was added to
  bool created_group = false;  // made by us for a container without closID: removed on delete
  std::string monitor_group;   // mon_groups/<id> (enableMonitoring), removed on delete; or ""
};

// The mount point of the first resctrl file system in `mountinfo_path`, or an error
// "linux.intelRdt: intelRdt requested but resctrl is not mounted" when there is none.
Result<std::string> find_resctrl_root(const std::string& mountinfo_path = "/proc/self/mountinfo");

// Applies `rdt` for container `id` with init `pid` below `root`, following the spec's rules:
// - the group is `root`/closID ("/" = the root's default group), or `root`/<id> without closID
//   (made; an existing one is used and then kept);
// - with l3CacheSchema/memBwSchema/schemata, a missing closID group is made and the lines are
//   written to its schemata file in that order (L3, MB, then schemata); an existing closID group
//   must already hold the L3/MB values (an error names the difference);
// - with closID and no schema the group must exist;
// - the pid goes to the group's tasks file, and with enableMonitoring to a new
//   mon_groups/<id>/tasks (failing to make it is an error).
// On failure everything made so far is removed again.
Result<RdtPlacement> apply_intel_rdt(const std::string& root, const oci::IntelRdt& rdt,
                                     const std::string& id, pid_t pid);

// Removes the MON group and, when created_group, the group (rmdir: the kernel moves their tasks
// back to the parent group). Missing directories are fine.
Result<void> remove_intel_rdt(const RdtPlacement& placement);

}  // namespace krill::runtime
