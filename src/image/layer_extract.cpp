#include "image/layer_extract.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "base/unique_fd.h"
#include "image/whiteout.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::image {
namespace {

constexpr size_t kTarBufferSize = 128 * 1024;
constexpr size_t kQuoteLimit = 200;

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out += text.size() > kQuoteLimit ? std::string(text.substr(0, kQuoteLimit)) + "..." : text;
  return out + "\"";
}

std::string join(const std::vector<std::string>& components, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i) out += '/';
    out += components[i];
  }
  return out;
}

bool all_zero(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return size == 0 || (bytes[0] == 0 && std::memcmp(bytes, bytes + 1, size - 1) == 0);
}

Result<void> pwrite_all(int fd, const void* data, size_t size, off_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write file data");
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return {};
}

// The path that reaches `name` in `dir_fd` without following it (for l*xattr calls).
std::string proc_path(int dir_fd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
}

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// Directory attributes applied after all content (mode last so that a read-only
// directory can still be filled; mtime last because filling it changes it).
struct DeferredDirectory {
  std::vector<std::string> components;
  mode_t mode = 0755;
  bool has_times = false;
  struct timespec times[2]{};
};

struct Existing {
  bool exists = false;
  bool is_dir = false;
  bool is_whiteout = false;
};

class Extractor {
 public:
  Extractor(const ExtractOptions& options, LayerStream& stream, UniqueFd root)
      : options_(options), stream_(stream), root_(std::move(root)), buffer_(kTarBufferSize) {}

