#include "base/tree_chown.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace krill {
namespace {

struct ChownWalk {
  uid_t uid;
  gid_t gid;
  dev_t device = 0;

  // Gives away the entries of the open directory `dir_fd` (which it consumes), depth first.
  Result<void> walk(int dir_fd, const std::string& path) const {
    DIR* dir = ::fdopendir(dir_fd);
    if (dir == nullptr) {
      ::close(dir_fd);
      return fail_errno("read directory " + path);
    }
    Result<void> result;
    while (dirent* entry = ::readdir(dir)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      const std::string child_path = path + "/" + std::string(name);
      struct stat st {};
      if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile
        result = fail_errno("stat " + child_path);
        break;
      }
      if (st.st_dev != device) continue;  // another mount
      if (::fchownat(::dirfd(dir), entry->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
        result = fail_errno("chown " + child_path);
        break;
      }
      if (!S_ISDIR(st.st_mode)) continue;
      const int child =
          ::openat(::dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        if (errno == ENOENT) continue;
        result = fail_errno("open " + child_path);
        break;
      }
      result = walk(child, child_path);
      if (!result) break;
    }
    ::closedir(dir);
    return result;
  }
};

}  // namespace

Result<void> chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail_errno("stat " + path);
  if (::lchown(path.c_str(), uid, gid) != 0) return fail_errno("chown " + path);
  if (!S_ISDIR(st.st_mode)) return {};
  const int dir = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return fail_errno("open " + path);
  return ChownWalk{.uid = uid, .gid = gid, .device = st.st_dev}.walk(dir, path);
}

}  // namespace krill
