// TarWriter and the path roots of tar_tree.h.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "engine/tar_tree.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::engine {

Result<PathRoot> host_root() {
  PathRoot root;
  root.fd = UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.fd) return fail_errno("open /");
  root.contained = false;
  root.what = "the host";
  return root;
}

Result<PathRoot> contained_root(const std::string& dir, std::string what) {
  PathRoot root;
  root.fd = UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.fd) return fail_errno("open " + dir);
  root.contained = true;
  root.what = std::move(what);
  return root;
}

Result<UniqueFd> open_at_root(const PathRoot& root, const std::string& path, int flags) {
  std::string rel = path;
  if (root.contained) {
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  }
  if (rel.empty()) rel = root.contained ? "." : "/";
  int fd = -1;
  if (root.contained) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    do {
      fd = static_cast<int>(::syscall(SYS_openat2, root.fd.get(), rel.c_str(), &how, sizeof how));
    } while (fd < 0 && errno == EAGAIN);
  } else {
    fd = ::openat(AT_FDCWD, rel.c_str(), flags | O_CLOEXEC);
  }
  if (fd < 0) return fail_errno(path);
  return UniqueFd(fd);
}

// ---- TarWriter ----

struct TarWriter::State {
  archive* a = nullptr;
  int out_fd = -1;
  bool xattrs = false;
  std::string write_error;
  std::map<std::pair<dev_t, ino_t>, std::string> links;  // first name of hardlinked files
  ~State() {
    if (a) archive_write_free(a);
  }
};

