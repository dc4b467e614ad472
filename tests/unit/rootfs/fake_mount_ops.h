// A recording MountOps: keeps a tiny model of the file system (path -> file type) and logs
// every call that changes something, with /proc/self/fd/N targets translated back to the
// paths they name, so tests can compare the exact sequence of mounts.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/rootfs/mount_ops.h"
#include "runtime/rootfs/path_in_root.h"

namespace krill::rootfs::testing {

inline std::string format_mount_flags(unsigned long flags) {
  static const std::pair<unsigned long, const char*> kNames[] = {
      {MS_RDONLY, "MS_RDONLY"},
      {MS_NOSUID, "MS_NOSUID"},
      {MS_NODEV, "MS_NODEV"},
      {MS_NOEXEC, "MS_NOEXEC"},
      {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
      {MS_REMOUNT, "MS_REMOUNT"},
      {MS_MANDLOCK, "MS_MANDLOCK"},
      {MS_DIRSYNC, "MS_DIRSYNC"},
      {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
      {MS_NOATIME, "MS_NOATIME"},
      {MS_NODIRATIME, "MS_NODIRATIME"},
      {MS_BIND, "MS_BIND"},
      {MS_MOVE, "MS_MOVE"},
      {MS_REC, "MS_REC"},
      {MS_SILENT, "MS_SILENT"},
      {MS_UNBINDABLE, "MS_UNBINDABLE"},
      {MS_PRIVATE, "MS_PRIVATE"},
      {MS_SLAVE, "MS_SLAVE"},
      {MS_SHARED, "MS_SHARED"},
      {MS_RELATIME, "MS_RELATIME"},
      {MS_I_VERSION, "MS_I_VERSION"},
      {MS_STRICTATIME, "MS_STRICTATIME"},
      {MS_LAZYTIME, "MS_LAZYTIME"},
  };
  std::string text;
  for (const auto& [flag, name] : kNames) {
    if (!(flags & flag)) continue;
    if (!text.empty()) text += '|';
    text += name;
    flags &= ~flag;
  }
  if (flags) text += (text.empty() ? "" : "|") + std::to_string(flags);
  return text.empty() ? "0" : text;
}

class FakeMountOps : public MountOps {
 public:
  struct Node {
    mode_t mode = S_IFDIR | 0755;
    dev_t rdev = 0;
  };

  FakeMountOps() : base_fd_(::open("/", O_PATH | O_CLOEXEC)) { nodes["/"] = {}; }
  ~FakeMountOps() override { ::close(base_fd_); }

  // ---- the model ----
  std::map<std::string, Node> nodes;           // existing files by host path
  std::map<std::string, mode_t> host_sources;  // stat() answers for bind sources (default dir)
  std::map<std::string, std::string> files;    // read_file() answers
  std::set<std::string> existing;              // exists() answers
  std::map<std::string, int> mount_errors;     // target path -> errno for the next mount there
  unsigned long flags_of_mounts = 0;           // mount_flags_of() answer
  long cgroup_magic = 0x63677270;              // filesystem_magic() of other paths
  std::map<std::string, long> magic_of;        // filesystem_magic() by path
  std::vector<std::string> calls;

  void add_dir(const std::string& path) {
    std::string prefix;
    for (const auto& part : split(path)) {
      prefix += "/" + part;
      if (!nodes.count(prefix)) nodes[prefix] = {};
    }
  }
  void add_node(const std::string& path, mode_t mode, dev_t rdev = 0) {
    add_dir(parent_of(path));
    nodes[path] = {mode, rdev};
  }
  // The calls whose text starts with one of the prefixes.
  std::vector<std::string> calls_starting_with(std::initializer_list<std::string> prefixes) const {
    std::vector<std::string> result;
    for (const auto& call : calls)
      for (const auto& prefix : prefixes)
        if (call.rfind(prefix, 0) == 0) {
          result.push_back(call);
          break;
        }
    return result;
  }

  // ---- MountOps ----
  Result<void> mount(const char* source, const char* target, const char* fstype,
                     unsigned long flags, const char* data) override {
    const std::string target_path = name(target);
    calls.push_back("mount " + name(source) + " " + target_path + " " + str(fstype) + " " +
                    format_mount_flags(flags) + " " + str(data));
    auto error = mount_errors.find(target_path);
    if (error != mount_errors.end()) {
      int err = error->second;
      mount_errors.erase(error);
      return fail_errno("mount", err);
    }
    return {};
  }
  Result<void> umount2(const char* target, int flags) override {
    calls.push_back("umount2 " + name(target) + " " + std::to_string(flags));
    return {};
  }
  Result<void> pivot_root(const char* new_root, const char* put_old) override {
    calls.push_back(std::string("pivot_root ") + new_root + " " + put_old);
    return {};
  }
  Result<void> chroot(const char* path) override {
    calls.push_back(std::string("chroot ") + path);
    return {};
  }
  Result<void> chdir(const char* path) override {
    calls.push_back(std::string("chdir ") + path);
    return {};
  }
  Result<void> fchdir(int fd) override {
    calls.push_back("fchdir " + path_of(fd));
    return {};
  }
  Result<UniqueFd> open_tree(int dirfd, const char* path, unsigned int flags) override {
    const std::string what = path[0] == '\0' ? path_of(dirfd) : std::string(path);
    calls.push_back("open_tree " + what + " " + std::to_string(flags));
    return new_fd("tree:" + what);
  }
  Result<void> mount_setattr(int dirfd, const char* path, unsigned int flags,
                             const MountAttr& attr) override {
    calls.push_back("mount_setattr " + path_of(dirfd) + path + " flags=" + std::to_string(flags) +
                    " set=" + std::to_string(attr.attr_set) +
                    " clr=" + std::to_string(attr.attr_clr) +
                    (attr.userns_fd >= 0 ? " userns=" + path_of(attr.userns_fd) : ""));
    return {};
  }
  Result<void> move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
                          unsigned int flags) override {
    calls.push_back("move_mount " + path_of(from_dirfd) + from_path + " " + path_of(to_dirfd) +
                    to_path + " " + std::to_string(flags));
    return {};
  }
  Result<UniqueFd> make_userns_fd(const std::vector<oci::IdMapping>& uids,
                                  const std::vector<oci::IdMapping>& gids) override {
    std::string text = "userns";
    for (const auto& m : uids)
      text += " u" + std::to_string(m.container_id) + ":" + std::to_string(m.host_id) + ":" +
              std::to_string(m.size);
    for (const auto& m : gids)
      text += " g" + std::to_string(m.container_id) + ":" + std::to_string(m.host_id) + ":" +
              std::to_string(m.size);
    calls.push_back("make_userns_fd" + text.substr(6));
    return new_fd(text);
  }
  Result<UniqueFd> open_dir(const char* path) override { return new_fd(path); }
  Result<struct stat> stat(const char* path) override {
    struct stat st {};
    auto it = host_sources.find(path);
    st.st_mode = it == host_sources.end() ? (S_IFDIR | 0755) : it->second;
    return st;
  }
  Result<unsigned long> mount_flags_of(const char*) override { return flags_of_mounts; }
  Result<long> filesystem_magic(const char* path) override {
    auto it = magic_of.find(path);
    return it == magic_of.end() ? cgroup_magic : it->second;
  }
  Result<std::string> read_file(const char* path) override {
    auto it = files.find(path);
    if (it == files.end()) return fail_errno("open", ENOENT);
    return it->second;
  }
  bool exists(const char* path) override { return existing.count(path) != 0; }

  Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags,
                                mode_t mode) override {
    const std::string host = join(path_of(root_fd), clean_container_path(path));
    if (!nodes.count(host)) {
      if (!(flags & O_CREAT)) return fail_errno("open", ENOENT);
      calls.push_back("create " + host);
      add_node(host, S_IFREG | mode);
    }
    return new_fd(host);
  }
  Result<UniqueFd> mkdir_all_in_root(int root_fd, const std::string& path, mode_t) override {
    const std::string host = join(path_of(root_fd), clean_container_path(path));
    if (!nodes.count(host)) calls.push_back("mkdir_all " + host);
    add_dir(host);
    return new_fd(host);
  }
  Result<std::string> fd_path(int fd) override { return path_of(fd); }
  Result<UniqueFd> openat(int dirfd, const char* child, int flags, mode_t mode) override {
    const std::string host = join(path_of(dirfd), std::string("/") + child);
    if (!nodes.count(host)) {
      if (!(flags & O_CREAT)) return fail_errno("open", ENOENT);
      calls.push_back("create " + host);
      add_node(host, S_IFREG | mode);
    } else if ((flags & O_CREAT) && (flags & O_EXCL)) {
      return fail_errno("open", EEXIST);
    }
    return new_fd(host);
  }
  Result<void> mknodat(int dirfd, const char* child, mode_t mode, dev_t dev) override {
    const std::string host = join(path_of(dirfd), std::string("/") + child);
    calls.push_back("mknod " + host + " " + mode_text(mode) + " " + std::to_string(major(dev)) +
                    ":" + std::to_string(minor(dev)));
    if (nodes.count(host)) return fail_errno("mknod", EEXIST);
    add_node(host, mode, dev);
    return {};
  }
  Result<void> symlinkat(const char* target, int dirfd, const char* child) override {
    const std::string host = join(path_of(dirfd), std::string("/") + child);
    calls.push_back("symlink " + host + " -> " + target);
    if (nodes.count(host)) return fail_errno("symlink", EEXIST);
    add_node(host, S_IFLNK | 0777);
    return {};
  }
  Result<void> unlinkat(int dirfd, const char* child, int) override {
    const std::string host = join(path_of(dirfd), std::string("/") + child);
    if (!nodes.erase(host)) return fail_errno("unlink", ENOENT);
    calls.push_back("unlink " + host);
    return {};
  }
  Result<void> fchmodat(int dirfd, const char* child, mode_t mode) override {
    calls.push_back("chmod " + join(path_of(dirfd), std::string("/") + child) + " " +
                    mode_text(mode));
    return {};
  }
  Result<void> fchownat(int dirfd, const char* child, uid_t uid, gid_t gid) override {
    calls.push_back("chown " + join(path_of(dirfd), std::string("/") + child) + " " +
                    std::to_string(static_cast<int>(uid)) + ":" +
                    std::to_string(static_cast<int>(gid)));
    return {};
  }
  Result<struct stat> fstatat(int dirfd, const char* child) override {
    std::string host = path_of(dirfd);
    // A detached tree (open_tree) of a host source: what stat() of that source says.
    if (host.rfind("tree:", 0) == 0 && child[0] == '\0') return stat(host.substr(5).c_str());
    if (child[0] != '\0') host = join(host, std::string("/") + child);
    auto it = nodes.find(host);
    if (it == nodes.end()) return fail_errno("stat", ENOENT);
    struct stat st {};
    st.st_mode = it->second.mode;
    st.st_rdev = it->second.rdev;
    return st;
  }
  Result<void> copy_tree(int from_dirfd, int to_dirfd) override {
    calls.push_back("copy_tree " + path_of(from_dirfd) + " " + path_of(to_dirfd));
    return {};
  }

 private:
  static std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) parts.push_back(path.substr(start, end - start));
      start = end + 1;
    }
    return parts;
  }
  static std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  static std::string join(const std::string& root, const std::string& path) {
    if (root == "/") return path;
    if (path == "/") return root;
    return root + path;
  }
  static std::string str(const char* text) { return text ? text : "-"; }
  static std::string mode_text(mode_t mode) {
    char buffer[16];
    snprintf(buffer, sizeof(buffer), "%o", mode);
    return buffer;
  }
  UniqueFd new_fd(const std::string& path) {
    int fd = ::fcntl(base_fd_, F_DUPFD_CLOEXEC, 0);
    paths_[fd] = path;
    return UniqueFd(fd);
  }
  std::string path_of(int fd) const {
    auto it = paths_.find(fd);
    return it == paths_.end() ? "fd" + std::to_string(fd) : it->second;
  }
  // Translates "/proc/self/fd/N" back into the path the fake handed out for N.
  std::string name(const char* text) const {
    if (text == nullptr) return "-";
    std::string_view view(text);
    constexpr std::string_view kPrefix = "/proc/self/fd/";
    if (view.substr(0, kPrefix.size()) == kPrefix) {
      int fd = std::stoi(std::string(view.substr(kPrefix.size())));
      auto it = paths_.find(fd);
      if (it != paths_.end()) return it->second;
    }
    return std::string(view);
  }

  int base_fd_;
  std::map<int, std::string> paths_;
};

}  // namespace krill::rootfs::testing
