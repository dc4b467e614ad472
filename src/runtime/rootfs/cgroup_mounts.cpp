// Mounts of type cgroup/cgroup2: cgroupfs itself in a cgroup namespace, otherwise binds of
// the container's own cgroup directories from the host (a tmpfs with one mount per
// controller on a v1/hybrid host).
#include <fcntl.h>
#include <sys/mount.h>

#include <string_view>
#include <vector>

#include "runtime/rootfs/rootfs_setup.h"

namespace krill::rootfs::detail {
namespace {

constexpr long kCgroup2Magic = 0x63677270;
constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// mountinfo escapes space, tab, newline and backslash as octal.
std::string unescape(std::string_view text) {
  std::string result;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      bool octal = true;
      for (size_t j = 1; j <= 3; ++j) {
        if (text[i + j] < '0' || text[i + j] > '7') {
          octal = false;
          break;
        }
        value = value * 8 + (text[i + j] - '0');
      }
      if (octal) {
        result += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    result += text[i];
  }
  return result;
}

struct CgroupMount {
  std::string root;        // the cgroup path mounted (field 4)
  std::string mountpoint;  // e.g. /sys/fs/cgroup/cpu,cpuacct
  bool v2 = false;
  std::vector<std::string_view> super_options;
};

std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  for (auto line : split(mountinfo, '\n')) {
    auto fields = split(line, ' ');
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 5 || dash + 3 >= fields.size()) continue;
    const auto type = fields[dash + 1];
    if (type != "cgroup" && type != "cgroup2") continue;
    CgroupMount mount;
    mount.root = unescape(fields[3]);
    mount.mountpoint = unescape(fields[4]);
    const std::string_view parent = std::string_view(mount.mountpoint)
                                        .substr(0, mount.mountpoint.rfind('/') == std::string::npos
                                                       ? 0
                                                       : mount.mountpoint.rfind('/'));
    if (parent != kCgroupRoot) continue;  // only the hierarchies under /sys/fs/cgroup
    mount.v2 = type == "cgroup2";
    mount.super_options = split(fields[dash + 3], ',');
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

struct CgroupMembership {
  std::string_view controllers;  // "cpu,cpuacct", "name=systemd", "" for v2
  std::string_view path;
};

std::vector<CgroupMembership> parse_proc_cgroup(std::string_view content) {
  std::vector<CgroupMembership> result;
  for (auto line : split(content, '\n')) {
    size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    result.push_back({line.substr(first + 1, second - first - 1), line.substr(second + 1)});
  }
  return result;
}

const CgroupMembership* membership_for(const CgroupMount& mount,
                                       const std::vector<CgroupMembership>& memberships) {
  for (const auto& membership : memberships) {
    if (mount.v2) {
      if (membership.controllers.empty()) return &membership;
      continue;
    }
    if (membership.controllers.empty()) continue;
    bool all = true;
    for (auto controller : split(membership.controllers, ',')) {
      bool found = false;
      for (auto option : mount.super_options)
        if (option == controller) found = true;
      if (!found) all = false;
    }
    if (all) return &membership;
  }
  return nullptr;
}

// Binds a host cgroup directory on `destination`, then applies the mount's flags.
Result<void> bind_cgroup(Setup& setup, const std::string& source, const std::string& destination,
                         unsigned long flags) {
  UniqueFd target = KRILL_TRY(ensure_dir(setup, destination));
  auto done = setup.ops.mount(source.c_str(), fd_target(target.get()).c_str(), nullptr,
                              MS_BIND | MS_REC, nullptr);
  if (!done)
    return op_error(done.error(), "bind mount " + source + " on " + setup.display(destination));
  if (flags & ~static_cast<unsigned long>(MS_BIND | MS_REC | MS_REMOUNT))
    KRILL_CHECK(remount_bind(setup, destination, flags, false));
  return {};
}

Result<void> mount_cgroupfs(Setup& setup, const char* type, const std::string& destination,
                            unsigned long flags, const std::string& data) {
  UniqueFd target = KRILL_TRY(ensure_dir(setup, destination));
  auto done = setup.ops.mount(type, fd_target(target.get()).c_str(), type, flags,
                              data.empty() ? nullptr : data.c_str());
  if (!done)
    return op_error(done.error(),
                    std::string("mount ") + type + " on " + setup.display(destination));
  return {};
}

std::string join_path(std::string_view a, std::string_view b) {
  std::string result(a);
  if (result.empty() || result.back() != '/') result += '/';
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  result += b;
  if (result.size() > 1 && result.back() == '/') result.pop_back();
  return result;
}

// The part of `path` below `root` ("/a/b" below "/a" is "/b").
std::string_view relative_to(std::string_view path, std::string_view root) {
  if (root == "/") return path;
  if (path.substr(0, root.size()) == root) return path.substr(root.size());
  return path;
}

Result<void> mount_cgroup_v1(Setup& setup, const std::string& destination,
                             const MountFlags& options) {
  const unsigned long flags = options.flags & ~static_cast<unsigned long>(MS_REMOUNT);
  {
    UniqueFd target = KRILL_TRY(ensure_dir(setup, destination));
    const std::string data = with_mount_label(setup, "mode=755", "tmpfs");
    auto done = setup.ops.mount("tmpfs", fd_target(target.get()).c_str(), "tmpfs",
                                MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str());
    if (!done) return op_error(done.error(), "mount tmpfs on " + setup.display(destination));
  }
  auto mountinfo = setup.ops.read_file("/proc/self/mountinfo");
  if (!mountinfo) return op_error(mountinfo.error(), "read /proc/self/mountinfo");
  auto proc_cgroup = setup.ops.read_file("/proc/self/cgroup");
  if (!proc_cgroup) return op_error(proc_cgroup.error(), "read /proc/self/cgroup");
  const auto memberships = parse_proc_cgroup(*proc_cgroup);

  for (const auto& mount : parse_cgroup_mounts(*mountinfo)) {
    const CgroupMembership* membership = membership_for(mount, memberships);
    if (membership == nullptr) continue;
    const std::string_view name =
        std::string_view(mount.mountpoint).substr(mount.mountpoint.rfind('/') + 1);
    const std::string sub = join_path(destination, name);
    if (setup.config.new_cgroup_namespace) {
      std::string data;
      if (!mount.v2) {
        if (membership->controllers.substr(0, 5) == "name=") data = "none,";
        data += membership->controllers;
      }
      KRILL_CHECK(mount_cgroupfs(setup, mount.v2 ? "cgroup2" : "cgroup", sub, flags, data));
    } else {
      const std::string source =
          join_path(mount.mountpoint, relative_to(membership->path, mount.root));
      KRILL_CHECK(bind_cgroup(setup, source, sub, flags));
    }
    // Co-mounted controllers ("cpu,cpuacct") also answer to each name.
    if (name.find(',') != std::string_view::npos) {
      UniqueFd dir = KRILL_TRY(reopen(setup, destination));
      for (auto part : split(name, ',')) {
        if (part.empty()) continue;
        const std::string link(part);
        auto made = setup.ops.symlinkat(std::string(name).c_str(), dir.get(), link.c_str());
        if (!made && made.error().errno_value() != EEXIST)
          return op_error(made.error(), "symlink " + setup.display(join_path(destination, part)));
      }
    }
  }
  if (flags & MS_RDONLY)
    KRILL_CHECK(
        remount_bind(setup, destination, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, false));
  return {};
}

}  // namespace

Result<void> mount_cgroup(Setup& setup, const oci::Mount& mount, const MountFlags& options,
                          const std::string& destination) {
  (void)mount;
  auto magic = setup.ops.filesystem_magic(kCgroupRoot);
  if (!magic) return op_error(magic.error(), std::string("statfs ") + kCgroupRoot);

  if (*magic != kCgroup2Magic) {
    KRILL_CHECK(mount_cgroup_v1(setup, destination, options));
  } else if (setup.config.new_cgroup_namespace) {
    const unsigned long flags = options.flags;
    auto target = KRILL_TRY(ensure_dir(setup, destination));
    auto done = setup.ops.mount("cgroup2", fd_target(target.get()).c_str(), "cgroup2", flags,
                                options.data.empty() ? nullptr : options.data.c_str());
    if (!done) return op_error(done.error(), "mount cgroup2 on " + setup.display(destination));
  } else {
    auto proc_cgroup = setup.ops.read_file("/proc/self/cgroup");
    if (!proc_cgroup) return op_error(proc_cgroup.error(), "read /proc/self/cgroup");
    std::string_view own = "/";
    for (const auto& membership : parse_proc_cgroup(*proc_cgroup))
      if (membership.controllers.empty()) own = membership.path;
    KRILL_CHECK(bind_cgroup(setup, join_path(kCgroupRoot, own), destination, options.flags));
  }

  if (options.propagation != 0) {
    UniqueFd top = KRILL_TRY(reopen(setup, destination));
    auto done = setup.ops.mount(nullptr, fd_target(top.get()).c_str(), nullptr, options.propagation,
                                nullptr);
    if (!done) return op_error(done.error(), "set propagation of " + setup.display(destination));
  }
  return {};
}

}  // namespace krill::rootfs::detail
