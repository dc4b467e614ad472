#include "base/tree_chown.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/tree_walk.h"

namespace krill {

Result<void> chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail_errno("stat " + path);
  if (::lchown(path.c_str(), uid, gid) != 0) return fail_errno("chown " + path);
  if (!S_ISDIR(st.st_mode)) return {};
  const int dir = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return fail_errno("open " + path);
  return walk_tree(dir, path, st.st_dev,
                   [&](int parent_fd, const char* name, const std::string& entry_path,
                       const struct stat&) -> Result<bool> {
                     if (::fchownat(parent_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
                       return fail_errno("chown " + entry_path);
                     return true;
                   });
}

}  // namespace krill
