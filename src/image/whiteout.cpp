#include "image/whiteout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace krill::image {
namespace {

// Reads a small xattr of an fd; nullopt when absent or unreadable.
std::optional<std::string> small_fxattr(int fd, const std::string& name) {
  char value[16];
  const ssize_t n = fgetxattr(fd, name.c_str(), value, sizeof value);
  if (n < 0) return std::nullopt;
  return std::string(value, static_cast<size_t>(n));
}

}  // namespace

std::optional<std::string_view> whiteout_target(std::string_view basename) {
  if (!basename.starts_with(kWhiteoutPrefix) || basename == kOpaqueWhiteout) return std::nullopt;
  return basename.substr(kWhiteoutPrefix.size());
}

bool is_opaque_whiteout(std::string_view basename) { return basename == kOpaqueWhiteout; }

std::string_view overlay_xattr_prefix(bool rootless) {
  return rootless ? "user.overlay." : "trusted.overlay.";
}

bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}

Result<void> set_overlay_opaque(int dir_fd, bool rootless) {
  const std::string name = std::string(overlay_xattr_prefix(rootless)) + "opaque";
  if (fsetxattr(dir_fd, name.c_str(), "y", 1, 0) != 0) return fail_errno("set " + name);
  return {};
}

Result<WhiteoutForm> create_overlay_whiteout(int dir_fd, const std::string& name, bool rootless) {
  if (mknodat(dir_fd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0) {
    return WhiteoutForm::kCharDevice;
  }
  const int mknod_errno = errno;
  if (!rootless || (mknod_errno != EPERM && mknod_errno != EACCES)) {
    return fail_errno("create whiteout device " + name, mknod_errno);
  }
  // Rootless without the right to mknod 0:0: an xattr whiteout.
  UniqueFd fd(
      openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return fail_errno("create whiteout file " + name);
  const std::string prefix(overlay_xattr_prefix(true));
  if (fsetxattr(fd.get(), (prefix + "whiteout").c_str(), "y", 1, 0) != 0) {
    return fail_errno("set " + prefix + "whiteout on " + name);
  }
  if (small_fxattr(dir_fd, prefix + "opaque") != "y" &&
      fsetxattr(dir_fd, (prefix + "opaque").c_str(), "x", 1, 0) != 0) {
    return fail_errno("set " + prefix + "opaque=x on the directory of " + name);
  }
  return WhiteoutForm::kXattrFile;
}

bool is_overlay_whiteout(int dir_fd, const std::string& name, const struct stat& st) {
  if (S_ISCHR(st.st_mode)) return st.st_rdev == makedev(0, 0);
  if (!S_ISREG(st.st_mode) || st.st_size != 0) return false;
  UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return false;
  for (bool rootless : {false, true}) {
    const std::string xattr = std::string(overlay_xattr_prefix(rootless)) + "whiteout";
    if (fgetxattr(fd.get(), xattr.c_str(), nullptr, 0) >= 0) return true;
  }
  return false;
}

bool is_overlay_opaque(int dir_fd) {
  for (bool rootless : {false, true}) {
    if (small_fxattr(dir_fd, std::string(overlay_xattr_prefix(rootless)) + "opaque") == "y") {
      return true;
    }
  }
  return false;
}

}  // namespace krill::image
