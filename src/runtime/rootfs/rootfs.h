// Building the container's root filesystem inside its new mount namespace, from the
// container's init process between clone() and execve(): mounts, /dev, pivot_root,
// masked and read-only paths. Every system call goes through MountOps.
#pragma once

#include <map>
#include <string>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/rootfs/mount_ops.h"
#include "runtime/rootfs/mount_options.h"
#include "runtime/rootfs/path_in_root.h"

namespace krill::rootfs {

struct RootfsConfig {
  const oci::Spec* spec = nullptr;
  std::string rootfs;              // absolute host path of the root filesystem
  bool in_user_namespace = false;  // devices must be bind-mounted from the host, not mknod'ed
  bool new_cgroup_namespace = false;
  bool no_pivot = false;
  int console_fd = -1;  // pty slave to bind-mount on /dev/console when process.terminal
  // Idmapped mounts the runtime prepared in its own namespaces (in a user namespace
  // mount_setattr(MOUNT_ATTR_IDMAP) on a host filesystem is refused; in a new pid namespace
  // the mapping's /proc/<pid> is not reachable): spec mount index -> detached tree fd, attached
  // with move_mount. Others are made here.
  std::map<size_t, int> idmapped_trees;
};

// Whether a spec mount asks for an idmapping (idmap/ridmap, or mappings of its own).
bool is_idmapped_mount(const oci::Mount& mount);

// The detached (OPEN_TREE_CLONE) tree of mount.source with the mount's mappings, or the
// container's when it has none and runs in a user namespace, applied with
// mount_setattr(MOUNT_ATTR_IDMAP) and the mount's ro/nosuid/nodev/noexec. `destination` names
// the mount in errors.
Result<UniqueFd> make_idmapped_tree(MountOps& ops, const oci::Mount& mount,
                                    const MountFlags& options, const oci::Linux* linux_config,
                                    bool in_user_namespace, const std::string& destination);

// Before pivot_root, in the container's mount namespace: makes / rslave so nothing
// propagates to the host, bind-mounts the rootfs onto itself, performs every spec mount in
// order (destinations resolved inside the rootfs, mounted through /proc/self/fd/N), then
// sets up /dev (default and configured devices, ptmx, fd/stdio links, console).
Result<void> prepare_rootfs(const RootfsConfig& config, MountOps& ops);

// Makes the rootfs the root: pivot_root(".", ".") and a lazy unmount of the old root, or
// MS_MOVE + chroot when no_pivot; then chdir("/"). For rootfsPropagation slave/rslave the
// rootfs first gets a master even when the host's mounts are private: a peer of it mounted
// beneath it, below the container's root.
Result<void> enter_rootfs(const RootfsConfig& config, MountOps& ops);

// After entering: readonlyPaths, maskedPaths, a read-only /dev when its mount asked for it,
// root.readonly, and the final rootfsPropagation of /; after a recursive one the mounts'
// own propagation options are applied again, so that they win.
Result<void> finalize_rootfs(const RootfsConfig& config, MountOps& ops);

}  // namespace krill::rootfs