namespace {

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

la_ssize_t write_callback(archive*, void* data, const void* buffer, size_t length) {
  auto* state = static_cast<TarWriter::State*>(data);
  const char* p = static_cast<const char*>(buffer);
  size_t left = length;
  while (left > 0) {
    ssize_t n = ::write(state->out_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      state->write_error = std::strerror(errno);
      return -1;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return static_cast<la_ssize_t>(length);
}

// The names in a directory (any fd of it), sorted bytewise.
std::vector<std::string> sorted_children(int dir_fd, std::string& error) {
  std::vector<std::string> names;
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return names;
  }
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    error = std::strerror(errno);
    ::close(fd);
    return names;
  }
  errno = 0;
  while (dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  if (errno != 0) error = std::strerror(errno);
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// The extended attributes of an open file or directory (overlayfs' own are left out).
Result<void> add_xattrs(archive_entry* entry, int fd, const std::string& name) {
  ssize_t size = ::flistxattr(fd, nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return {};
    return fail_errno("list xattrs of " + name);
  }
  std::string names(static_cast<size_t>(size), '\0');
  size = ::flistxattr(fd, names.data(), names.size());
  if (size < 0) return fail_errno("list xattrs of " + name);
  names.resize(static_cast<size_t>(size));
  for (size_t at = 0; at < names.size();) {
    std::string key = names.c_str() + at;
    at += key.size() + 1;
    if (key.empty() || key.starts_with("trusted.overlay.") || key.starts_with("user.overlay."))
      continue;
    ssize_t length = ::fgetxattr(fd, key.c_str(), nullptr, 0);
    if (length < 0) continue;
    std::string value(static_cast<size_t>(length), '\0');
    length = ::fgetxattr(fd, key.c_str(), value.data(), value.size());
    if (length < 0) continue;
    archive_entry_xattr_add_entry(entry, key.c_str(), value.data(), static_cast<size_t>(length));
  }
  return {};
}

std::string join_name(const std::string& parent, const std::string& child) {
  if (parent.empty()) return child;
  if (parent == ".") return "./" + child;
  return parent + "/" + child;
}

}  // namespace

TarWriter::TarWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
TarWriter::TarWriter(TarWriter&&) noexcept = default;
TarWriter& TarWriter::operator=(TarWriter&&) noexcept = default;
TarWriter::~TarWriter() = default;

Result<TarWriter> TarWriter::open(int out_fd, bool xattrs) {
  auto state = std::make_unique<State>();
  state->out_fd = out_fd;
  state->xattrs = xattrs;
  state->a = archive_write_new();
  if (!state->a) return fail("tar: cannot allocate a writer");
  archive_write_set_format_pax_restricted(state->a);
  archive_write_set_bytes_in_last_block(state->a, 1);
  if (archive_write_open2(state->a, state.get(), nullptr, write_callback, nullptr, nullptr) !=
      ARCHIVE_OK)
    return fail(std::string("tar: open: ") + archive_error_string(state->a));
  return TarWriter(std::move(state));
}

Result<void> TarWriter::add(int fd, const std::string& name) {
  archive* a = state_->a;
  auto archive_failed = [&](const std::string& what) {
    const char* text = archive_error_string(a);
    std::string why = !state_->write_error.empty() ? state_->write_error
                      : text                       ? std::string(text)
                                                   : std::string("unknown error");
    return fail("tar " + what + " " + name + ": " + why);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno("stat " + name);
  if (S_ISSOCK(st.st_mode)) return {};
  Entry entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), S_ISDIR(st.st_mode) ? (name + "/").c_str() : name.c_str());
  archive_entry_set_mode(entry.get(), st.st_mode);
  archive_entry_set_uid(entry.get(), st.st_uid);
  archive_entry_set_gid(entry.get(), st.st_gid);
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (S_ISLNK(st.st_mode)) {
    std::string target(PATH_MAX, '\0');
    ssize_t n = ::readlinkat(fd, "", target.data(), target.size());
    if (n < 0) return fail_errno("readlink " + name);
    target.resize(static_cast<size_t>(n));
    archive_entry_set_symlink(entry.get(), target.c_str());
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdev(entry.get(), st.st_rdev);
  }

  UniqueFd data;
  if (S_ISREG(st.st_mode)) {
    if (st.st_nlink > 1) {
      auto [it, first] = state_->links.emplace(std::make_pair(st.st_dev, st.st_ino), name);
      if (!first) {
        archive_entry_set_hardlink(entry.get(), it->second.c_str());
        archive_entry_set_size(entry.get(), 0);
        if (archive_write_header(a, entry.get()) < ARCHIVE_WARN) return archive_failed("write");
        return {};
      }
    }
    // An O_PATH fd cannot be read: open the file it names (our own fd, not a container path).
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    data = UniqueFd(::open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!data) return fail_errno("open " + name);
    archive_entry_set_size(entry.get(), st.st_size);
  }
  UniqueFd dir;
  if (S_ISDIR(st.st_mode)) {
    dir = UniqueFd(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return fail_errno("open directory " + name);
  }
  if (state_->xattrs && (data || dir)) KRILL_CHECK(add_xattrs(entry.get(), data ? data.get() : dir.get(), name));
  if (archive_write_header(a, entry.get()) < ARCHIVE_WARN) return archive_failed("write");

  if (data) {
    std::vector<char> buffer(128 * 1024);
    off_t left = st.st_size;
    while (left > 0) {
      size_t want = static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(buffer.size())));
      ssize_t n = ::read(data.get(), buffer.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("read " + name);
      if (n == 0) {  // the file shrank: pad to the size in the header
        std::fill(buffer.begin(), buffer.end(), '\0');
        n = static_cast<ssize_t>(want);
      }
      if (archive_write_data(a, buffer.data(), static_cast<size_t>(n)) < 0)
        return archive_failed("write");
      left -= n;
    }
  }
  if (dir) {
    std::string error;
    auto names = sorted_children(dir.get(), error);
    if (!error.empty()) return fail("read directory " + name + ": " + error);
    for (const auto& child : names) {
      UniqueFd child_fd(::openat(fd, child.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!child_fd) {
        if (errno == ENOENT) continue;  // removed meanwhile (a running container)
        return fail_errno("open " + join_name(name, child));
      }
      KRILL_CHECK(add(child_fd.get(), join_name(name, child)));
    }
  }
  return {};
}

Result<void> TarWriter::add_children(int dir_fd) {
  std::string error;
  auto names = sorted_children(dir_fd, error);
  if (!error.empty()) return fail("read directory: " + error);
  for (const auto& child : names) {
    UniqueFd child_fd(::openat(dir_fd, child.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!child_fd) {
      if (errno == ENOENT) continue;
      return fail_errno("open " + child);
    }
    KRILL_CHECK(add(child_fd.get(), child));
  }
  return {};
}

Result<void> TarWriter::finish() {
  if (archive_write_close(state_->a) != ARCHIVE_OK) {
    const char* text = archive_error_string(state_->a);
    std::string why = !state_->write_error.empty() ? state_->write_error
                      : text                       ? std::string(text)
                                                   : std::string("unknown error");
    return fail("tar: finish: " + why);
  }
  return {};
}

}  // namespace krill::engine
