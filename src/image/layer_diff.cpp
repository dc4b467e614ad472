#include "image/layer_diff.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "image/digest.h"
#include "image/whiteout.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::image {
namespace {

constexpr size_t kCopyBufferSize = 128 * 1024;

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string proc_path(int dir_fd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
}

std::string archive_message(archive* a) {
  const char* message = archive_error_string(a);
  return message ? message : "unknown error";
}

Result<std::vector<std::string>> sorted_names(int dir_fd, const std::string& shown) {
  UniqueFd list_fd(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  if (!list_fd) return fail_errno("dup directory fd of " + shown);
  DIR* dir = fdopendir(list_fd.get());
  if (!dir) return fail_errno("list " + shown);
  list_fd.release();
  rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  const int err = errno;
  closedir(dir);
  if (err != 0) return fail_errno("list " + shown, err);
  std::sort(names.begin(), names.end());
  return names;
}

class LayerWriter {
 public:
  LayerWriter(int out_fd, const DiffOptions& options, Hasher tar_hasher, Hasher out_hasher)
      : out_fd_(out_fd),
        options_(options),
        tar_hasher_(std::move(tar_hasher)),
        out_hasher_(std::move(out_hasher)),
        buffer_(kCopyBufferSize) {}

  Result<void> open() {
    if (options_.gzip) {
      gzip_.reset(archive_write_new());
      if (!gzip_) return fail("write layer: out of memory");
      if (archive_write_add_filter_gzip(gzip_.get()) != ARCHIVE_OK ||
          archive_write_set_filter_option(gzip_.get(), "gzip", "timestamp", nullptr) !=
              ARCHIVE_OK ||
          (options_.gzip_level > 0 &&
           archive_write_set_filter_option(gzip_.get(), "gzip", "compression-level",
                                           std::to_string(options_.gzip_level).c_str()) !=
               ARCHIVE_OK) ||
          archive_write_set_format_raw(gzip_.get()) != ARCHIVE_OK ||
          archive_write_set_bytes_per_block(gzip_.get(), 64 * 1024) != ARCHIVE_OK ||
          archive_write_set_bytes_in_last_block(gzip_.get(), 1) != ARCHIVE_OK ||
          archive_write_open(gzip_.get(), this, nullptr, &gzip_write_callback, nullptr) !=
              ARCHIVE_OK) {
        return failure(gzip_.get(), "set up gzip");
      }
      EntryPtr raw(archive_entry_new());
      archive_entry_set_pathname(raw.get(), "layer.tar");
      archive_entry_set_filetype(raw.get(), AE_IFREG);
      archive_entry_set_perm(raw.get(), 0644);
      if (archive_write_header(gzip_.get(), raw.get()) != ARCHIVE_OK) {
        return failure(gzip_.get(), "set up gzip");
      }
    }
    tar_.reset(archive_write_new());
    if (!tar_) return fail("write layer: out of memory");
    if (archive_write_set_format_pax_restricted(tar_.get()) != ARCHIVE_OK ||
        // Xattrs as SCHILY.xattr only, as Go's archive/tar (docker, podman) writes them.
        archive_write_set_format_option(tar_.get(), "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(tar_.get(), 1) != ARCHIVE_OK ||
        archive_write_open(tar_.get(), this, nullptr, &tar_write_callback, nullptr) != ARCHIVE_OK) {
      return failure(tar_.get(), "set up tar");
    }
    return {};
  }

  Result<void> walk(int dir_fd, const std::string& prefix) {
    const std::string shown = prefix.empty() ? "upper directory" : "\"" + prefix + "\"";
    const auto names = KRILL_TRY(sorted_names(dir_fd, shown));
    std::vector<std::pair<std::string, struct stat>> whiteouts, others;
    for (const std::string& name : names) {
      struct stat st {};
      if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail_errno("stat \"" + prefix + name + "\"");
      }
      if (is_overlay_whiteout(dir_fd, name, st)) {
        whiteouts.emplace_back(name, st);
      } else {
        others.emplace_back(name, st);
      }
    }
    for (const auto& [name, st] : whiteouts) {
      KRILL_CHECK(write_marker(prefix + std::string(kWhiteoutPrefix) + name, st));
    }
    for (const auto& [name, st] : others) {
      const std::string path = prefix + name;
      if (S_ISSOCK(st.st_mode)) {
        warnings.push_back("\"" + path + "\": socket skipped");
        continue;
      }
      if (!S_ISDIR(st.st_mode)) {
        KRILL_CHECK(write_entry(dir_fd, name, path, st));
        continue;
      }
      UniqueFd child(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) return fail_errno("open \"" + path + "\"");
      KRILL_CHECK(write_entry(dir_fd, name, path, st));
      if (is_overlay_opaque(child.get())) {
        KRILL_CHECK(write_marker(path + "/" + std::string(kOpaqueWhiteout), st));
      }
      KRILL_CHECK(walk(child.get(), path + "/"));
    }
    return {};
  }

  Result<ExtractResult> close() {
    if (archive_write_close(tar_.get()) != ARCHIVE_OK) return failure(tar_.get(), "finish tar");
    if (gzip_ && archive_write_close(gzip_.get()) != ARCHIVE_OK) {
      return failure(gzip_.get(), "finish gzip");
    }
    ExtractResult result;
    result.diff_id = tar_hasher_.finish().str();
    result.uncompressed_size = tar_size_;
    result.compressed_digest = out_hasher_.finish().str();
    result.compressed_size = out_size_;
    result.warnings = std::move(warnings);
    return result;
  }

  std::vector<std::string> warnings;

 private:
  static la_ssize_t tar_write_callback(archive*, void* client, const void* data, size_t size) {
    auto* self = static_cast<LayerWriter*>(client);
    self->tar_hasher_.update(std::string_view(static_cast<const char*>(data), size));
    self->tar_size_ += size;
    if (self->gzip_) {
      const la_ssize_t n = archive_write_data(self->gzip_.get(), data, size);
      if (n < 0) {
        if (!self->error_)
          self->error_ = Error("gzip layer: " + archive_message(self->gzip_.get()));
        return ARCHIVE_FATAL;
      }
      return static_cast<la_ssize_t>(size);
    }
    return self->write_out(data, size);
  }

  static la_ssize_t gzip_write_callback(archive*, void* client, const void* data, size_t size) {
    return static_cast<LayerWriter*>(client)->write_out(data, size);
  }

  la_ssize_t write_out(const void* data, size_t size) {
    const auto* p = static_cast<const char*>(data);
    size_t left = size;
    while (left > 0) {
      const ssize_t n = ::write(out_fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (!error_) error_ = Error::from_errno("write layer");
        return ARCHIVE_FATAL;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    out_hasher_.update(std::string_view(static_cast<const char*>(data), size));
    out_size_ += size;
    return static_cast<la_ssize_t>(size);
  }

  std::unexpected<Error> failure(archive* a, const std::string& what) {
    if (error_) return std::unexpected(*error_);
    return fail("write layer: " + what + ": " + archive_message(a));
  }

  void set_times(archive_entry* e, const struct stat& st) {
    if (options_.timestamp) {
      archive_entry_set_mtime(e, static_cast<time_t>(*options_.timestamp), 0);
    } else {
      archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
  }

  // `.wh.NAME` or `.wh..wh..opq`: an empty regular file.
  Result<void> write_marker(const std::string& path, const struct stat& st) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    set_times(e.get(), st);
    if (archive_write_header(tar_.get(), e.get()) != ARCHIVE_OK) {
      return failure(tar_.get(), "entry \"" + path + "\"");
    }
    return {};
  }

  Result<void> add_xattrs(archive_entry* e, int dir_fd, const std::string& name,
                          const std::string& path) {
    const std::string at = proc_path(dir_fd, name);
    ssize_t size = llistxattr(at.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) return {};
      return fail_errno("list xattrs of \"" + path + "\"");
    }
    std::string list(static_cast<size_t>(size), '\0');
    size = llistxattr(at.c_str(), list.data(), list.size());
    if (size < 0) return fail_errno("list xattrs of \"" + path + "\"");
    list.resize(static_cast<size_t>(size));
    std::vector<std::string> names;
    for (size_t pos = 0; pos < list.size();) {
      const size_t end = list.find('\0', pos);
      names.push_back(list.substr(pos, end - pos));
      pos = end == std::string::npos ? list.size() : end + 1;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& xattr : names) {
      if (is_overlay_xattr(xattr)) {
        if (xattr.ends_with("overlay.redirect")) {
          warnings.push_back("\"" + path +
                             "\": renamed directory (overlay redirect) written "
                             "without its lower content");
        } else if (xattr.ends_with("overlay.metacopy")) {
          warnings.push_back("\"" + path +
                             "\": metadata-only copy up (overlay metacopy): "
                             "its data is in a lower layer");
        }
        continue;
      }
      ssize_t value_size = lgetxattr(at.c_str(), xattr.c_str(), nullptr, 0);
      if (value_size < 0) return fail_errno("read xattr " + xattr + " of \"" + path + "\"");
      std::string value(static_cast<size_t>(value_size), '\0');
      value_size = lgetxattr(at.c_str(), xattr.c_str(), value.data(), value.size());
      if (value_size < 0) return fail_errno("read xattr " + xattr + " of \"" + path + "\"");
      archive_entry_xattr_add_entry(e, xattr.c_str(), value.data(),
                                    static_cast<size_t>(value_size));
    }
    return {};
  }

  Result<void> write_entry(int dir_fd, const std::string& name, const std::string& path,
                           const struct stat& st) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    set_times(e.get(), st);
    bool copy_data = false;
    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
    } else {
      if (S_ISREG(st.st_mode)) {
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_size(e.get(), st.st_size);
        copy_data = true;
      } else if (S_ISLNK(st.st_mode)) {
        archive_entry_set_filetype(e.get(), AE_IFLNK);
        std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
        const ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) return fail_errno("read symlink \"" + path + "\"");
        target.resize(static_cast<size_t>(n));
        archive_entry_set_symlink(e.get(), target.c_str());
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdev(e.get(), st.st_rdev);
      } else if (S_ISFIFO(st.st_mode)) {
        archive_entry_set_filetype(e.get(), AE_IFIFO);
      }
      if (st.st_nlink > 1) {
        const auto key = std::make_pair(st.st_dev, st.st_ino);
        auto [it, inserted] = hardlinks_.try_emplace(key, path);
        if (!inserted) {
          archive_entry_set_hardlink(e.get(), it->second.c_str());
          archive_entry_set_size(e.get(), 0);
          copy_data = false;
        }
      }
    }
    KRILL_CHECK(add_xattrs(e.get(), dir_fd, name, path));
    if (archive_write_header(tar_.get(), e.get()) < ARCHIVE_WARN) {
      return failure(tar_.get(), "entry \"" + path + "\"");
    }
    if (!copy_data) return {};
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fail_errno("open \"" + path + "\"");
    off_t left = st.st_size;
    while (left > 0) {
      const size_t want = static_cast<size_t>(std::min<off_t>(left, buffer_.size()));
      const ssize_t n = ::read(fd.get(), buffer_.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("read \"" + path + "\"");
      if (n == 0) return fail("read \"" + path + "\": the file shrank while being written");
      if (archive_write_data(tar_.get(), buffer_.data(), static_cast<size_t>(n)) < 0) {
        return failure(tar_.get(), "data of \"" + path + "\"");
      }
      left -= n;
    }
    return {};
  }

  int out_fd_;
  const DiffOptions& options_;
  Hasher tar_hasher_;
  Hasher out_hasher_;
  uint64_t tar_size_ = 0;
  uint64_t out_size_ = 0;
  std::vector<char> buffer_;
  std::optional<Error> error_;
  std::map<std::pair<dev_t, ino_t>, std::string> hardlinks_;
  // Declared last: freed first (the tar flushes into the gzip archive).
  std::unique_ptr<archive, ArchiveWriteDeleter> gzip_;
  std::unique_ptr<archive, ArchiveWriteDeleter> tar_;
};

}  // namespace

Result<ExtractResult> write_layer_from_upper(const std::string& upper_dir, int out_fd,
                                             const DiffOptions& options) {
  UniqueFd root(open(upper_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open upper directory " + upper_dir);
  auto tar_hasher = KRILL_TRY(Hasher::create("sha256"));
  auto out_hasher = KRILL_TRY(Hasher::create("sha256"));
  LayerWriter writer(out_fd, options, std::move(tar_hasher), std::move(out_hasher));
  auto result = [&]() -> Result<ExtractResult> {
    KRILL_CHECK(writer.open());
    KRILL_CHECK(writer.walk(root.get(), ""));
    return writer.close();
  }();
  if (!result) {
    return std::unexpected(std::move(result.error()).context("write layer from " + upper_dir));
  }
  return result;
}

}  // namespace krill::image
