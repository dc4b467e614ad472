#include "base/tree_size.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

namespace krill {
namespace {

struct SizeWalk {
  dev_t device = 0;
  std::set<std::pair<dev_t, ino_t>> seen_links;
  uint64_t bytes = 0;

  // Adds the entries of the open directory `dir_fd` (which it consumes), depth first.
  Result<void> walk(int dir_fd, const std::string& path) {
    DIR* dir = ::fdopendir(dir_fd);
    if (dir == nullptr) {
      ::close(dir_fd);
      return fail_errno("read directory " + path);
    }
    Result<void> result;
    while (dirent* entry = ::readdir(dir)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile
        result = fail_errno("stat " + path + "/" + std::string(name));
        break;
      }
      if (st.st_dev != device) continue;  // another mount
      if (S_ISDIR(st.st_mode)) {
        const int child =
            ::openat(::dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
          if (errno == ENOENT) continue;
          result = fail_errno("open " + path + "/" + std::string(name));
          break;
        }
        result = walk(child, path + "/" + std::string(name));
        if (!result) break;
        continue;
      }
      if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
      if (st.st_nlink > 1 && !seen_links.emplace(st.st_dev, st.st_ino).second) continue;
      bytes += static_cast<uint64_t>(st.st_size);
    }
    ::closedir(dir);
    return result;
  }
};

}  // namespace

Result<uint64_t> tree_size(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return uint64_t{0};
    return fail_errno("open " + path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail_errno("stat " + path);
  }
  SizeWalk walk;
  walk.device = st.st_dev;
  KRILL_CHECK(walk.walk(fd, path));
  return walk.bytes;
}

}  // namespace krill
