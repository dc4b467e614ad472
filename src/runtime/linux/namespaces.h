// Which namespaces a container gets, and the syscalls that create or join them.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace krill::linux_ns {

// CLONE_NEW* flag for a namespace type.
int clone_flag(oci::NamespaceType type);
// The entry name under /proc/<pid>/ns/ ("pid", "net", "mnt", ...).
const char* proc_ns_name(oci::NamespaceType type);

// A namespace to join: its type and an open fd on the path, opened before any
// setns so that paths resolve in the runtime's own mount namespace.
struct NamespaceToJoin {
  oci::NamespaceType type;
  std::string path;
  UniqueFd fd;
};

// What the container's setup process does with namespaces, in order:
// join the user namespace or create one, join the others, unshare the new
// ones, then fork when a pid or time namespace only applies to children.
struct NamespacePlan {
  bool new_user = false;
  bool join_user = false;
  bool new_cgroup = false;      // unshared by init after it was put into its cgroup
  bool new_time = false;
  int unshare_flags = 0;        // new namespaces other than user, cgroup
  std::vector<NamespaceToJoin> joins;  // user first when present

  bool needs_fork() const;      // pid or time namespace entered through a fork
  bool joins_type(oci::NamespaceType type) const;
};

// Decides the plan from the config and opens the namespaces to join.
Result<NamespacePlan> plan_namespaces(const oci::Linux& config);

// setns() into every namespace of the plan, user namespace first.
Result<void> join_namespaces(NamespacePlan& plan, bool user_only);

// "0 1000 1\n..." as written to /proc/<pid>/uid_map.
std::string format_id_map(const std::vector<oci::IdMapping>& mappings);

// Writes uid_map/gid_map of `pid`. As root the maps are written directly; an
// unprivileged caller can map only its own ids directly (setgroups is denied
// first), anything else goes through newuidmap/newgidmap from uidmap.
Result<void> write_id_mappings(pid_t pid, const std::vector<oci::IdMapping>& uid_mappings,
                               const std::vector<oci::IdMapping>& gid_mappings);

// /proc/self/timens_offsets for a freshly unshared time namespace.
Result<void> write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets);

}  // namespace krill::linux_ns
