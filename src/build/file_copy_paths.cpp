// Path helpers for copying inside a root directory: cleaning, joining, openat2 resolution and
// contained mkdir -p.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "build/file_copy_internal.h"

namespace krill::build::detail {

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string join_path(std::string_view base, std::string_view name) {
  if (base.empty() || base == ".") return std::string(name);
  if (name.empty() || name == ".") return std::string(base);
  return std::string(base) + "/" + std::string(name);
}

std::pair<std::string, std::string> split_parent(const std::string& rel) {
  size_t slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

Result<UniqueFd> open_resolved(int root_fd, const std::string& rel, int flags, int resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = static_cast<uint64_t>(resolve | RESOLVE_NO_MAGICLINKS);
  const char* path = rel.empty() ? "." : rel.c_str();
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0) return fail_errno("open " + (rel.empty() ? std::string(".") : rel));
  return UniqueFd(static_cast<int>(fd));
}

namespace {

Result<void> set_created_dir_attributes(int parent_fd, const std::string& name, mode_t mode,
                                        const Owner& owner) {
  if (owner.set &&
      ::fchownat(parent_fd, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("chown " + name);
  }
  if (::fchmodat(parent_fd, name.c_str(), mode, 0) != 0) return fail_errno("chmod " + name);
  return {};
}

}  // namespace

namespace {

std::vector<std::string> components_of(std::string_view path) {
  std::vector<std::string> parts;
  std::string cleaned = clean_path(path);
  if (cleaned == "." || cleaned == "/") return parts;
  size_t start = cleaned.front() == '/' ? 1 : 0;
  while (start <= cleaned.size()) {
    size_t slash = cleaned.find('/', start);
    if (slash == std::string::npos) slash = cleaned.size();
    parts.push_back(cleaned.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// The path a dangling symlink `name` in `dir_fd` (reached as `prefix`) stands for, followed
// by `rest`. RESOLVE_BENEATH refuses targets leading out (EXDEV).
Result<std::string> follow_dangling_link(int dir_fd, const std::string& prefix,
                                         const std::string& name, const std::string& rest,
                                         int resolve) {
  char target[4096];
  ssize_t n = ::readlinkat(dir_fd, name.c_str(), target, sizeof target - 1);
  if (n < 0) return fail_errno("readlink " + join_path(prefix, name));
  std::string link(target, static_cast<size_t>(n));
  bool absolute = link.starts_with('/');
  std::string joined = absolute ? link : join_path(prefix, link);
  if (resolve & RESOLVE_BENEATH) {
    std::string cleaned = clean_path(joined);
    if (absolute || cleaned == ".." || cleaned.starts_with("../")) {
      return fail_errno("mkdir " + join_path(prefix, name), EXDEV);
    }
  }
  std::string full = clean_path("/" + joined);
  return join_path(full == "/" ? "" : full.substr(1), rest);
}

std::string join_from(const std::vector<std::string>& parts, size_t first) {
  std::string out;
  for (size_t i = first; i < parts.size(); ++i) out = join_path(out, parts[i]);
  return out;
}

Result<UniqueFd> mkdir_all_following(int root_fd, const std::string& rel, int resolve, mode_t mode,
                                     const Owner& owner, int links_followed) {
  std::vector<std::string> parts = components_of(rel);
  UniqueFd current = KRILL_TRY(open_resolved(root_fd, "", O_PATH | O_DIRECTORY, resolve));
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& name = parts[i];
    std::string path = join_path(prefix, name);
    auto next = open_resolved(root_fd, path, O_PATH | O_DIRECTORY, resolve);
    if (!next && next.error().errno_value() == ENOENT) {
      struct stat st;
      if (::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        if (++links_followed > 40) return fail_errno("mkdir " + path, ELOOP);
        std::string rest = join_from(parts, i + 1);
        std::string target =
            KRILL_TRY(follow_dangling_link(current.get(), prefix, name, rest, resolve));
        return mkdir_all_following(root_fd, target, resolve, mode, owner, links_followed);
      }
      if (::mkdirat(current.get(), name.c_str(), 0700) == 0) {
        KRILL_CHECK(set_created_dir_attributes(current.get(), name, mode, owner));
      } else if (errno != EEXIST) {
        return fail_errno("mkdir " + path);
      }
      next = open_resolved(root_fd, path, O_PATH | O_DIRECTORY, resolve);
    }
    if (!next && next.error().errno_value() == ENOTDIR) {
      return fail("mkdir " + path + ": a non-directory is in the way");
    }
    if (!next) return std::unexpected(std::move(next.error()));
    current = std::move(*next);
    prefix = path;
  }
  return current;
}

}  // namespace

Result<UniqueFd> mkdir_all_resolved(int root_fd, const std::string& rel, int resolve, mode_t mode,
                                    const Owner& owner) {
  return mkdir_all_following(root_fd, rel, resolve, mode, owner, 0);
}

}  // namespace krill::build::detail