  Result<void> run() {
    tar_.reset(archive_read_new());
    if (!tar_) return fail("read layer tar: out of memory");
    archive_read_support_format_tar(tar_.get());
    if (archive_read_open(tar_.get(), this, nullptr, &tar_read_callback, nullptr) != ARCHIVE_OK) {
      return tar_failure();
    }
    while (true) {
      archive_entry* entry = nullptr;
      const int r = archive_read_next_header(tar_.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return tar_failure();
      if (r == ARCHIVE_WARN) {
        const char* message = archive_error_string(tar_.get());
        warnings.push_back(std::string("layer tar: ") + (message ? message : "warning"));
      }
      KRILL_CHECK(apply(entry));
    }
    KRILL_CHECK(stream_.drain());
    return finish_directories();
  }

  std::vector<std::string> warnings;

 private:
  static la_ssize_t tar_read_callback(archive*, void* client, const void** out) {
    auto* self = static_cast<Extractor*>(client);
    auto n = self->stream_.read(self->buffer_);
    if (!n) {
      if (!self->stream_error_) self->stream_error_ = std::move(n.error());
      return ARCHIVE_FATAL;
    }
    *out = self->buffer_.data();
    return static_cast<la_ssize_t>(*n);
  }

  std::unexpected<Error> tar_failure() {
    if (stream_error_) return std::unexpected(*stream_error_);
    const char* message = archive_error_string(tar_.get());
    return fail(std::string("read layer tar: ") + (message ? message : "unknown error"));
  }

  void warn(const std::string& what) {
    warnings.push_back("layer entry " + quoted(entry_) + ": " + what);
  }

  // --- directories -------------------------------------------------------------

  // Opens the directory made of the first `count` components, one component at a
  // time, never following symlinks; missing directories are created (0755) when
  // `create`; a whiteout of this layer in the way is replaced by an opaque directory.
  Result<UniqueFd> open_dir(const std::vector<std::string>& components, size_t count, bool create) {
    std::string key = join(components, count);
    if (cached_fd_ && key == cached_key_) return dup_fd(cached_fd_.get());
    UniqueFd current = KRILL_TRY(dup_fd(root_.get()));
    for (size_t i = 0; i < count; ++i) {
      const std::string& name = components[i];
      int fd = openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        const std::string shown = join(components, i + 1);
        if (err == ENOENT && create) {
          if (mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
            return fail_errno("create parent directory " + quoted(shown));
          }
          fd = openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0) return fail_errno("open parent directory " + quoted(shown));
          if (fchmod(fd, 0755) != 0) {
            ::close(fd);
            return fail_errno("chmod parent directory " + quoted(shown));
          }
        } else if (err == ENOTDIR || err == ELOOP) {
          struct stat st {};
          if (fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && create &&
              is_overlay_whiteout(current.get(), name, st)) {
            // `.wh.a` then `a/b` in the same layer: `a` is recreated, hiding the lower one.
            if (unlinkat(current.get(), name.c_str(), 0) != 0 ||
                mkdirat(current.get(), name.c_str(), 0755) != 0) {
              return fail_errno("replace whiteout " + quoted(shown) + " by a directory");
            }
            fd = openat(current.get(), name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) return fail_errno("open parent directory " + quoted(shown));
            UniqueFd owned(fd);
            KRILL_CHECK(set_overlay_opaque(fd, options_.rootless));
            fd = owned.release();
          } else if (S_ISLNK(st.st_mode)) {
            return fail("parent " + quoted(shown) + " is a symlink (not followed)");
          } else {
            return fail("parent " + quoted(shown) + " is not a directory");
          }
        } else {
          return fail_errno("open parent directory " + quoted(shown), err);
        }
      }
      current.reset(fd);
    }
    cached_key_ = std::move(key);
    cached_fd_ = KRILL_TRY(dup_fd(current.get()));
    return current;
  }

  static Result<UniqueFd> dup_fd(int fd) {
    UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!copy) return fail_errno("dup directory fd");
    return copy;
  }

  void invalidate_dir_cache() {
    cached_fd_.reset();
    cached_key_.clear();
  }

  // rm -rf of `name` in `dir_fd`, never following symlinks.
  Result<void> remove_tree(int dir_fd, const std::string& name) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fail_errno("open directory " + quoted(name) + " to replace it");
    std::vector<std::pair<std::string, bool>> children;
    {
      UniqueFd list_fd = KRILL_TRY(dup_fd(fd.get()));
      DIR* dir = fdopendir(list_fd.get());
      if (!dir) return fail_errno("list directory " + quoted(name));
      list_fd.release();
      while (dirent* d = readdir(dir)) {
        std::string child = d->d_name;
        if (child == "." || child == "..") continue;
        struct stat st {};
        if (fstatat(fd.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        children.emplace_back(std::move(child), S_ISDIR(st.st_mode));
      }
      closedir(dir);
    }
    for (const auto& [child, is_dir] : children) {
      if (is_dir) {
        KRILL_CHECK(remove_tree(fd.get(), child));
      } else if (unlinkat(fd.get(), child.c_str(), 0) != 0) {
        return fail_errno("remove " + quoted(child));
      }
    }
    if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) {
      return fail_errno("remove directory " + quoted(name));
    }
    return {};
  }

  // "Changeset over existing files": a directory over a directory stays (its attributes
  // are replaced); anything else is removed first.
  Result<Existing> remove_existing(int dir_fd, const std::string& name, bool keep_directory) {
    struct stat st {};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return Existing{};
      return fail_errno("stat existing entry");
    }
    Existing existing{true, S_ISDIR(st.st_mode), is_overlay_whiteout(dir_fd, name, st)};
    if (existing.is_dir) {
      if (keep_directory) return existing;
      invalidate_dir_cache();
      KRILL_CHECK(remove_tree(dir_fd, name));
    } else if (unlinkat(dir_fd, name.c_str(), 0) != 0) {
      return fail_errno("remove existing entry");
    }
    return existing;
  }

  // --- attributes ----------------------------------------------------------------

  Result<void> chown_outcome(int rc, uid_t uid, gid_t gid) {
    if (rc == 0) return {};
    const int err = errno;
    const std::string what = "chown to " + std::to_string(uid) + ":" + std::to_string(gid);
    if (!options_.rootless) return fail_errno(what, err);
    if (!chown_warned_) {
      warn(what + ": " + std::strerror(err) +
           " (ownership not preserved; further chown "
           "failures are not reported)");
      chown_warned_ = true;
    }
    return {};
  }

  // Xattrs of the entry, on an open fd (files, directories) or through the fd's
  // /proc path (symlinks, devices, fifos: never followed).
  void set_xattrs(archive_entry* entry, int fd, int dir_fd, const std::string& name) {
    archive_entry_xattr_reset(entry);
    const char* xattr_name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    std::vector<std::string> seen;  // pax can carry an xattr twice (LIBARCHIVE. and SCHILY.)
    while (archive_entry_xattr_next(entry, &xattr_name, &value, &size) == ARCHIVE_OK) {
      if (!xattr_name) continue;
      if (std::find(seen.begin(), seen.end(), xattr_name) != seen.end()) continue;
      seen.emplace_back(xattr_name);
      if (is_overlay_xattr(xattr_name)) {
        warn(std::string("xattr ") + xattr_name + " ignored: overlayfs would interpret it");
        continue;
      }
      const int rc = fd >= 0
                         ? fsetxattr(fd, xattr_name, value, size, 0)
                         : lsetxattr(proc_path(dir_fd, name).c_str(), xattr_name, value, size, 0);
      if (rc != 0) {
        warn(std::string("xattr ") + xattr_name + " not set: " + std::strerror(errno));
      }
    }
  }

  static bool entry_times(archive_entry* entry, struct timespec times[2]) {
    if (!archive_entry_mtime_is_set(entry)) return false;
    times[1].tv_sec = archive_entry_mtime(entry);
    times[1].tv_nsec = archive_entry_mtime_nsec(entry);
    if (archive_entry_atime_is_set(entry)) {
      times[0].tv_sec = archive_entry_atime(entry);
      times[0].tv_nsec = archive_entry_atime_nsec(entry);
    } else {
      times[0] = times[1];
    }
    return true;
  }

  // --- entries -------------------------------------------------------------------

  Result<void> apply(archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    if (!raw) raw = archive_entry_pathname_utf8(entry);
    if (!raw) return fail("layer entry without a path");
    entry_ = raw;
    auto result = apply_entry(entry);
    if (!result)
      return std::unexpected(std::move(result.error()).context("layer entry " + quoted(entry_)));
    return {};
  }

  Result<void> apply_entry(archive_entry* entry) {
    auto components = normalize_layer_path(entry_);
    if (!components) return fail("path escapes the layer");
    const char* hardlink = archive_entry_hardlink(entry);
    const mode_t type = archive_entry_filetype(entry);

    if (components->empty()) {  // the layer root itself ("./")
      if (hardlink || type != AE_IFDIR) return fail("the layer root must be a directory");
      KRILL_CHECK(
          chown_outcome(fchown(root_.get(), archive_entry_uid(entry), archive_entry_gid(entry)),
                        archive_entry_uid(entry), archive_entry_gid(entry)));
      set_xattrs(entry, root_.get(), -1, "");
      defer_directory(entry, {});
      return {};
    }

    const std::string name = components->back();
    UniqueFd parent = KRILL_TRY(open_dir(*components, components->size() - 1, true));

    if (is_opaque_whiteout(name)) return set_overlay_opaque(parent.get(), options_.rootless);
    if (auto target = whiteout_target(name)) return apply_whiteout(parent.get(), *target);

    if (hardlink) return apply_hardlink(entry, hardlink, *components, parent.get(), name);
    switch (type) {
      case AE_IFREG:
        return apply_file(entry, parent.get(), name);
      case AE_IFDIR:
        return apply_directory(entry, *components, parent.get(), name);
      case AE_IFLNK:
        return apply_symlink(entry, parent.get(), name);
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        return apply_special(entry, parent.get(), name, type);
      default:
        warn("skipped: unsupported file type " + std::to_string(type));
        return {};
    }
  }

  Result<void> apply_whiteout(int parent, std::string_view target_view) {
    const std::string target(target_view);
    if (target.empty() || target == ".") return fail("invalid whiteout name");
    if (target == "..") return fail("path escapes the layer");
    struct stat st {};
    if (fstatat(parent, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      // Whiteouts apply to lower layers only; an entry of this layer stays. A directory
      // of this layer replaces the deleted lower one entirely: it becomes opaque.
      if (S_ISDIR(st.st_mode)) {
        UniqueFd dir(
            openat(parent, target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!dir) return fail_errno("open directory " + quoted(target));
        return set_overlay_opaque(dir.get(), options_.rootless);
      }
      return {};
    }
    if (errno != ENOENT) return fail_errno("stat " + quoted(target));
    KRILL_TRY(create_overlay_whiteout(parent, target, options_.rootless));
    return {};
  }

  Result<void> apply_file(archive_entry* entry, int parent, const std::string& name) {
    KRILL_TRY(remove_existing(parent, name, false));
    UniqueFd fd(
        openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return fail_errno("create file");
    while (true) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(tar_.get(), &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return tar_failure();
      if (all_zero(block, size)) continue;  // left as a hole
      KRILL_CHECK(pwrite_all(fd.get(), block, size, static_cast<off_t>(offset)));
    }
    if (ftruncate(fd.get(), static_cast<off_t>(archive_entry_size(entry))) != 0) {
      return fail_errno("set file size");
    }
    return set_fd_attributes(entry, fd.get());
  }

  Result<void> set_fd_attributes(archive_entry* entry, int fd) {
    const uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
    const gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
    KRILL_CHECK(chown_outcome(fchown(fd, uid, gid), uid, gid));
    // After chown, which clears setuid/setgid and security.capability.
    if (fchmod(fd, archive_entry_perm(entry) & 07777) != 0) return fail_errno("chmod");
    set_xattrs(entry, fd, -1, "");
    struct timespec times[2];
    if (entry_times(entry, times) && futimens(fd, times) != 0) return fail_errno("set times");
    return {};
  }

  void defer_directory(archive_entry* entry, std::vector<std::string> components) {
    DeferredDirectory deferred;
    deferred.components = std::move(components);
    deferred.mode = archive_entry_perm(entry) & 07777;
    deferred.has_times = entry_times(entry, deferred.times);
    std::string key = join(deferred.components, deferred.components.size());
    directories_[std::move(key)] = std::move(deferred);
  }

  Result<void> apply_directory(archive_entry* entry, const std::vector<std::string>& components,
                               int parent, const std::string& name) {
    const Existing existing = KRILL_TRY(remove_existing(parent, name, true));
    if (!existing.is_dir && mkdirat(parent, name.c_str(), 0700) != 0) {
      return fail_errno("create directory");
    }
    UniqueFd dir(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return fail_errno("open directory");
    if (existing.is_whiteout) KRILL_CHECK(set_overlay_opaque(dir.get(), options_.rootless));
    const uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
    const gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
    KRILL_CHECK(chown_outcome(fchown(dir.get(), uid, gid), uid, gid));
    set_xattrs(entry, dir.get(), -1, "");
    defer_directory(entry, components);
    return {};
  }

  Result<void> apply_symlink(archive_entry* entry, int parent, const std::string& name) {
    const char* target = archive_entry_symlink(entry);
    if (!target) target = archive_entry_symlink_utf8(entry);
    if (!target) return fail("symlink without a target");
    KRILL_TRY(remove_existing(parent, name, false));
    if (symlinkat(target, parent, name.c_str()) != 0) return fail_errno("create symlink");
    return set_path_attributes(entry, parent, name, false);
  }

  // Attributes of a symlink, device or fifo: by name in `parent`, never followed.
  Result<void> set_path_attributes(archive_entry* entry, int parent, const std::string& name,
                                   bool set_mode) {
    const uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
    const gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
    KRILL_CHECK(
        chown_outcome(fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW), uid, gid));
    // Only for devices and fifos, which fchmodat does not "follow".
    if (set_mode && fchmodat(parent, name.c_str(), archive_entry_perm(entry) & 07777, 0) != 0) {
      return fail_errno("chmod");
    }
    set_xattrs(entry, -1, parent, name);
    struct timespec times[2];
    if (entry_times(entry, times) &&
        utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno("set times");
    }
    return {};
  }

  Result<void> apply_special(archive_entry* entry, int parent, const std::string& name,
                             mode_t type) {
    if (type != AE_IFIFO && options_.rootless) {
      warn("device node skipped (rootless)");
      return {};
    }
    KRILL_TRY(remove_existing(parent, name, false));
    if (mknodat(parent, name.c_str(), type | 0600, archive_entry_rdev(entry)) != 0) {
      if (errno == EPERM || errno == EACCES) {
        warn(std::string(type == AE_IFIFO ? "fifo" : "device node") +
             " skipped: " + std::strerror(errno));
        return {};
      }
      return fail_errno("mknod");
    }
    return set_path_attributes(entry, parent, name, true);
  }

  Result<void> apply_hardlink(archive_entry* entry, const char* link_target,
                              const std::vector<std::string>& components, int parent,
                              const std::string& name) {
    (void)entry;
    auto target = normalize_layer_path(link_target);
    if (!target || target->empty()) {
      return fail("hardlink target " + quoted(link_target) + " escapes the layer");
    }
    auto target_parent = open_dir(*target, target->size() - 1, false);
    if (!target_parent) {
      return fail("hardlink target " + quoted(link_target) +
                  " is not in the layer: " + target_parent.error().message());
    }
    const std::string& target_name = target->back();
    struct stat target_st {};
    if (fstatat(target_parent->get(), target_name.c_str(), &target_st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT)
        return fail("hardlink target " + quoted(link_target) + " is not in the layer");
      return fail_errno("stat hardlink target " + quoted(link_target));
    }
    if (S_ISDIR(target_st.st_mode)) {
      return fail("hardlink target " + quoted(link_target) + " is a directory");
    }
    if (*target == components) return {};
    struct stat st {};
    if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_ino == target_st.st_ino && st.st_dev == target_st.st_dev) {
      return {};
    }
    KRILL_TRY(remove_existing(parent, name, false));
    if (linkat(target_parent->get(), target_name.c_str(), parent, name.c_str(), 0) != 0) {
      return fail_errno("create hardlink to " + quoted(link_target));
    }
    return {};
  }

  Result<void> finish_directories() {
    std::vector<DeferredDirectory*> order;
    order.reserve(directories_.size());
    for (auto& [key, deferred] : directories_) order.push_back(&deferred);
    // Deepest first: a parent's restrictive mode never blocks reaching its children.
    std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
      return a->components.size() > b->components.size();
    });
    for (DeferredDirectory* deferred : order) {
      entry_ = deferred->components.empty()
                   ? "./"
                   : join(deferred->components, deferred->components.size());
      auto dir = open_dir(deferred->components, deferred->components.size(), false);
      if (!dir) continue;  // replaced by a later entry
      if (fchmod(dir->get(), deferred->mode) != 0) {
        return std::unexpected(Error::from_errno("chmod").context("layer entry " + quoted(entry_)));
      }
      if (deferred->has_times && futimens(dir->get(), deferred->times) != 0) {
        return std::unexpected(
            Error::from_errno("set times").context("layer entry " + quoted(entry_)));
      }
    }
    return {};
  }

  const ExtractOptions& options_;
  LayerStream& stream_;
  UniqueFd root_;
  std::vector<std::byte> buffer_;
  std::unique_ptr<archive, ArchiveReadDeleter> tar_;
  std::optional<Error> stream_error_;
  std::string entry_;  // the raw path of the entry being applied
  std::string cached_key_;
  UniqueFd cached_fd_;
  std::map<std::string, DeferredDirectory> directories_;
  bool chown_warned_ = false;
};

}  // namespace

