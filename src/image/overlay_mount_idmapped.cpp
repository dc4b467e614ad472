// mount_overlay_idmapped: the rootfs of a --userns=auto container (see overlay_mount.h).
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "base/user_namespace_fd.h"
#include "image/overlay_mount.h"

namespace krill::image {
namespace {

// What the mounting child reports: the step that failed and its errno (0: done).
struct ChildResult {
  int step = 0;
  int error = 0;
};

constexpr const char* kSteps[] = {"done",
                                  "clone a layer (open_tree)",
                                  "id-map a layer (mount_setattr)",
                                  "clone the upper dir's directory (open_tree)",
                                  "id-map the upper dir (mount_setattr)",
                                  "open upper",
                                  "open work",
                                  "fsopen overlay",
                                  "lowerdir+ (fd)",
                                  "upperdir (fd)",
                                  "workdir (fd)",
                                  "redirect_dir=off",
                                  "metacopy=off",
                                  "index=off",
                                  "volatile",
                                  "take the container root's fsuid/fsgid",
                                  "keep the capabilities",
                                  "create",
                                  "fsmount",
                                  "move_mount"};

// In the forked child: system calls only (the parent prepared every string).
[[noreturn]] void build_overlay(const std::vector<const char*>& lowers, const char* snapshot_dir,
                                const char* upper_name, const char* work_name, const char* target,
                                int userns, uid_t root_uid, gid_t root_gid, bool volatile_upper,
                                int report) {
  ChildResult result;
  auto fail_at = [&](int step) {
    result = {step, errno};
    (void)!::write(report, &result, sizeof result);
    ::_exit(1);
  };
  mount_attr idmap{};
  idmap.attr_set = MOUNT_ATTR_IDMAP;
  idmap.userns_fd = static_cast<__u64>(userns);
  // Clone and id-map each layer, the topmost first (lowerdir+ order).
  int layers[512];
  size_t count = 0;
  for (const char* lower : lowers) {
    int tree = static_cast<int>(::open_tree(AT_FDCWD, lower, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (tree < 0) fail_at(1);
    if (::mount_setattr(tree, "", AT_EMPTY_PATH, &idmap, sizeof idmap) != 0) fail_at(2);
    layers[count++] = tree;
  }
  int dir =
      static_cast<int>(::open_tree(AT_FDCWD, snapshot_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (dir < 0) fail_at(3);
  if (::mount_setattr(dir, "", AT_EMPTY_PATH, &idmap, sizeof idmap) != 0) fail_at(4);
  int upper = ::openat(dir, upper_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (upper < 0) fail_at(5);
  int work = ::openat(dir, work_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (work < 0) fail_at(6);
  int fs = ::fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0) fail_at(7);
  for (size_t i = 0; i < count; ++i)
    if (::fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", nullptr, layers[i]) != 0) fail_at(8);
  if (::fsconfig(fs, FSCONFIG_SET_FD, "upperdir", nullptr, upper) != 0) fail_at(9);
  if (::fsconfig(fs, FSCONFIG_SET_FD, "workdir", nullptr, work) != 0) fail_at(10);
  if (::fsconfig(fs, FSCONFIG_SET_STRING, "redirect_dir", "off", 0) != 0) fail_at(11);
  if (::fsconfig(fs, FSCONFIG_SET_STRING, "metacopy", "off", 0) != 0) fail_at(12);
  if (::fsconfig(fs, FSCONFIG_SET_STRING, "index", "off", 0) != 0) fail_at(13);
  if (volatile_upper && ::fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0) fail_at(14);
  // Overlayfs makes work/work and checks the upper dir as the mounter's fsuid: that must be an
  // id of the mapping, or it comes up read-only (EOVERFLOW). A non-zero fsuid clears the
  // file-system capabilities from the effective set: take them back.
  (void)::setfsgid(root_gid);
  (void)::setfsuid(root_uid);
  if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != root_uid) fail_at(15);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2]{};
  if (::syscall(SYS_capget, &header, caps) != 0) fail_at(16);
  for (auto& c : caps) c.effective = c.permitted;
  if (::syscall(SYS_capset, &header, caps) != 0) fail_at(16);
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail_at(17);
  int mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0) fail_at(18);
  if (::move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0) fail_at(19);
  (void)!::write(report, &result, sizeof result);
  ::_exit(0);
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

Result<void> mount_overlay_idmapped(const OverlayMountRequest& request) {
  const std::string what = "mount the id-mapped overlay on " + request.target;
  if (request.rootless)
    return fail(what + ": not possible rootless (Linux refuses to id-map an unprivileged mount)");
  if (request.gid_map.empty()) return fail(what + ": no gid map");
  if (request.lower_dirs.size() > 512) return fail(what + ": more than 512 layers");
  const std::string snapshot_dir = parent_of(request.upper_dir);
  if (parent_of(request.work_dir) != snapshot_dir)
    return fail(what + ": the upper and work dirs must be in one directory");
  auto userns = KRILL_TRY(
      make_user_namespace_fd(format_id_map(request.uid_map), format_id_map(request.gid_map)));
  std::vector<const char*> lowers;
  for (const auto& lower : request.lower_dirs) lowers.push_back(lower.c_str());
  const std::string upper = name_of(request.upper_dir), work = name_of(request.work_dir);
  const auto root_uid = outside_id(request.uid_map, 0);
  const auto root_gid = outside_id(request.gid_map, 0);
  if (!root_uid || !root_gid) return fail(what + ": the id maps do not map root");

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno(what + ": pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // A child: the fsuid and the capability change must not touch this process (or its threads).
  const pid_t child = ::fork();
  if (child < 0) return fail_errno(what + ": fork");
  if (child == 0)
    build_overlay(lowers, snapshot_dir.c_str(), upper.c_str(), work.c_str(), request.target.c_str(),
                  userns.get(), static_cast<uid_t>(*root_uid), static_cast<gid_t>(*root_gid),
                  request.volatile_upper, write_end.get());
  write_end.reset();
  ChildResult result{-1, EIO};
  ssize_t n;
  do n = ::read(read_end.get(), &result, sizeof result);
  while (n < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof result)) return fail(what + ": the mounting child died");
  if (result.step != 0) {
    const char* step = result.step > 0 && result.step < static_cast<int>(std::size(kSteps))
                           ? kSteps[result.step]
                           : "?";
    std::string hint;
    if (result.step == 8 && result.error == EINVAL)
      hint = " (overlay layers given as file descriptors need Linux 6.13)";
    return std::unexpected(
        Error(what + ": " + step + ": " + std::strerror(result.error) + hint, result.error));
  }
  // Overlayfs falls back to read-only when it cannot use the work dir: not what was asked.
  struct statvfs vfs {};
  if (::statvfs(request.target.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) {
    (void)::umount2(request.target.c_str(), MNT_DETACH);
    return fail(what + ": the kernel mounted it read-only (its work dir was not usable)");
  }
  return {};
}

}  // namespace krill::image
