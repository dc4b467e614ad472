// Contained tar extraction for build contexts and ADD: unlike an OCI layer, ".wh." names are
// plain files and ownership is the caller's choice.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>

#include "build/file_copy_internal.h"
#include "image/layer_extract.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::build::detail {
namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

ArchivePtr open_reader(int fd) {
  ArchivePtr reader(archive_read_new());
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_fd(reader.get(), fd, 64 * 1024) != ARCHIVE_OK) return nullptr;
  return reader;
}

std::string temp_name() {
  static std::atomic<unsigned> counter{0};
  return ".krill-unpack-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

struct DirTime {
  std::string path;
  timespec mtime;
};

class Unpacker {
 public:
  Unpacker(archive* reader, int root_fd, const std::string& base, const UnpackOptions& options)
      : reader_(reader), root_fd_(root_fd), base_(base), options_(options) {}

  Result<void> run() {
    while (true) {
      archive_entry* entry = nullptr;
      int status = archive_read_next_header(reader_, &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) {
        return fail(options_.what + ": " + archive_error_string(reader_));
      }
      KRILL_CHECK(unpack_entry(entry));
    }
    return apply_directory_times();
  }

 private:
  std::unexpected<Error> entry_error(const std::string& name, const std::string& why) {
    return fail(options_.what + " entry \"" + name + "\": " + why);
  }

  // The entry's path relative to root_fd, or an error when it would leave the base.
  Result<std::string> target_path(const std::string& name) {
    if (options_.refuse_absolute && !name.empty() && name.front() == '/') {
      return entry_error(name, "absolute path");
    }
    std::optional<std::vector<std::string>> parts = image::normalize_layer_path(name);
    if (!parts) return entry_error(name, "path escapes the destination");
    std::string rel;
    for (const std::string& part : *parts) rel = join_path(rel, part);
    return rel;
  }

  Result<UniqueFd> open_parent(const std::string& name, const std::string& rel) {
    std::string parent = join_path(base_, split_parent(rel).first);
    auto fd = mkdir_all_resolved(root_fd_, parent, options_.resolve, 0755, Owner{});
    if (!fd && fd.error().errno_value() == EXDEV) {
      return entry_error(name, "leads outside through a symlink");
    }
    if (!fd) return entry_error(name, fd.error().message());
    return fd;
  }

  Owner owner_for(archive_entry* entry) const {
    if (options_.keep_owner && !options_.owner.set) {
      return Owner{true, static_cast<uid_t>(archive_entry_uid(entry)),
                   static_cast<gid_t>(archive_entry_gid(entry))};
    }
    return options_.owner;
  }

  Result<void> unpack_entry(archive_entry* entry) {
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name ? raw_name : "";
    std::string rel = KRILL_TRY(target_path(name));
    if (rel.empty()) return {};  // the root itself
    UniqueFd parent = KRILL_TRY(open_parent(name, rel));
    std::string leaf = split_parent(rel).second;
    if (const char* link = archive_entry_hardlink(entry))
      return make_hardlink(name, link, parent, leaf);
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        return make_directory(entry, name, parent.get(), leaf, join_path(base_, rel));
      case AE_IFREG:
        return write_regular(entry, name, parent.get(), leaf);
      case AE_IFLNK:
        return make_symlink(entry, name, parent.get(), leaf);
      case AE_IFIFO:
      case AE_IFCHR:
      case AE_IFBLK:
        return make_node(entry, name, parent.get(), leaf);
      default:
        return {};  // sockets and unknown types are skipped
    }
  }

  Result<void> set_attributes(archive_entry* entry, const std::string& name, int parent_fd,
                              const std::string& leaf, bool symlink) {
    Owner owner = owner_for(entry);
    if (owner.set &&
        ::fchownat(parent_fd, leaf.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return entry_error(name, "chown: " + std::string(std::strerror(errno)));
    }
    if (!symlink &&
        ::fchmodat(parent_fd, leaf.c_str(), archive_entry_perm(entry) & 07777, 0) != 0) {
      return entry_error(name, "chmod: " + std::string(std::strerror(errno)));
    }
    timespec times[2] = {{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)},
                         {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}};
    ::utimensat(parent_fd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
  }

  // Removes a non-directory in the way of a new entry.
  void remove_existing(int parent_fd, const std::string& leaf) {
    struct stat st;
    if (::fstatat(parent_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
      ::unlinkat(parent_fd, leaf.c_str(), 0);
    }
  }

  Result<void> make_directory(archive_entry* entry, const std::string& name, int parent_fd,
                              const std::string& leaf, const std::string& path) {
    remove_existing(parent_fd, leaf);
    if (::mkdirat(parent_fd, leaf.c_str(), 0700) != 0 && errno != EEXIST) {
      return entry_error(name, "mkdir: " + std::string(std::strerror(errno)));
    }
    struct stat st;
    if (::fstatat(parent_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
      return {};  // a symlink to a directory (ADD into a rootfs): left as it is
    }
    KRILL_CHECK(set_attributes(entry, name, parent_fd, leaf, false));
    dir_times_.push_back({path, {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}});
    return {};
  }

  Result<void> copy_data(int fd, const std::string& name) {
    const void* buffer;
    size_t size;
    la_int64_t offset;
    int status;
    while ((status = archive_read_data_block(reader_, &buffer, &size, &offset)) == ARCHIVE_OK) {
      const char* data = static_cast<const char*>(buffer);
      while (size > 0) {
        ssize_t written = ::pwrite(fd, data, size, offset);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) return entry_error(name, "write: " + std::string(std::strerror(errno)));
        data += written;
        size -= static_cast<size_t>(written);
        offset += written;
      }
    }
    if (status != ARCHIVE_EOF) return entry_error(name, archive_error_string(reader_));
    return {};
  }

  Result<void> write_regular(archive_entry* entry, const std::string& name, int parent_fd,
                             const std::string& leaf) {
    std::string temp = temp_name();
    UniqueFd fd(::openat(parent_fd, temp.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return entry_error(name, "create: " + std::string(std::strerror(errno)));
    auto written = copy_data(fd.get(), name);
    if (written && archive_entry_size_is_set(entry) &&
        ::ftruncate(fd.get(), archive_entry_size(entry)) != 0) {
      written = entry_error(name, "truncate: " + std::string(std::strerror(errno)));
    }
    fd.reset();
    if (written) written = set_attributes(entry, name, parent_fd, temp, false);
    if (written && ::renameat(parent_fd, temp.c_str(), parent_fd, leaf.c_str()) != 0) {
      written = entry_error(name, "rename: " + std::string(std::strerror(errno)));
    }
    if (!written) ::unlinkat(parent_fd, temp.c_str(), 0);
    return written;
  }

  Result<void> make_symlink(archive_entry* entry, const std::string& name, int parent_fd,
                            const std::string& leaf) {
    const char* target = archive_entry_symlink(entry);
    remove_existing(parent_fd, leaf);
    if (::symlinkat(target ? target : "", parent_fd, leaf.c_str()) != 0) {
      return entry_error(name, "symlink: " + std::string(std::strerror(errno)));
    }
    return set_attributes(entry, name, parent_fd, leaf, true);
  }

  Result<void> make_node(archive_entry* entry, const std::string& name, int parent_fd,
                         const std::string& leaf) {
    remove_existing(parent_fd, leaf);
    dev_t dev = makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
    if (::mknodat(parent_fd, leaf.c_str(), archive_entry_filetype(entry) | 0600, dev) != 0) {
      return entry_error(name, "mknod: " + std::string(std::strerror(errno)));
    }
    return set_attributes(entry, name, parent_fd, leaf, false);
  }

  Result<void> make_hardlink(const std::string& name, const std::string& link,
                             const UniqueFd& parent, const std::string& leaf) {
    std::string target_rel = KRILL_TRY(target_path(link));
    if (target_rel.empty()) return entry_error(name, "hardlink to the root");
    std::string target_parent_path = join_path(base_, split_parent(target_rel).first);
    auto target_parent =
        open_resolved(root_fd_, target_parent_path, O_PATH | O_DIRECTORY, options_.resolve);
    if (!target_parent) return entry_error(name, "hardlink target \"" + link + "\" not found");
    remove_existing(parent.get(), leaf);
    if (::linkat(target_parent->get(), split_parent(target_rel).second.c_str(), parent.get(),
                 leaf.c_str(), 0) != 0) {
      return entry_error(name, "link to \"" + link + "\": " + std::strerror(errno));
    }
    return {};
  }

  Result<void> apply_directory_times() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      auto fd = open_resolved(root_fd_, it->path, O_RDONLY | O_DIRECTORY, options_.resolve);
      if (!fd) continue;
      timespec times[2] = {it->mtime, it->mtime};
      ::futimens(fd->get(), times);
    }
    return {};
  }

  archive* reader_;
  int root_fd_;
  std::string base_;
  const UnpackOptions& options_;
  std::vector<DirTime> dir_times_;
};

}  // namespace

Result<void> unpack_archive(int input_fd, int root_fd, const std::string& base,
                            const UnpackOptions& options) {
  ArchivePtr reader = open_reader(input_fd);
  if (!reader) return fail(options.what + ": cannot read the archive");
  Unpacker unpacker(reader.get(), root_fd, base, options);
  return unpacker.run();
}

bool is_tar_archive(int fd) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return false;
  ArchivePtr reader = open_reader(fd);
  archive_entry* entry = nullptr;
  bool tar = reader && archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK;
  reader.reset();
  ::lseek(fd, 0, SEEK_SET);
  return tar;
}

}  // namespace krill::build::detail
