#include "base/tree_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace krill {

Result<void> walk_tree(int dir_fd, const std::string& path, dev_t device,
                       const TreeVisitor& visit) {
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
    auto descend = visit(::dirfd(dir), entry->d_name, child_path, st);
    if (!descend) {
      result = std::unexpected(std::move(descend.error()));
      break;
    }
    if (!*descend || !S_ISDIR(st.st_mode)) continue;
    const int child =
        ::openat(::dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) {
      if (errno == ENOENT) continue;
      result = fail_errno("open " + child_path);
      break;
    }
    result = walk_tree(child, child_path, device, visit);
    if (!result) break;
  }
  ::closedir(dir);
  return result;
}

}  // namespace krill
