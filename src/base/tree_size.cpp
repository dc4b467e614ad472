#include "base/tree_size.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

#include "base/tree_walk.h"

namespace krill {

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
  uint64_t bytes = 0;
  std::set<std::pair<dev_t, ino_t>> seen_links;
  KRILL_CHECK(walk_tree(fd, path, st.st_dev,
                        [&](int, const char*, const std::string&,
                            const struct stat& entry) -> Result<bool> {
                          if (S_ISDIR(entry.st_mode)) return true;
                          if (!S_ISREG(entry.st_mode) && !S_ISLNK(entry.st_mode)) return false;
                          if (entry.st_nlink > 1 &&
                              !seen_links.emplace(entry.st_dev, entry.st_ino).second)
                            return false;
                          bytes += static_cast<uint64_t>(entry.st_size);
                          return false;
                        }));
  return bytes;
}

}  // namespace krill
