// The system calls the rootfs setup is made of, behind an interface so that the logic
// deciding which mounts happen, in which order and with which flags can be tested with a
// recording fake; make_real_mount_ops() performs them for real.
//
// Errors carry the errno and a short operation name; callers add what was mounted where.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace krill::rootfs {

// The arguments of mount_setattr(2) (struct mount_attr).
struct MountAttr {
  uint64_t attr_set = 0;
  uint64_t attr_clr = 0;
  uint64_t propagation = 0;
  int userns_fd = -1;
};

class MountOps {
 public:
  virtual ~MountOps() = default;

  // ---- mount table ----
  virtual Result<void> mount(const char* source, const char* target, const char* fstype,
                             unsigned long flags, const char* data) = 0;
  virtual Result<void> umount2(const char* target, int flags) = 0;
  virtual Result<void> pivot_root(const char* new_root, const char* put_old) = 0;
  virtual Result<void> chroot(const char* path) = 0;
  virtual Result<void> chdir(const char* path) = 0;
  virtual Result<void> fchdir(int fd) = 0;

  // ---- new mount API (Linux 5.12+ for mount_setattr) ----
  virtual Result<UniqueFd> open_tree(int dirfd, const char* path, unsigned int flags) = 0;
  virtual Result<void> mount_setattr(int dirfd, const char* path, unsigned int flags,
                                     const MountAttr& attr) = 0;
  virtual Result<void> move_mount(int from_dirfd, const char* from_path, int to_dirfd,
                                  const char* to_path, unsigned int flags) = 0;
  // A user namespace with these mappings, as an fd of its /proc/<pid>/ns/user.
  virtual Result<UniqueFd> make_userns_fd(const std::vector<oci::IdMapping>& uid_mappings,
                                          const std::vector<oci::IdMapping>& gid_mappings) = 0;

  // ---- host paths ----
  virtual Result<UniqueFd> open_dir(const char* path) = 0;  // O_PATH|O_DIRECTORY
  virtual Result<struct stat> stat(const char* path) = 0;   // follows symlinks
  // The per-mount flags of the mount holding `path` (statvfs) as MS_* flags.
  virtual Result<unsigned long> mount_flags_of(const char* path) = 0;
  virtual Result<long> filesystem_magic(const char* path) = 0;  // statfs f_type
  virtual Result<std::string> read_file(const char* path) = 0;
  virtual bool exists(const char* path) = 0;

  // ---- confined to a root ----
  virtual Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags,
                                        mode_t mode) = 0;
  virtual Result<UniqueFd> mkdir_all_in_root(int root_fd, const std::string& path, mode_t mode) = 0;
  // The absolute path an fd refers to (readlink of /proc/self/fd/N).
  virtual Result<std::string> fd_path(int fd) = 0;

  // ---- relative to a directory fd ----
  virtual Result<UniqueFd> openat(int dirfd, const char* name, int flags, mode_t mode) = 0;
  virtual Result<void> mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) = 0;
  virtual Result<void> symlinkat(const char* target, int dirfd, const char* name) = 0;
  virtual Result<void> unlinkat(int dirfd, const char* name, int flags) = 0;
  virtual Result<void> fchmodat(int dirfd, const char* name, mode_t mode) = 0;
  virtual Result<void> fchownat(int dirfd, const char* name, uid_t uid, gid_t gid) = 0;  // nofollow
  virtual Result<struct stat> fstatat(int dirfd, const char* name) = 0;  // nofollow; "" = fd
  // Copies the contents of one directory into another (tmpcopyup), keeping modes and owners.
  virtual Result<void> copy_tree(int from_dirfd, int to_dirfd) = 0;
};

std::unique_ptr<MountOps> make_real_mount_ops();

}  // namespace krill::rootfs