std::optional<std::vector<std::string>> normalize_layer_path(std::string_view path) {
  std::vector<std::string> components;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view component = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (component.empty() || component == ".") continue;
    if (component == "..") {
      if (components.empty()) return std::nullopt;
      components.pop_back();
      continue;
    }
    components.emplace_back(component);
  }
  return components;
}

Result<ExtractResult> extract_layer(int input_fd, const std::string& target_dir,
                                    const ExtractOptions& options) {
  UniqueFd root(open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open layer directory " + target_dir);
  LayerStream::Options stream_options;
  stream_options.max_uncompressed_bytes = options.max_uncompressed_bytes;
  stream_options.progress = options.progress;
  stream_options.compressed_sink = options.compressed_sink;
  auto stream = KRILL_TRY(LayerStream::open(input_fd, std::move(stream_options)));

  Extractor extractor(options, *stream, std::move(root));
  auto done = extractor.run();
  if (!done) {
    return std::unexpected(std::move(done.error()).context("extract layer into " + target_dir));
  }
  ExtractResult result;
  result.compressed_digest = stream->compressed_digest();
  result.diff_id = stream->diff_id();
  result.compressed_size = stream->compressed_size();
  result.uncompressed_size = stream->uncompressed_size();
  result.warnings = std::move(extractor.warnings);
  return result;
}

}  // namespace krill::image
