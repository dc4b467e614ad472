// The container's mounts: Docker's defaults (/proc, /dev, /dev/pts, /sys, cgroup, mqueue,
// /dev/shm), the generated /etc files, volumes, bind mounts, tmpfs mounts and the --init binary.
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/spec_internal.h"

namespace krill::engine::spec_detail {

namespace {

oci::Mount make_mount(std::string destination, std::string type, std::string source,
                      std::vector<std::string> options) {
  oci::Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

// "/a//b/" -> "/a/b"; "." components dropped ("..", refused earlier by the runtime, kept).
std::string clean_path(const std::string& path) {
  std::string out;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(at, slash - at);
    if (!part.empty() && part != ".") out += "/" + part;
    at = slash + 1;
  }
  return out.empty() ? "/" : out;
}

size_t depth(const std::string& destination) {
  return static_cast<size_t>(std::count(destination.begin(), destination.end(), '/'));
}

// The flag groups of mount(8) whose members cancel each other.
std::string option_group(const std::string& option) {
  static const std::map<std::string, std::string> kGroups = {
      {"ro", "ro"},
      {"rw", "ro"},
      {"exec", "exec"},
      {"noexec", "exec"},
      {"suid", "suid"},
      {"nosuid", "suid"},
      {"dev", "dev"},
      {"nodev", "dev"},
      {"atime", "atime"},
      {"noatime", "atime"},
      {"diratime", "diratime"},
      {"nodiratime", "diratime"},
      {"relatime", "relatime"},
      {"norelatime", "relatime"},
      {"strictatime", "strictatime"},
      {"nostrictatime", "strictatime"},
      {"sync", "sync"},
      {"async", "sync"},
      {"mand", "mand"},
      {"nomand", "mand"},
      {"dirsync", "dirsync"},
      {"shared", "propagation"},
      {"rshared", "propagation"},
      {"slave", "propagation"},
      {"rslave", "propagation"},
      {"private", "propagation"},
      {"rprivate", "propagation"},
      {"unbindable", "propagation"},
      {"runbindable", "propagation"},
  };
  auto it = kGroups.find(option);
  if (it != kGroups.end()) return it->second;
  size_t eq = option.find('=');
  return eq == std::string::npos ? option : option.substr(0, eq) + "=";
}

Result<void> check_bind_source(const std::string& source) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) return fail("bind source path does not exist: " + source);
  return {};
}

}  // namespace

std::vector<std::string> merge_tmpfs_options(const std::vector<std::string>& options) {
  std::set<std::string> seen;
  std::vector<std::string> reversed;
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (*it == "defaults") continue;
    if (seen.insert(option_group(*it)).second) reversed.push_back(*it);
  }
  return {reversed.rbegin(), reversed.rend()};
}

