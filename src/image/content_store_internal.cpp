#include "image/content_store_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <memory>

#include "base/file_io.h"
#include "base/unique_fd.h"

namespace krill::image::content_store_internal {

Result<void> fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("open directory " + dir);
  if (::fsync(fd.get()) != 0) return fail_errno("fsync directory " + dir);
  return {};
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), &::closedir);
  if (!stream) {
    if (errno == ENOENT) return names;
    return fail_errno("list " + dir);
  }
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(stream.get());
    if (entry == nullptr) {
      if (errno != 0) return fail_errno("list " + dir);
      break;
    }
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(name);
  }
  return names;
}

bool ingest_file_abandoned(const std::string& path, bool remove) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno != ELOOP) return false;  // gone, or not ours to judge
    // A symlink is never ours: abandoned junk.
    if (remove) ::unlink(path.c_str());
    return true;
  }
  // Writers hold LOCK_EX on their temp file for their whole life; the kernel
  // drops the lock when the writer dies, however it dies.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return false;
  if (remove && ::unlink(path.c_str()) != 0 && (errno == EISDIR || errno == EPERM))
    (void)remove_all(path);
  return true;
}

}  // namespace krill::image::content_store_internal
