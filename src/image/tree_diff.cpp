// scan_tree and build_upper_from_changes: layer diffs without overlayfs.
#include "image/tree_diff.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <set>
#include <vector>

#include "base/unique_fd.h"
#include "image/whiteout.h"

namespace krill::image {
namespace {

int64_t nanoseconds(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

TreeEntry entry_from(const struct stat& st) {
  TreeEntry e;
  e.mode = st.st_mode;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.size = S_ISDIR(st.st_mode) ? 0 : st.st_size;
  e.mtime_ns = nanoseconds(st.st_mtim);
  e.ctime_ns = nanoseconds(st.st_ctim);
  e.inode = st.st_ino;
  return e;
}

Result<void> scan_directory(int dir_fd, const std::string& prefix, dev_t device, TreeScan& out) {
  UniqueFd listing(::dup(dir_fd));
  if (listing.get() < 0) return fail_errno("dup");
  DIR* dir = ::fdopendir(listing.release());
  if (!dir) return fail_errno("open directory " + prefix);
  std::vector<std::string> names;
  while (struct dirent* d = ::readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : names) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno("stat " + prefix + name);
    TreeEntry entry = entry_from(st);
    if (S_ISLNK(st.st_mode)) {
      std::string target(4096, '\0');
      ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) return fail_errno("readlink " + prefix + name);
      target.resize(static_cast<size_t>(n));
      entry.link_target = target;
    }
    out[prefix + name] = entry;
    if (S_ISDIR(st.st_mode) && st.st_dev == device) {
      UniqueFd child(
          ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child.get() < 0) return fail_errno("open " + prefix + name);
      KRILL_CHECK(scan_directory(child.get(), prefix + name + "/", device, out));
    }
  }
  return {};
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void copy_times(int dir_fd, const std::string& name, const struct stat& st) {
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  (void)::utimensat(dir_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

class UpperBuilder {
 public:
  UpperBuilder(const std::string& root, const std::string& upper) : root_(root), upper_(upper) {}

  Result<void> open() {
    root_fd_ = UniqueFd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root_fd_.get() < 0) return fail_errno("open " + root_);
    upper_fd_ = UniqueFd(::open(upper_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (upper_fd_.get() < 0) return fail_errno("open " + upper_);
    return {};
  }

  // The directory `path` (relative) in upper, created with the rootfs's metadata if missing.
  Result<int> directory(const std::string& path) {
    if (path.empty()) return upper_fd_.get();
    if (auto it = dirs_.find(path); it != dirs_.end()) return it->second.get();
    int parent = KRILL_TRY(directory(parent_of(path)));
    std::string name = base_of(path);
    struct stat st {};
    if (::fstatat(root_fd_.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      st.st_mode = S_IFDIR | 0755;
    if (::mkdirat(parent, name.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST)
      return fail_errno("create " + upper_ + "/" + path);
    (void)::fchownat(parent, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    (void)::fchmodat(parent, name.c_str(), st.st_mode & 07777, 0);
    copy_times(parent, name, st);
    UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return fail_errno("open " + upper_ + "/" + path);
    int raw = fd.get();
    dirs_.emplace(path, std::move(fd));
    return raw;
  }

  Result<void> add(const std::string& path, const TreeEntry& entry) {
    if (S_ISDIR(entry.mode)) {
      KRILL_TRY(directory(path));
      return {};
    }
    int parent = KRILL_TRY(directory(parent_of(path)));
    std::string name = base_of(path);
    if (S_ISREG(entry.mode)) {
      if (::linkat(root_fd_.get(), path.c_str(), parent, name.c_str(), 0) != 0)
        return fail_errno("link " + path + " into the layer");
      return {};
    }
    if (S_ISLNK(entry.mode)) {
      if (::symlinkat(entry.link_target.c_str(), parent, name.c_str()) != 0)
        return fail_errno("symlink " + path);
    } else {
      struct stat st {};
      if (::fstatat(root_fd_.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno("stat " + path);
      if (S_ISSOCK(st.st_mode)) return {};  // not in layers
      if (::mknodat(parent, name.c_str(), st.st_mode, st.st_rdev) != 0)
        return fail_errno("mknod " + path);
    }
    (void)::fchownat(parent, name.c_str(), entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW);
    struct stat st {};
    if (::fstatat(root_fd_.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      copy_times(parent, name, st);
    return {};
  }

  Result<void> remove(const std::string& path) {
    int parent = KRILL_TRY(directory(parent_of(path)));
    KRILL_TRY(create_overlay_whiteout(parent, base_of(path), /*rootless=*/true));
    return {};
  }

 private:
  std::string root_, upper_;
  UniqueFd root_fd_, upper_fd_;
  std::map<std::string, UniqueFd> dirs_;
};

}  // namespace

Result<TreeScan> scan_tree(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return fail_errno("open " + root);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("stat " + root);
  TreeScan out;
  KRILL_CHECK(scan_directory(fd.get(), "", st.st_dev, out));
  return out;
}

Result<size_t> build_upper_from_changes(const std::string& root, const TreeScan& before,
                                        const std::string& upper_dir) {
  TreeScan after = KRILL_TRY(scan_tree(root));
  UpperBuilder upper(root, upper_dir);
  KRILL_CHECK(upper.open());
  size_t changes = 0;
  // Removed entries: a whiteout for the topmost removed one (its children go with it).
  std::set<std::string> removed_dirs;
  auto under_removed_dir = [&](const std::string& path) {
    for (std::string parent = parent_of(path); !parent.empty(); parent = parent_of(parent))
      if (removed_dirs.count(parent)) return true;
    return false;
  };
  for (const auto& [path, entry] : before) {
    if (under_removed_dir(path)) continue;
    auto now = after.find(path);
    bool replaced_type = now != after.end() && (now->second.mode & S_IFMT) != (entry.mode & S_IFMT);
    if (now != after.end() && !replaced_type) continue;
    if (now == after.end()) {
      KRILL_CHECK(upper.remove(path));
      ++changes;
    }
    if (S_ISDIR(entry.mode)) removed_dirs.insert(path);
  }
  for (const auto& [path, entry] : after) {
    auto was = before.find(path);
    if (was != before.end() && was->second == entry) continue;
    KRILL_CHECK(upper.add(path, entry));
    ++changes;
  }
  return changes;
}

// One line per entry: "mode uid gid size mtime ctime inode LEN:PATH LEN:LINK\n" (the strings
// length-prefixed, so any bytes a file name holds survive).
std::string tree_scan_to_text(const TreeScan& scan) {
  std::string out = "krill-tree-scan 1\n";
  for (const auto& [path, e] : scan) {
    out += std::to_string(e.mode) + " " + std::to_string(e.uid) + " " + std::to_string(e.gid) +
           " " + std::to_string(e.size) + " " + std::to_string(e.mtime_ns) + " " +
           std::to_string(e.ctime_ns) + " " + std::to_string(e.inode) + " " +
           std::to_string(path.size()) + ":" + path + " " + std::to_string(e.link_target.size()) +
           ":" + e.link_target + "\n";
  }
  return out;
}

Result<TreeScan> tree_scan_from_text(std::string_view text) {
  constexpr std::string_view kHeader = "krill-tree-scan 1\n";
  if (!text.starts_with(kHeader)) return fail("tree scan: invalid header");
  text.remove_prefix(kHeader.size());
  auto number = [&](int64_t& value) -> bool {
    size_t end = 0;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) ||
                                 (end == 0 && text[end] == '-')))
      ++end;
    if (end == 0 || end >= text.size()) return false;
    value = std::strtoll(std::string(text.substr(0, end)).c_str(), nullptr, 10);
    text.remove_prefix(end);
    return true;
  };
  auto string = [&](std::string& value) -> bool {
    int64_t length = 0;
    if (!number(length) || length < 0 || text.empty() || text[0] != ':' ||
        text.size() < static_cast<size_t>(length) + 2)
      return false;
    value = std::string(text.substr(1, static_cast<size_t>(length)));
    text.remove_prefix(static_cast<size_t>(length) + 1);
    return true;
  };
  auto separator = [&](char c) -> bool {
    if (text.empty() || text[0] != c) return false;
    text.remove_prefix(1);
    return true;
  };
  TreeScan scan;
  while (!text.empty()) {
    int64_t v[7];
    std::string path, link;
    bool ok = true;
    for (int i = 0; i < 7 && ok; ++i) ok = number(v[i]) && separator(' ');
    ok = ok && string(path) && separator(' ') && string(link) && separator('\n');
    if (!ok) return fail("tree scan: invalid entry after " + std::to_string(scan.size()));
    TreeEntry e;
    e.mode = static_cast<mode_t>(v[0]);
    e.uid = static_cast<uid_t>(v[1]);
    e.gid = static_cast<gid_t>(v[2]);
    e.size = v[3];
    e.mtime_ns = v[4];
    e.ctime_ns = v[5];
    e.inode = static_cast<ino_t>(v[6]);
    e.link_target = std::move(link);
    scan.emplace(std::move(path), std::move(e));
  }
  return scan;
}

}  // namespace krill::image