Result<MountPlan> container_mounts(const SpecInputs& inputs, bool host_network,
                                   const ResolvedUser& user) {
  const ContainerConfig& config = inputs.config;
  MountPlan plan;

  // The user's mounts, then the /etc files and --init, all sorted by depth below.
  std::vector<oci::Mount> added;
  std::set<std::string> destinations;
  auto add = [&](oci::Mount mount) -> Result<void> {
    mount.destination = clean_path(mount.destination);
    if (!destinations.insert(mount.destination).second)
      return fail("duplicate mount point: " + mount.destination);
    added.push_back(std::move(mount));
    return {};
  };
  for (const auto& volume : inputs.volumes) {
    std::vector<std::string> options = {"rbind"};
    if (volume.read_only) options.push_back("ro");
    // --userns=auto: the volume is seen through the container's id maps, as its rootfs is (its
    // files keep container ids on disk, and the runtime clones it before entering the userns).
    if (!config.uid_map.empty()) options.push_back("idmap");
    KRILL_CHECK(add(make_mount(volume.destination, "bind", volume.host_path, options)));
  }
  for (const auto& request : config.mounts) {
    if (request.type == "volume") continue;  // resolved by the engine into inputs.volumes
    if (request.type == "bind") {
      KRILL_CHECK(check_bind_source(request.source));
      bool nonrecursive = std::find(request.options.begin(), request.options.end(),
                                    "bind-nonrecursive") != request.options.end();
      std::vector<std::string> options = {nonrecursive ? "bind" : "rbind"};
      if (request.read_only) options.push_back("ro");
      std::string propagation = request.propagation.empty() ? "rprivate" : request.propagation;
      options.push_back(propagation);
      // A shared or slave mount only propagates when the container's root does too.
      if (propagation == "shared" || propagation == "rshared")
        plan.rootfs_propagation = "rshared";
      else if ((propagation == "slave" || propagation == "rslave") &&
               plan.rootfs_propagation != "rshared")
        plan.rootfs_propagation = "rslave";
      KRILL_CHECK(add(make_mount(request.destination, "bind", request.source, options)));
    } else if (request.type == "tmpfs") {
      std::vector<std::string> options = {"noexec", "nosuid", "nodev", "rprivate"};
      if (request.read_only) options.push_back("ro");
      options.insert(options.end(), request.options.begin(), request.options.end());
      if (request.chown) {  // :U: the tmpfs belongs to the container's user
        options.push_back("uid=" + std::to_string(user.uid));
        options.push_back("gid=" + std::to_string(user.gid));
      }
      KRILL_CHECK(
          add(make_mount(request.destination, "tmpfs", "tmpfs", merge_tmpfs_options(options))));
    } else {
      return fail("mount on " + request.destination + ": unknown mount type \"" + request.type +
                  "\"");
    }
  }
  if (config.init) {
    if (inputs.init_path.empty()) return fail("--init: no init binary available");
    struct stat st {};
    if (::stat(inputs.init_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return fail("--init: init binary " + inputs.init_path + " not found");
    KRILL_CHECK(
        add(make_mount(kContainerInitPath, "bind", inputs.init_path, {"bind", "ro", "nosuid"})));
  }
  // The /etc files unless the user mounted something there; read-only with --read-only.
  const std::string& dir = inputs.userdata_dir;
  for (const char* name : {"resolv.conf", "hostname", "hosts"}) {
    std::string destination = std::string("/etc/") + name;
    if (destinations.count(destination)) continue;
    std::vector<std::string> options = {"rbind", "rprivate"};
    if (config.read_only) options.push_back("ro");
    KRILL_CHECK(add(make_mount(destination, "bind", dir + "/" + name, options)));
  }

  // Docker's defaults, each unless the user mounted over it.
  int64_t shm_size = config.resources.shm_size > 0 ? config.resources.shm_size : 64 << 20;
  std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620"};
  // The tty group (5) is not mapped in a rootless container's own one-id user namespace.
  const auto& shared = inputs.shared_user_namespace;
  if (!inputs.rootless || (shared && id_is_mapped(shared->gids, 5))) devpts.push_back("gid=5");
  std::string sys_ro = config.privileged ? "rw" : "ro";
  // sysfs belongs to the network namespace: an unprivileged user can mount one only for a
  // network namespace it owns. Sharing the host's, it binds the host's /sys instead.
  oci::Mount sys =
      inputs.rootless && host_network
          ? make_mount("/sys", "bind", "/sys", {"rbind", "nosuid", "noexec", "nodev", sys_ro})
          : make_mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_ro});
  std::vector<oci::Mount> defaults = {
      make_mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      make_mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      make_mount("/dev/pts", "devpts", "devpts", devpts),
      sys,
      make_mount("/sys/fs/cgroup", "cgroup", "cgroup", {sys_ro, "nosuid", "noexec", "nodev"}),
      make_mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      make_mount("/dev/shm", "tmpfs", "shm",
                 {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm_size)}),
  };
  for (auto& mount : defaults)
    if (!destinations.count(mount.destination)) plan.mounts.push_back(std::move(mount));

  std::stable_sort(added.begin(), added.end(), [](const oci::Mount& a, const oci::Mount& b) {
    return depth(a.destination) < depth(b.destination);
  });
  for (auto& mount : added) plan.mounts.push_back(std::move(mount));
  return plan;
}

}  // namespace krill::engine::spec_detail
