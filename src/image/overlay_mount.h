// Mounting an overlay filesystem of stored layers. Linux 6.8+ takes each lower directory as its
// own `lowerdir+` parameter through the new mount API (no length limit). Older kernels (Debian
// 12's own 6.1) know only one `lowerdir=a:b:c` string, which fsconfig caps at 256 bytes and
// mount(2) at a page: there the layers are named relative to their common parent, from a child
// process that has changed into it, so a page holds about 60 layers.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/user_namespace.h"

namespace krill::image {

struct OverlayMountRequest {
  std::vector<std::string> lower_dirs;  // topmost first, absolute
  std::string upper_dir, work_dir, target;
  bool rootless = false;  // userxattr; otherwise redirect_dir, metacopy and index are off
  // overlayfs' "volatile": no syncs of the upper dir, not even at unmount (0.5–1 ms less per
  // `run --rm`). After a crash the kernel refuses to mount that upper dir again.
  bool volatile_upper = false;
  // --userns=auto: the container's id maps (container id -> host id). The overlay is then built
  // from id-mapped views of the layers and of the upper and work dirs (mount_overlay_idmapped).
  std::vector<IdMapRange> uid_map, gid_map;
};

// The new API, falling back to mount_overlay_legacy when the kernel does not know lowerdir+.
Result<void> mount_overlay(const OverlayMountRequest& request);

// The overlay for a container with a user namespace of its own (Linux 6.13+: layers as fds).
// Overlayfs cannot be id-mapped itself, so each layer and the directory holding upper/ and
// work/ are cloned (open_tree) and id-mapped (mount_setattr MOUNT_ATTR_IDMAP) with a user
// namespace of `uid_map`/`gid_map`; the overlay over them is created with the fsuid and fsgid
// of the container's root, so that the upper dir is writable to it. Files keep their on-disk
// ids: image ids in the layers, container ids in the upper dir (a plain layer for commit).
// The host sees the mount through the mapping: host root writing into it gets EOVERFLOW.
Result<void> mount_overlay_idmapped(const OverlayMountRequest& request);

// mount(2) with one option string (what kernels before 6.8 accept).
Result<void> mount_overlay_legacy(const OverlayMountRequest& request);

// The option string mount_overlay_legacy passes, and the directory it mounts from ("" when the
// lower dirs are absolute). Error when a path holds ',' or ':' or the string exceeds a page.
struct LegacyOverlayOptions {
  std::string data;
  std::string lower_parent;
};
Result<LegacyOverlayOptions> legacy_overlay_options(const OverlayMountRequest& request);

}  // namespace krill::image
