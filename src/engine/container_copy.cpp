// Docker's cp path rules over tar_tree.h (see container_copy.h).
#include "engine/container_copy.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <thread>

namespace krill::engine {
namespace {

struct SplitPath {
  std::string parent;           // "." = the current directory (host paths)
  std::string base;             // "" = the path names a directory itself ("/", "a/..")
  bool contents = false;        // ends with "/." : the directory's contents
  bool trailing_slash = false;  // ends with "/"
};

SplitPath split_path(std::string path) {
  SplitPath s;
  if (path == "." || path.ends_with("/.")) {
    s.contents = true;
    path.resize(path.size() - 1);
    if (path.empty()) path = ".";
  }
  if (path.size() > 1 && path.ends_with("/")) s.trailing_slash = !s.contents;
  while (path.size() > 1 && path.ends_with("/")) path.pop_back();
  if (path == "/" || path == ".") {
    s.parent = path;
    return s;
  }
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    s.parent = ".";
    s.base = path;
  } else {
    s.parent = slash == 0 ? "/" : path.substr(0, slash);
    s.base = path.substr(slash + 1);
  }
  if (s.base == "." || s.base == "..") {  // "a/.." names a directory: not split
    s.parent = path;
    s.base.clear();
  }
  return s;
}

std::string join(const std::string& parent, const std::string& base) {
  if (parent == "/") return "/" + base;
  return parent + "/" + base;
}

// Container paths are relative to the container's "/".
std::string in_root_path(const PathRoot& root, const std::string& path) {
  if (root.contained && (path.empty() || path.front() != '/')) return "/" + path;
  return path.empty() ? "." : path;
}

std::unexpected<Error> not_found(const PathRoot& root, const std::string& path, int error) {
  return fail("cp " + path + ": " + (error == ENOENT ? "no such file or directory" : std::strerror(error)) +
              " (in " + root.what + ")");
}

struct Source {
  UniqueFd fd;  // O_PATH, the object itself (not followed when it is a symlink)
  struct stat st {};
  std::string name;  // its name in the archive: its last component, or "." for its contents
};

Result<Source> open_source(const PathRoot& root, const std::string& given, bool follow_link) {
  std::string path = in_root_path(root, given);
  SplitPath s = split_path(path);
  Source source;
  Result<UniqueFd> fd = std::unexpected(Error("unset"));
  if (s.base.empty()) {
    fd = open_at_root(root, s.parent, O_PATH | O_DIRECTORY);
    source.name = ".";
  } else if (follow_link || s.contents || s.trailing_slash) {
    fd = open_at_root(root, join(s.parent, s.base), O_PATH);
    source.name = s.contents ? "." : s.base;
  } else {
    auto parent = open_at_root(root, s.parent, O_PATH | O_DIRECTORY);
    if (!parent) return not_found(root, given, parent.error().errno_value());
    int raw = ::openat(parent->get(), s.base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return not_found(root, given, errno);
    fd = UniqueFd(raw);
    source.name = s.base;
  }
  if (!fd) return not_found(root, given, fd.error().errno_value());
  source.fd = std::move(*fd);
  if (::fstat(source.fd.get(), &source.st) != 0) return fail_errno("stat " + given);
  if ((s.contents || s.trailing_slash) && !S_ISDIR(source.st.st_mode))
    return fail("cp " + given + ": not a directory");
  return source;
}

struct Destination {
  std::string path;  // after following symlinks of its last component
  std::string parent, base;
  bool parent_is_dir = false;
  bool exists = false;
  bool is_dir = false;
  bool trailing_slash = false;  // DEST ended in "/" or "/."
};

Result<Destination> resolve_destination(const PathRoot& root, const std::string& given) {
  Destination d;
  d.path = in_root_path(root, given);
  SplitPath s = split_path(d.path);
  d.trailing_slash = s.trailing_slash || s.contents;
  for (int hops = 0; hops < 40; ++hops) {
    d.parent = s.parent;
    d.base = s.base;
    if (s.base.empty()) {
      auto fd = open_at_root(root, s.parent, O_PATH);
      struct stat st {};
      d.exists = fd && ::fstat(fd->get(), &st) == 0;
      d.is_dir = d.exists && S_ISDIR(st.st_mode);
      d.parent_is_dir = d.is_dir;
      return d;
    }
    auto parent = open_at_root(root, s.parent, O_PATH | O_DIRECTORY);
    d.parent_is_dir = parent.has_value();
    if (!parent) return d;
    struct stat st {};
    if (::fstatat(parent->get(), s.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return fail_errno("cp " + given);
      return d;
    }
    if (!S_ISLNK(st.st_mode)) {
      d.exists = true;
      d.is_dir = S_ISDIR(st.st_mode);
      return d;
    }
    // A symlink: follow it as a path of its root (Docker's cp follows the destination's link).
    std::string target(PATH_MAX, '\0');
    ssize_t n = ::readlinkat(parent->get(), s.base.c_str(), target.data(), target.size());
    if (n < 0) return fail_errno("readlink " + d.path);
    target.resize(static_cast<size_t>(n));
    d.path = !target.empty() && target.front() == '/' ? target : join(s.parent, target);
    s = split_path(d.path);
  }
  return fail("cp " + given + ": too many levels of symbolic links");
}

// Writes `source` as `name` into a pipe in a thread and extracts it into `dir` of `to`.
Result<void> transfer(const Source& source, const std::string& name, const PathRoot& to,
                      const std::string& dir, const TarExtractOptions& options) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("cp: pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  Result<void> written;
  std::thread writer([&] {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);  // EPIPE instead, when extraction stops
    written = [&]() -> Result<void> {
      auto tar = KRILL_TRY(TarWriter::open(write_end.get()));
      KRILL_CHECK(tar.add(source.fd.get(), name));
      return tar.finish();
    }();
    write_end.reset();
  });
  auto extracted = extract_tar(read_end.get(), to, dir, options);
  if (extracted) {  // the end-of-archive padding the reader did not need
    char buffer[4096];
    while (::read(read_end.get(), buffer, sizeof buffer) > 0) {
    }
  }
  read_end.reset();
  writer.join();
  if (!extracted) return extracted;
  return written;
}

}  // namespace

Result<void> copy_path(const PathRoot& from, const std::string& source_path, const PathRoot& to,
                       const std::string& destination, const CopyOptions& options) {
  Source source = KRILL_TRY(open_source(from, source_path, options.follow_link));
  Destination dest = KRILL_TRY(resolve_destination(to, destination));
  bool source_dir = S_ISDIR(source.st.st_mode);
  if (dest.exists && dest.is_dir) return transfer(source, source.name, to, dest.path, options.extract);
  if (dest.exists) {
    if (source_dir) return fail("cp: cannot copy a directory to a file: " + destination);
    if (dest.trailing_slash) return fail("cp " + destination + ": not a directory");
    return transfer(source, dest.base, to, dest.parent, options.extract);
  }
  if (dest.trailing_slash && !source_dir)
    return fail("cp " + destination +
                ": no such file or directory (the destination directory must exist)");
  if (!dest.parent_is_dir || dest.base.empty())
    return fail("cp " + destination + ": " + dest.parent + ": no such file or directory (in " +
                to.what + ")");
  return transfer(source, dest.base, to, dest.parent, options.extract);
}

Result<void> copy_to_tar(const PathRoot& from, const std::string& source_path, int out_fd,
                         bool follow_link) {
  Source source = KRILL_TRY(open_source(from, source_path, follow_link));
  auto tar = KRILL_TRY(TarWriter::open(out_fd));
  KRILL_CHECK(tar.add(source.fd.get(), source.name));
  return tar.finish();
}

Result<void> copy_from_tar(int in_fd, const PathRoot& to, const std::string& destination,
                           const TarExtractOptions& options) {
  Destination dest = KRILL_TRY(resolve_destination(to, destination));
  if (!dest.exists || !dest.is_dir)
    return fail("cp " + destination + ": destination must be an existing directory (in " +
                to.what + ")");
  return extract_tar(in_fd, to, dest.path, options);
}

}  // namespace krill::engine
