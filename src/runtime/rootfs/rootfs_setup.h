// Internal helpers shared by the rootfs setup steps (not part of the public API).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"
#include "runtime/rootfs/mount_ops.h"
#include "runtime/rootfs/mount_options.h"
#include "runtime/rootfs/rootfs.h"

namespace krill::rootfs::detail {

struct Setup {
  const RootfsConfig& config;
  MountOps& ops;
  int root_fd = -1;
  std::string root_path;  // the real host path of root_fd ("/" after pivot_root)
  std::string prefix;     // shown before container paths in errors: the rootfs, or ""

  // The host-visible name of a container path, for error messages.
  std::string display(std::string_view container_path) const;
};

// "/proc/self/fd/N": the mount target naming what fd refers to.
std::string fd_target(int fd);

// Rewrites an ops error as "<what>: <strerror>" (keeping its errno).
std::unexpected<Error> op_error(const Error& error, std::string_view what);

// The container path an fd opened under the root refers to.
Result<std::string> container_path_of(Setup& setup, int fd);

// The mount point for a directory / a file at `path` inside the root, created if missing.
Result<UniqueFd> ensure_dir(Setup& setup, const std::string& path);
Result<UniqueFd> ensure_file(Setup& setup, const std::string& path);

// A fresh O_PATH fd of `path`: after a mount it names the new mount, not the one below.
Result<UniqueFd> reopen(Setup& setup, const std::string& path);

// MS_BIND|MS_REMOUNT of the mount at `path` with `flags`; keeps the flags a user namespace
// cannot clear when `keep_existing` or when the plain remount is refused.
Result<void> remount_bind(Setup& setup, const std::string& path, unsigned long flags,
                          bool keep_existing);

// Appends context="<mountLabel>" to data when a label is set and the type takes one.
std::string with_mount_label(const Setup& setup, std::string data, std::string_view type);

Result<void> mount_cgroup(Setup& setup, const oci::Mount& mount, const MountFlags& options,
                          const std::string& destination);
Result<void> setup_devices(Setup& setup);
Result<void> setup_console(Setup& setup);

}  // namespace krill::rootfs::detail
