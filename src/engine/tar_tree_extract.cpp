// extract_tar of tar_tree.h: a tar stream into a directory of a path root.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "engine/tar_tree.h"
#include "image/layer_extract.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::engine {
namespace {

struct ReaderFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Reader = std::unique_ptr<archive, ReaderFree>;

std::string errno_text() { return std::strerror(errno); }

// rm -rf of `name` in `parent_fd`, never following symlinks.
bool remove_tree_at(int parent_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return ::unlinkat(parent_fd, name.c_str(), 0) == 0;
  int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return false;
  }
  std::vector<std::string> children;
  while (dirent* e = ::readdir(dir))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      children.emplace_back(e->d_name);
  bool ok = true;
  for (const auto& child : children) ok = remove_tree_at(::dirfd(dir), child) && ok;
  ::closedir(dir);
  return ok && ::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) == 0;
}

struct DirTime {
  std::string path;  // in the root
  timespec mtime;
};

class Extractor {
 public:
  Extractor(archive* reader, const PathRoot& root, std::string dir,
            const TarExtractOptions& options)
      : reader_(reader), root_(root), dir_(std::move(dir)), options_(options) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  }

  Result<void> run() {
    while (true) {
      archive_entry* entry = nullptr;
      int status = archive_read_next_header(reader_, &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) return fail(options_.what + ": " + reader_error());
      KRILL_CHECK(extract(entry));
    }
    // Directories' mtimes last: their entries changed them.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      auto fd = open_at_root(root_, it->path, O_RDONLY | O_DIRECTORY);
      if (!fd) continue;
      timespec times[2] = {it->mtime, it->mtime};
      ::futimens(fd->get(), times);
    }
    return {};
  }

 private:
  std::string reader_error() const {
    const char* text = archive_error_string(reader_);
    return text ? text : "unreadable archive";
  }

  std::unexpected<Error> entry_error(const std::string& name, const std::string& why) const {
    return fail(options_.what + ": entry \"" + name + "\": " + why);
  }

  std::string in_dir(const std::string& rel) const {
    if (rel.empty()) return dir_;
    return dir_ == "/" ? "/" + rel : dir_ + "/" + rel;
  }

  // The parent directory of `rel` (made when missing, each component resolved in the root).
  Result<UniqueFd> parent_of(const std::string& name, const std::vector<std::string>& parts) {
    std::string rel;
    for (size_t i = 0; i + 1 < parts.size(); ++i) rel += (rel.empty() ? "" : "/") + parts[i];
    if (auto fd = open_at_root(root_, in_dir(rel), O_PATH | O_DIRECTORY)) return fd;
    std::string walked;
    UniqueFd current = KRILL_TRY(open_at_root(root_, dir_, O_PATH | O_DIRECTORY));
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      walked += (walked.empty() ? "" : "/") + parts[i];
      auto next = open_at_root(root_, in_dir(walked), O_PATH | O_DIRECTORY);
      if (!next && next.error().errno_value() == ENOENT) {
        if (::mkdirat(current.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST)
          return entry_error(name, "mkdir " + walked + ": " + errno_text());
        next = open_at_root(root_, in_dir(walked), O_PATH | O_DIRECTORY);
      }
      if (!next) return entry_error(name, walked + ": " + next.error().message());
      current = std::move(*next);
    }
    return current;
  }

  // What is at `leaf` now, made room for an entry of type `is_dir` (Docker's rules).
  Result<bool> prepare(const std::string& name, int parent_fd, const std::string& leaf,
                       bool is_dir) {
    struct stat st {};
    if (::fstatat(parent_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    bool existing_dir = S_ISDIR(st.st_mode);
    if (existing_dir && is_dir) return true;
    if (!options_.overwrite) {
      if (existing_dir)
        return entry_error(name, "cannot overwrite directory \"" + leaf +
                                     "\" with non-directory (see --overwrite)");
      if (is_dir)
        return entry_error(name, "cannot overwrite non-directory \"" + leaf +
                                     "\" with directory (see --overwrite)");
    }
    if (!remove_tree_at(parent_fd, leaf))
      return entry_error(name, "remove the existing " + leaf + ": " + errno_text());
    return false;
  }

  Result<void> set_attributes(archive_entry* entry, const std::string& name, int parent_fd,
                              const std::string& leaf, bool symlink) {
    uid_t uid = options_.owner ? options_.owner->first : static_cast<uid_t>(archive_entry_uid(entry));
    gid_t gid =
        options_.owner ? options_.owner->second : static_cast<gid_t>(archive_entry_gid(entry));
    if (::fchownat(parent_fd, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EPERM)
      return entry_error(name, "chown: " + errno_text());
    // After chown, which clears setuid/setgid bits.
    if (!symlink && ::fchmodat(parent_fd, leaf.c_str(), archive_entry_perm(entry) & 07777, 0) != 0)
      return entry_error(name, "chmod: " + errno_text());
    timespec times[2] = {{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)},
                         {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}};
    ::utimensat(parent_fd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
  }

  Result<void> write_data(int fd, const std::string& name) {
    const void* buffer = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int status;
    while ((status = archive_read_data_block(reader_, &buffer, &size, &offset)) == ARCHIVE_OK) {
      const char* p = static_cast<const char*>(buffer);
      while (size > 0) {
        ssize_t n = ::pwrite(fd, p, size, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return entry_error(name, "write: " + errno_text());
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
      }
    }
    if (status != ARCHIVE_EOF) return entry_error(name, reader_error());
    return {};
  }

  Result<void> extract(archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw ? raw : "";
    auto parts = image::normalize_layer_path(name);
    if (!parts) return entry_error(name, "path leaves the destination");
    if (parts->empty()) return {};  // the destination itself
    std::string rel;
    for (const auto& part : *parts) rel += (rel.empty() ? "" : "/") + part;
    UniqueFd parent = KRILL_TRY(parent_of(name, *parts));
    const std::string& leaf = parts->back();

    if (const char* link = archive_entry_hardlink(entry)) {
      auto target = image::normalize_layer_path(link);
      if (!target || target->empty()) return entry_error(name, "hard link leaves the destination");
      std::string target_parent;
      for (size_t i = 0; i + 1 < target->size(); ++i)
        target_parent += (target_parent.empty() ? "" : "/") + (*target)[i];
      auto target_dir = open_at_root(root_, in_dir(target_parent), O_PATH | O_DIRECTORY);
      if (!target_dir) return entry_error(name, "hard link target \"" + std::string(link) + "\" not found");
      KRILL_TRY(prepare(name, parent.get(), leaf, false));
      if (::linkat(target_dir->get(), target->back().c_str(), parent.get(), leaf.c_str(), 0) != 0)
        return entry_error(name, "link to \"" + std::string(link) + "\": " + errno_text());
      return {};
    }

    mode_t type = archive_entry_filetype(entry);
    switch (type) {
      case AE_IFDIR: {
        bool exists = KRILL_TRY(prepare(name, parent.get(), leaf, true));
        if (!exists && ::mkdirat(parent.get(), leaf.c_str(), 0700) != 0)
          return entry_error(name, "mkdir: " + errno_text());
        KRILL_CHECK(set_attributes(entry, name, parent.get(), leaf, false));
        dir_times_.push_back(
            {in_dir(rel), {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}});
        return {};
      }
      case AE_IFREG: {
        KRILL_TRY(prepare(name, parent.get(), leaf, false));
        UniqueFd fd(::openat(parent.get(), leaf.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) return entry_error(name, "create: " + errno_text());
        KRILL_CHECK(write_data(fd.get(), name));
        if (archive_entry_size_is_set(entry) && ::ftruncate(fd.get(), archive_entry_size(entry)) != 0)
          return entry_error(name, "truncate: " + errno_text());
        fd.reset();
        return set_attributes(entry, name, parent.get(), leaf, false);
      }
      case AE_IFLNK: {
        KRILL_TRY(prepare(name, parent.get(), leaf, false));
        const char* target = archive_entry_symlink(entry);
        if (::symlinkat(target ? target : "", parent.get(), leaf.c_str()) != 0)
          return entry_error(name, "symlink: " + errno_text());
        return set_attributes(entry, name, parent.get(), leaf, true);
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        KRILL_TRY(prepare(name, parent.get(), leaf, false));
        dev_t dev = makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
        if (::mknodat(parent.get(), leaf.c_str(), type | 0600, dev) != 0)
          return entry_error(name, "mknod: " + errno_text());
        return set_attributes(entry, name, parent.get(), leaf, false);
      }
      default:
        return {};  // sockets and unknown types
    }
  }

  archive* reader_;
  const PathRoot& root_;
  std::string dir_;
  const TarExtractOptions& options_;
  std::vector<DirTime> dir_times_;
};

}  // namespace

Result<void> extract_tar(int in_fd, const PathRoot& root, const std::string& dir,
                         const TarExtractOptions& options) {
  Reader reader(archive_read_new());
  if (!reader) return fail(options.what + ": cannot allocate a reader");
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  if (archive_read_open_fd(reader.get(), in_fd, 64 * 1024) != ARCHIVE_OK) {
    const char* text = archive_error_string(reader.get());
    return fail(options.what + ": " + (text ? text : "cannot read the archive"));
  }
  return Extractor(reader.get(), root, dir, options).run();
}

}  // namespace krill::engine
