// A container's cgroups across every mounted hierarchy (v1, v2 or hybrid).
//
// Paths. cgroups_path from config.json:
//   - empty: "/krill-<container id>" (flat: no parent left behind);
//   - absolute ("/a/b"): relative to each hierarchy's mount point
//     (<mountpoint>/a/b), as runc's fs driver does;
//   - relative ("a/b"): relative to the cgroup of the creating process in each
//     hierarchy (its /proc/self/cgroup), as runc's fs driver does. The runtime
//     records that file's contents at create (ManagerOptions::caller_cgroups), so
//     later commands find the same directories from any cgroup.
//   ".." components and systemd "slice:prefix:name" paths are refused.
//
// Controllers. Each v1 controller is used where it is mounted; a controller not
// mounted in v1 but listed in the cgroup2 mount's cgroup.controllers is used in
// the unified directory (on a hybrid host e.g. hugetlb). Device rules go to the
// v1 devices controller when mounted, else to an eBPF program on the unified
// directory; the freezer likewise (v1 freezer.state, else cgroup.freeze).
//
// Rootless (ManagerOptions::rootless): a hierarchy whose directory cannot be
// created or joined because of EACCES/EPERM/EROFS is skipped instead of failing,
// like runc rootless; apply() then fails only if it needs a skipped hierarchy,
// naming the setting. Without resources a rootless container simply runs
// without its own cgroups. Device rules are a best effort rootless (runc's
// rule): the devices cgroup needs CAP_SYS_ADMIN (v1) or a BPF program (v2),
// which an unprivileged user cannot have, and the user namespace already keeps
// the container from making device nodes; so they neither need the devices
// hierarchy nor fail when it refuses them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/cgroups/controller.h"
#include "runtime/cgroups/hierarchy.h"
#include "runtime/cgroups/oom_events.h"
#include "runtime/cgroups/stats.h"

namespace krill::cgroups {

struct ManagerOptions {
  bool rootless = false;
  std::string mountinfo_path = "/proc/self/mountinfo";
  // For relative cgroups paths: the calling process's cgroups. Tests point it
  // at a file of their own.
  std::string proc_self_cgroup_path = "/proc/self/cgroup";
  // The contents of the creating process's /proc/self/cgroup, recorded at create, so that
  // later commands resolve a relative path to the same directories wherever they run.
  // Empty: read proc_self_cgroup_path.
  std::string caller_cgroups;
};

class Manager {
 public:
  static Result<Manager> open(const std::string& cgroups_path, const std::string& container_id,
                              const ManagerOptions& options);

  Manager(Manager&&) noexcept;
  Manager& operator=(Manager&&) noexcept;
  ~Manager();

  Layout layout() const;

  // mkdir -p in every hierarchy: v1 every mounted hierarchy including named
  // ones (name=systemd), plus the unified one on v2/hybrid hosts. On v1 the
  // cpuset.cpus/mems of new directories are copied from their parents; on v2
  // the controllers we use are enabled in the ancestors' cgroup.subtree_control.
  Result<void> create();
  // Writes pid to cgroup.procs in every directory.
  Result<void> add_process(pid_t pid);
  // Writes the limits; also used live by `update`. Settings whose controller is
  // missing, or that the cgroup version cannot express, fail naming the setting.
  Result<void> apply(const oci::Resources& resources);
  // v1: freezer.state FROZEN/THAWED (waits until FROZEN); v2: cgroup.freeze.
  Result<void> freeze();
  Result<void> thaw();
  Result<bool> frozen();
  // Every process in the cgroups, including sub-cgroups; sorted, no duplicates.
  Result<std::vector<pid_t>> pids();
  Result<Stats> stats();
  // kill(2) every process in the cgroups; processes already gone are ignored.
  Result<void> signal_all(int sig);
  // Freezes, SIGKILLs what is left, thaws, waits until empty, then removes the
  // container's directories (sub-cgroups first) and the parents this object
  // created. Retries EBUSY briefly. Idempotent.
  Result<void> destroy();
  // destroy() for a container whose members are known to be gone: its init was pid 1 of its
  // own pid namespace and has exited, so the kernel killed every other process in it. Each
  // directory is removed straight away, without destroy()'s freeze, kill, thaw and scans
  // (the freezer write alone patches kernel text with an IPI to every CPU). Whatever is still
  // busy (a sub-cgroup, a process that joined from outside the namespace) falls back to
  // destroy().
  Result<void> destroy_emptied();
  // The container's directory in each hierarchy used, for diagnostics.
  std::vector<std::string> paths() const;
  // OOM notifications of the container's memory cgroup (v1 memory hierarchy, else unified).
  Result<OomWatch> watch_oom() const;

 private:
  struct Place;
  struct Active;
  Manager();

  // Whether a failure of `section` is ignored (rootless device rules).
  bool best_effort(Section section) const;
  Result<void> freeze_v1(const std::string& dir);
  Result<void> freeze_v2(const std::string& dir, bool freeze);
  const Place* freezer_place() const;
  Result<void> wait_until_empty();

  Layout layout_ = Layout::kV1;
  ManagerOptions options_;
  std::vector<Place> places_;
  std::vector<Active> active_;
};

}  // namespace krill::cgroups
