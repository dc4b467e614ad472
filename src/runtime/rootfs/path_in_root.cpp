#include "runtime/rootfs/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

namespace krill::rootfs {
namespace {

constexpr int kMaxSymlinks = 40;  // like the kernel's MAXSYMLINKS
constexpr int kOpenat2Retries = 32;

int sys_openat2(int dirfd, const char* path, int flags, mode_t mode, uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

std::unexpected<Error> walk_error(std::string_view what, std::string_view path, int err) {
  std::string message(what);
  message += ' ';
  message += path;
  message += " in root";
  return fail_errno(message, err);
}

// Splits off the next path component of `rest` (skipping slashes) into `name`.
bool next_component(std::string_view& rest, std::string_view& name) {
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) return false;
  size_t end = rest.find('/');
  if (end == std::string_view::npos) end = rest.size();
  name = rest.substr(0, end);
  rest.remove_prefix(end);
  return true;
}

bool only_slashes(std::string_view rest) {
  return rest.find_first_not_of('/') == std::string_view::npos;
}

}  // namespace

std::string clean_container_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::string_view rest = path, name;
  while (next_component(rest, name)) {
    if (name == ".") continue;
    if (name == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(name);
  }
  std::string result;
  for (auto part : parts) {
    result += '/';
    result += part;
  }
  if (result.empty()) result = "/";
  return result;
}

Result<UniqueFd> walk_in_root(int root_fd, std::string_view path, int flags, mode_t mode,
                              bool make_dirs) {
  // The stack of directories entered below the root; ".." pops it and never goes above the
  // root, so concurrent renames cannot walk us out.
  std::vector<UniqueFd> stack;
  std::string pending(path);  // the rest of the path, rewritten when a symlink expands
  size_t offset = 0;
  int symlinks = 0;
  char target[PATH_MAX];

  auto current = [&]() { return stack.empty() ? root_fd : stack.back().get(); };

  for (;;) {
    std::string_view rest = std::string_view(pending).substr(offset);
    std::string_view name_view;
    if (!next_component(rest, name_view)) break;
    offset = pending.size() - rest.size();
    const std::string name(name_view);
    const bool last = only_slashes(rest);

    if (name == ".") continue;
    if (name == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }

    int fd = ::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      if (make_dirs) {
        if (::mkdirat(current(), name.c_str(), mode) < 0 && errno != EEXIST)
          return walk_error("mkdir", path, errno);
        fd = ::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return walk_error("open", path, errno);
      } else if (last && (flags & O_CREAT)) {
        fd = ::openat(current(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0) return walk_error("create", path, errno);
        return UniqueFd(fd);
      }
    }
    if (fd < 0) return walk_error("open", path, errno);
    UniqueFd entry(fd);

    struct stat st {};
    if (::fstat(entry.get(), &st) < 0) return walk_error("stat", path, errno);

    if (S_ISLNK(st.st_mode)) {
      if (last && !make_dirs && (flags & O_NOFOLLOW)) {
        if (flags & O_PATH) return entry;
        return walk_error("open", path, ELOOP);
      }
      if (++symlinks > kMaxSymlinks) return walk_error("open", path, ELOOP);
      ssize_t len = ::readlinkat(entry.get(), "", target, sizeof(target) - 1);
      if (len < 0) return walk_error("readlink", path, errno);
      target[len] = '\0';
      if (target[0] == '/') stack.clear();
      std::string expanded(target, static_cast<size_t>(len));
      expanded += '/';
      expanded.append(rest);
      pending = std::move(expanded);
      offset = 0;
      continue;
    }

    if (S_ISDIR(st.st_mode)) {
      if (last && !make_dirs && (flags & O_PATH) && !(flags & O_CREAT)) return entry;
      if (last && !make_dirs) {
        int reopened = ::openat(current(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
        if (reopened < 0) return walk_error("open", path, errno);
        return UniqueFd(reopened);
      }
      stack.push_back(std::move(entry));
      continue;
    }

    // Neither a directory nor a symlink: it must be the last component.
    if (!last || make_dirs) return walk_error("open", path, ENOTDIR);
    if ((flags & O_DIRECTORY)) return walk_error("open", path, ENOTDIR);
    if ((flags & O_PATH) && !(flags & O_CREAT)) return entry;
    int reopened = ::openat(current(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (reopened < 0) return walk_error("open", path, errno);
    return UniqueFd(reopened);
  }

  // The path ended on a directory (or was "/", "..", "a/.").
  if (make_dirs && !stack.empty()) return std::move(stack.back());
  int dir_flags = make_dirs ? (O_PATH | O_DIRECTORY) : (flags & ~(O_CREAT | O_EXCL));
  int fd = ::openat(current(), ".", dir_flags | O_CLOEXEC);
  if (fd < 0) return walk_error("open", path, errno);
  return UniqueFd(fd);
}

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags, mode_t mode) {
  const char* relative = path.c_str();
  while (*relative == '/') ++relative;
  if (*relative == '\0') relative = ".";
  for (int attempt = 0; attempt < kOpenat2Retries; ++attempt) {
    int fd = sys_openat2(root_fd, relative, flags | O_CLOEXEC, mode,
                         RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EAGAIN) continue;  // a concurrent rename; the kernel asks us to retry
    if (errno == ENOSYS || errno == EPERM || errno == E2BIG) break;  // no openat2 / seccomp
    return walk_error("open", path, errno);
  }
  return walk_in_root(root_fd, path, flags, mode, false);
}

Result<UniqueFd> mkdir_all_in_root(int root_fd, const std::string& path, mode_t mode) {
  return walk_in_root(root_fd, path, O_PATH | O_DIRECTORY, mode, true);
}

}  // namespace krill::rootfs
