#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>

#include "runtime/rootfs/path_in_root.h"
#include "runtime/rootfs/rootfs_setup.h"

namespace krill::rootfs::detail {
namespace {

// Per-mount flags that a user namespace may not clear once the host set them.
constexpr unsigned long kLockedMountFlags =
    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME;

}  // namespace

std::string Setup::display(std::string_view container_path) const {
  if (prefix.empty()) return std::string(container_path);
  if (container_path == "/") return prefix;
  std::string result = prefix;
  if (!result.empty() && result.back() == '/') result.pop_back();
  result += container_path;
  return result;
}

std::string fd_target(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::unexpected<Error> op_error(const Error& error, std::string_view what) {
  if (error.errno_value() != 0) return fail_errno(what, error.errno_value());
  return fail(std::string(what) + ": " + error.message());
}

Result<std::string> container_path_of(Setup& setup, int fd) {
  auto path = setup.ops.fd_path(fd);
  if (!path) return op_error(path.error(), "resolve mount point");
  const std::string& root = setup.root_path;
  if (root == "/") return std::move(*path);
  if (*path == root) return std::string("/");
  if (path->size() > root.size() && path->compare(0, root.size(), root) == 0 &&
      (*path)[root.size()] == '/')
    return path->substr(root.size());
  return fail("mount point " + *path + " resolved outside the root " + root);
}

Result<UniqueFd> ensure_dir(Setup& setup, const std::string& path) {
  auto fd = setup.ops.mkdir_all_in_root(setup.root_fd, path, 0755);
  if (!fd) return op_error(fd.error(), "create mount point " + setup.display(path));
  return std::move(*fd);
}

Result<UniqueFd> ensure_file(Setup& setup, const std::string& path) {
  auto existing = setup.ops.open_in_root(setup.root_fd, path, O_PATH, 0);
  if (existing) return std::move(*existing);
  if (existing.error().errno_value() != ENOENT)
    return op_error(existing.error(), "open mount point " + setup.display(path));

  const size_t slash = path.rfind('/');
  const std::string parent = slash == 0 ? std::string("/") : path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  if (name.empty()) return fail("create mount point " + setup.display(path) + ": not a file");
  auto dir = setup.ops.mkdir_all_in_root(setup.root_fd, parent, 0755);
  if (!dir) return op_error(dir.error(), "create mount point " + setup.display(parent));
  auto created =
      setup.ops.openat(dir->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
  if (!created && created.error().errno_value() != EEXIST)
    return op_error(created.error(), "create mount point " + setup.display(path));
  auto fd = setup.ops.openat(dir->get(), name.c_str(), O_PATH | O_NOFOLLOW, 0);
  if (!fd) return op_error(fd.error(), "open mount point " + setup.display(path));
  return std::move(*fd);
}

Result<UniqueFd> reopen(Setup& setup, const std::string& path) {
  auto fd = setup.ops.open_in_root(setup.root_fd, path, O_PATH | O_NOFOLLOW, 0);
  if (!fd) return op_error(fd.error(), "open " + setup.display(path));
  return std::move(*fd);
}

Result<void> remount_bind(Setup& setup, const std::string& path, unsigned long flags,
                          bool keep_existing) {
  UniqueFd top = KRILL_TRY(reopen(setup, path));
  const std::string target = fd_target(top.get());
  flags &= ~static_cast<unsigned long>(MS_REC | MS_BIND | MS_REMOUNT);
  if (keep_existing) {
    auto existing = setup.ops.mount_flags_of(target.c_str());
    if (!existing) return op_error(existing.error(), "statvfs " + setup.display(path));
    flags |= *existing & kLockedMountFlags;
  }
  auto done =
      setup.ops.mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr);
  if (!done && !keep_existing && done.error().errno_value() == EPERM)
    return remount_bind(setup, path, flags, true);
  if (!done) return op_error(done.error(), "remount " + setup.display(path));
  return {};
}

std::string with_mount_label(const Setup& setup, std::string data, std::string_view type) {
  const auto& linux_config = setup.config.spec->linux_config;
  if (!linux_config || linux_config->mount_label.empty()) return data;
  if (type == "proc" || type == "sysfs" || type == "cgroup" || type == "cgroup2" ||
      type == "bind" || type == "none" || type.empty())
    return data;
  if (!data.empty()) data += ',';
  data += "context=\"" + linux_config->mount_label + "\"";
  return data;
}

}  // namespace krill::rootfs::detail
