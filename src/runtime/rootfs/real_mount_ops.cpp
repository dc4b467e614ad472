// MountOps performed with the real system calls.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "base/user_namespace_fd.h"
#include "runtime/rootfs/mount_ops.h"
#include "runtime/rootfs/path_in_root.h"

namespace krill::rootfs {
namespace {

Result<void> check(int rc, std::string_view what) {
  if (rc < 0) return fail_errno(what);
  return {};
}

Result<void> write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

std::string format_mappings(const std::vector<oci::IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) {
    text += std::to_string(m.container_id) + ' ' + std::to_string(m.host_id) + ' ' +
            std::to_string(m.size) + '\n';
  }
  return text;
}

Result<void> copy_file_contents(int from, int to) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(from, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    if (n == 0) return {};
    KRILL_CHECK(write_all(to, buffer, static_cast<size_t>(n)));
  }
}

Result<void> copy_entries(int from_dirfd, int to_dirfd, int depth) {
  if (depth > 128) return fail("copy tree: too deep");
  int listing_fd = ::openat(from_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing_fd < 0) return fail_errno("open directory to copy");
  DIR* dir = ::fdopendir(listing_fd);
  if (dir == nullptr) {
    ::close(listing_fd);
    return fail_errno("fdopendir");
  }
  struct DirCloser {
    DIR* d;
    ~DirCloser() { ::closedir(d); }
  } closer{dir};

  while (struct dirent* entry = ::readdir(dir)) {
    const char* name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    struct stat st {};
    if (::fstatat(from_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_errno(std::string("stat ") + name);
    const mode_t perm = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to_dirfd, name, 0700) < 0 && errno != EEXIST)
        return fail_errno(std::string("mkdir ") + name);
      UniqueFd src(::openat(from_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd dst(::openat(to_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!src || !dst) return fail_errno(std::string("open directory ") + name);
      KRILL_CHECK(copy_entries(src.get(), dst.get(), depth + 1));
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd src(::openat(from_dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!src) return fail_errno(std::string("open ") + name);
      UniqueFd dst(
          ::openat(to_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!dst) return fail_errno(std::string("create ") + name);
      KRILL_CHECK(copy_file_contents(src.get(), dst.get()));
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t len = ::readlinkat(from_dirfd, name, target, sizeof(target) - 1);
      if (len < 0) return fail_errno(std::string("readlink ") + name);
      target[len] = '\0';
      if (::symlinkat(target, to_dirfd, name) < 0)
        return fail_errno(std::string("symlink ") + name);
    } else {
      if (::mknodat(to_dirfd, name, st.st_mode, st.st_rdev) < 0)
        return fail_errno(std::string("mknod ") + name);
    }
    if (::fchownat(to_dirfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_errno(std::string("chown ") + name);
    if (!S_ISLNK(st.st_mode) && ::fchmodat(to_dirfd, name, perm, 0) < 0)
      return fail_errno(std::string("chmod ") + name);
  }
  return {};
}

class RealMountOps final : public MountOps {
 public:
  Result<void> mount(const char* source, const char* target, const char* fstype,
                     unsigned long flags, const char* data) override {
    return check(::mount(source, target, fstype, flags, data), "mount");
  }
  Result<void> umount2(const char* target, int flags) override {
    return check(::umount2(target, flags), "umount2");
  }
  Result<void> pivot_root(const char* new_root, const char* put_old) override {
    return check(static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old)), "pivot_root");
  }
  Result<void> chroot(const char* path) override { return check(::chroot(path), "chroot"); }
  Result<void> chdir(const char* path) override { return check(::chdir(path), "chdir"); }
  Result<void> fchdir(int fd) override { return check(::fchdir(fd), "fchdir"); }

  Result<UniqueFd> open_tree(int dirfd, const char* path, unsigned int flags) override {
    int fd = static_cast<int>(::syscall(SYS_open_tree, dirfd, path, flags));
    if (fd < 0) return fail_errno("open_tree");
    return UniqueFd(fd);
  }
  Result<void> mount_setattr(int dirfd, const char* path, unsigned int flags,
                             const MountAttr& attr) override {
    struct mount_attr kattr {};
    kattr.attr_set = attr.attr_set;
    kattr.attr_clr = attr.attr_clr;
    kattr.propagation = attr.propagation;
    kattr.userns_fd = attr.userns_fd < 0 ? 0 : static_cast<uint64_t>(attr.userns_fd);
    return check(
        static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, &kattr, sizeof(kattr))),
        "mount_setattr");
  }
  Result<void> move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
                          unsigned int flags) override {
    return check(static_cast<int>(
                     ::syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags)),
                 "move_mount");
  }

  Result<UniqueFd> make_userns_fd(const std::vector<oci::IdMapping>& uid_mappings,
                                  const std::vector<oci::IdMapping>& gid_mappings) override {
    return make_user_namespace_fd(format_mappings(uid_mappings), format_mappings(gid_mappings));
  }

  Result<UniqueFd> open_dir(const char* path) override {
    int fd = ::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open");
    return UniqueFd(fd);
  }
  Result<struct stat> stat(const char* path) override {
    struct stat st {};
    if (::stat(path, &st) < 0) return fail_errno("stat");
    return st;
  }
  Result<unsigned long> mount_flags_of(const char* path) override {
    struct statvfs st {};
    if (::statvfs(path, &st) < 0) return fail_errno("statvfs");
    struct {
      unsigned long st_flag;
      unsigned long ms_flag;
    } constexpr kMap[] = {
        {ST_RDONLY, MS_RDONLY},   {ST_NOSUID, MS_NOSUID},           {ST_NODEV, MS_NODEV},
        {ST_NOEXEC, MS_NOEXEC},   {ST_SYNCHRONOUS, MS_SYNCHRONOUS}, {ST_MANDLOCK, MS_MANDLOCK},
        {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME},   {ST_RELATIME, MS_RELATIME},
    };
    unsigned long flags = 0;
    for (const auto& entry : kMap)
      if (st.f_flag & entry.st_flag) flags |= entry.ms_flag;
    return flags;
  }
  Result<long> filesystem_magic(const char* path) override {
    struct statfs st {};
    if (::statfs(path, &st) < 0) return fail_errno("statfs");
    return static_cast<long>(st.f_type);
  }
  Result<std::string> read_file(const char* path) override {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("open");
    std::string content;
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno("read");
      }
      if (n == 0) break;
      content.append(buffer, static_cast<size_t>(n));
    }
    return content;
  }
  bool exists(const char* path) override { return ::access(path, F_OK) == 0; }

  Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags,
                                mode_t mode) override {
    return rootfs::open_in_root(root_fd, path, flags, mode);
  }
  Result<UniqueFd> mkdir_all_in_root(int root_fd, const std::string& path, mode_t mode) override {
    return rootfs::mkdir_all_in_root(root_fd, path, mode);
  }
  Result<std::string> fd_path(int fd) override {
    char link[64];
    char target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t len = ::readlink(link, target, sizeof(target) - 1);
    if (len < 0) return fail_errno("readlink");
    return std::string(target, static_cast<size_t>(len));
  }

  Result<UniqueFd> openat(int dirfd, const char* name, int flags, mode_t mode) override {
    int fd = ::openat(dirfd, name, flags | O_CLOEXEC, mode);
    if (fd < 0) return fail_errno("open");
    return UniqueFd(fd);
  }
  Result<void> mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) override {
    return check(::mknodat(dirfd, name, mode, dev), "mknod");
  }
  Result<void> symlinkat(const char* target, int dirfd, const char* name) override {
    return check(::symlinkat(target, dirfd, name), "symlink");
  }
  Result<void> unlinkat(int dirfd, const char* name, int flags) override {
    return check(::unlinkat(dirfd, name, flags), "unlink");
  }
  Result<void> fchmodat(int dirfd, const char* name, mode_t mode) override {
    return check(::fchmodat(dirfd, name, mode, 0), "chmod");
  }
  Result<void> fchownat(int dirfd, const char* name, uid_t uid, gid_t gid) override {
    return check(::fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW), "chown");
  }
  Result<struct stat> fstatat(int dirfd, const char* name) override {
    struct stat st {};
    int flags = AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0);
    if (::fstatat(dirfd, name, &st, flags) < 0) return fail_errno("stat");
    return st;
  }
  Result<void> copy_tree(int from_dirfd, int to_dirfd) override {
    struct stat st {};
    if (::fstat(from_dirfd, &st) < 0) return fail_errno("stat");
    KRILL_CHECK(copy_entries(from_dirfd, to_dirfd, 0));
    if (::fchown(to_dirfd, st.st_uid, st.st_gid) < 0) return fail_errno("chown");
    return check(::fchmod(to_dirfd, st.st_mode & 07777), "chmod");
  }
};

}  // namespace

std::unique_ptr<MountOps> make_real_mount_ops() { return std::make_unique<RealMountOps>(); }

}  // namespace krill::rootfs
