// OCI whiteouts (image-spec layer.md) and their overlayfs forms.
//
// OCI: `.wh.NAME` deletes NAME of the lower layers; `.wh..wh..opq` hides every lower
// entry of its directory.
// overlayfs: a whiteout is a char device 0:0, or (kernel >= 6.7, "xattr whiteout") an
// empty regular file with the xattr <prefix>overlay.whiteout in a directory whose
// <prefix>overlay.opaque is "x"; an opaque directory has <prefix>overlay.opaque = "y".
// The prefix is "trusted." for root and "user." for rootless mounts (-o userxattr).
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::image {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

// For `.wh.NAME` the NAME it deletes; nullopt for other names and for the opaque marker.
std::optional<std::string_view> whiteout_target(std::string_view basename);
bool is_opaque_whiteout(std::string_view basename);

// "trusted.overlay." (rootless = false) or "user.overlay.".
std::string_view overlay_xattr_prefix(bool rootless);
// True for xattrs overlayfs interprets (trusted.overlay.*, user.overlay.*): such xattrs
// are never taken from a layer tar, nor written into one.
bool is_overlay_xattr(std::string_view name);

enum class WhiteoutForm { kCharDevice, kXattrFile };

// Creates the overlay whiteout `name` in the directory `dir_fd` (opened O_RDONLY).
// Tries a char device 0:0 first; rootless, when mknod is not permitted, falls back to
// an xattr whiteout (and marks `dir_fd` with overlay.opaque=x unless it is opaque).
Result<WhiteoutForm> create_overlay_whiteout(int dir_fd, const std::string& name, bool rootless);

// Marks the directory `dir_fd` opaque: <prefix>overlay.opaque = "y".
Result<void> set_overlay_opaque(int dir_fd, bool rootless);

// Is `name` in `dir_fd` (with lstat result `st`) an overlay whiteout of either form,
// with either prefix?
bool is_overlay_whiteout(int dir_fd, const std::string& name, const struct stat& st);
// Is the directory `dir_fd` opaque ("y" with either prefix)?
bool is_overlay_opaque(int dir_fd);

}  // namespace krill::image
