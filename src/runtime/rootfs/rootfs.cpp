// prepare_rootfs: the mounts of the spec, in order, inside the rootfs.
#include "runtime/rootfs/rootfs.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "runtime/rootfs/rootfs_setup.h"

namespace krill::rootfs {
namespace {

using detail::fd_target;
using detail::op_error;
using detail::Setup;

// Files inside /proc that may be bind-mounted over (lxcfs-style emulation), like runc.
constexpr std::string_view kProcAllowList[] = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

bool is_under(std::string_view path, std::string_view dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Only a proc may be mounted on /proc: a new one, or a bind of one (a container sharing the
// host's pid namespace needs that rootless: the kernel lets it mount no proc of its own; runc
// allows it likewise). Nothing but a few emulated files may be mounted inside it.
Result<void> check_proc_destination(const Setup& setup, const std::string& resolved,
                                    std::string_view type, const std::string& bind_source) {
  if (!is_under(resolved, "/proc")) return {};
  if (type == "proc" && resolved == "/proc") return {};
  if (type.empty() && resolved == "/proc") {
    auto magic = setup.ops.filesystem_magic(bind_source.c_str());
    if (magic && *magic == PROC_SUPER_MAGIC) return {};
  }
  if (type != "proc")
    for (auto allowed : kProcAllowList)
      if (resolved == allowed) return {};
  return fail("mount " + std::string(type.empty() ? "bind" : type) + " on " +
              setup.display(resolved) + ": destination is inside /proc");
}

// CVE-2019-16884/CVE-2019-19921: a /proc or /sys that is a symlink would point the proc or
// sysfs mount (and later the masked paths) elsewhere; refuse it.
Result<void> refuse_symlink_destination(Setup& setup, const std::string& destination,
                                        std::string_view type) {
  auto fd = setup.ops.open_in_root(setup.root_fd, destination, O_PATH | O_NOFOLLOW, 0);
  if (!fd) {
    if (fd.error().errno_value() == ENOENT) return {};
    return op_error(fd.error(), "open mount point " + setup.display(destination));
  }
  auto st = setup.ops.fstatat(fd->get(), "");
  if (!st) return op_error(st.error(), "stat mount point " + setup.display(destination));
  if (S_ISLNK(st->st_mode))
    return fail("mount " + std::string(type) + " on " + setup.display(destination) +
                ": destination is a symlink");
  return {};
}

uint64_t mount_attr_of(unsigned long flags) {
  uint64_t attr = 0;
  if (flags & MS_RDONLY) attr |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr |= MOUNT_ATTR_NOEXEC;
  return attr;
}

// move_mount of the detached idmapped tree: the runtime's when it prepared one (a user namespace
// may not idmap a filesystem of the host), else one made here.
Result<void> mount_idmapped(Setup& setup, const oci::Mount& mount, const MountFlags& options,
                            size_t index, int target_fd, const std::string& resolved) {
  const std::string where = "idmapped mount " + mount.source + " on " + setup.display(resolved);
  UniqueFd own_tree;
  int tree_fd = -1;
  if (auto prepared = setup.config.idmapped_trees.find(index);
      prepared != setup.config.idmapped_trees.end()) {
    tree_fd = prepared->second;
  } else {
    const auto& linux_config = setup.config.spec->linux_config;
    own_tree = KRILL_TRY(
        make_idmapped_tree(setup.ops, mount, options, linux_config ? &*linux_config : nullptr,
                           setup.config.in_user_namespace, setup.display(resolved)));
    tree_fd = own_tree.get();
  }
  auto moved = setup.ops.move_mount(tree_fd, "", target_fd, "",
                                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  if (!moved) return op_error(moved.error(), where + ": move_mount");
  return {};
}

Result<void> mount_bind(Setup& setup, const oci::Mount& mount, const MountFlags& options,
                        int target_fd, const std::string& resolved) {
  const std::string target = fd_target(target_fd);
  auto done = setup.ops.mount(mount.source.c_str(), target.c_str(), nullptr,
                              MS_BIND | (options.recursive_bind ? MS_REC : 0), nullptr);
  if (!done)
    return op_error(done.error(), "bind mount " + mount.source + " on " + setup.display(resolved));
  // A bind mount ignores ro/nosuid/...; they take a remount of the new mount.
  if (options.flags & ~static_cast<unsigned long>(MS_BIND | MS_REC | MS_REMOUNT))
    KRILL_CHECK(detail::remount_bind(setup, resolved, options.flags, false));
  return {};
}

Result<void> mount_filesystem(Setup& setup, const oci::Mount& mount, const MountFlags& options,
                              int target_fd, const std::string& resolved) {
  const std::string& type = mount.type;
  const std::string source = mount.source.empty() ? type : mount.source;
  unsigned long flags = options.flags;
  // /dev gets its devices after this mount; finalize_rootfs makes it read-only.
  if (resolved == "/dev") flags &= ~static_cast<unsigned long>(MS_RDONLY);
  std::string data = detail::with_mount_label(setup, options.data, type);

  UniqueFd lower;  // the directory under the new tmpfs, for tmpcopyup
  if (options.tmpcopyup && type == "tmpfs") {
    auto fd = setup.ops.open_in_root(setup.root_fd, resolved, O_RDONLY | O_DIRECTORY, 0);
    if (!fd) return op_error(fd.error(), "tmpcopyup: open " + setup.display(resolved));
    lower = std::move(*fd);
  }

  const std::string target = fd_target(target_fd);
  const std::string shown_type = type.empty() || type == source ? "" : " (type " + type + ")";
  const std::string where = "mount " + source + shown_type + " on " + setup.display(resolved);
  auto done = setup.ops.mount(source.c_str(), target.c_str(), type.c_str(), flags,
                              data.empty() ? nullptr : data.c_str());
  if (!done) {
    const int err = done.error().errno_value();
    if (type == "devpts" && err == EINVAL && data.find("gid=") != std::string::npos) {
      // The tty gid may not be mapped in a user namespace; mount without it, like runc.
      std::string without_gid;
      size_t start = 0;
      while (start <= data.size()) {
        size_t end = data.find(',', start);
        if (end == std::string::npos) end = data.size();
        std::string_view option(data.data() + start, end - start);
        if (option.substr(0, 4) != "gid=" && !option.empty()) {
          if (!without_gid.empty()) without_gid += ',';
          without_gid += option;
        }
        start = end + 1;
      }
      done = setup.ops.mount(source.c_str(), target.c_str(), type.c_str(), flags,
                             without_gid.empty() ? nullptr : without_gid.c_str());
    } else if ((type == "sysfs" || type == "mqueue") && err == EPERM &&
               setup.config.in_user_namespace) {
      // Without a network (IPC) namespace of its own a user namespace cannot mount sysfs
      // (mqueue): bind the host's instead.
      const char* host = type == "sysfs" ? "/sys" : "/dev/mqueue";
      done = setup.ops.mount(host, target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
      if (done && (flags & ~static_cast<unsigned long>(MS_REMOUNT)))
        KRILL_CHECK(detail::remount_bind(setup, resolved, flags, true));
    }
    if (!done) return op_error(done.error(), where);
  }

  if (lower) {
    auto upper = setup.ops.open_in_root(setup.root_fd, resolved, O_RDONLY | O_DIRECTORY, 0);
    if (!upper) return op_error(upper.error(), "tmpcopyup: open " + setup.display(resolved));
    auto copied = setup.ops.copy_tree(lower.get(), upper->get());
    if (!copied) return op_error(copied.error(), "tmpcopyup into " + setup.display(resolved));
  }
  return {};
}

Result<void> mount_entry(Setup& setup, const oci::Mount& mount, size_t index) {
  const std::string destination = clean_container_path(mount.destination);
  auto parsed = parse_mount_options(mount.options);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context("mount " + destination));
  const MountFlags& options = *parsed;
  const std::string& type = mount.type;

  if (type == "cgroup" || type == "cgroup2")
    return detail::mount_cgroup(setup, mount, options, destination);

  if (type == "proc" || type == "sysfs" || destination == "/proc" || destination == "/sys")
    KRILL_CHECK(refuse_symlink_destination(setup, destination, type.empty() ? "bind" : type));

  bool is_dir = true;
  if (options.bind) {
    // An idmapped tree the runtime cloned already: its source may not be reachable from the
    // container's user namespace (a store directory only host root may search).
    auto prepared = setup.config.idmapped_trees.find(index);
    auto st = is_idmapped_mount(mount) && prepared != setup.config.idmapped_trees.end()
                  ? setup.ops.fstatat(prepared->second, "")
                  : setup.ops.stat(mount.source.c_str());
    if (!st) return op_error(st.error(), "stat bind mount source " + mount.source);
    is_dir = S_ISDIR(st->st_mode);
  }
  UniqueFd target = KRILL_TRY(is_dir ? detail::ensure_dir(setup, destination)
                                     : detail::ensure_file(setup, destination));
  const std::string resolved = KRILL_TRY(detail::container_path_of(setup, target.get()));
  KRILL_CHECK(check_proc_destination(setup, resolved, options.bind ? std::string_view() : type,
                                     options.bind ? mount.source : std::string()));

  if (is_idmapped_mount(mount)) {
    KRILL_CHECK(mount_idmapped(setup, mount, options, index, target.get(), resolved));
  } else if (options.bind) {
    KRILL_CHECK(mount_bind(setup, mount, options, target.get(), resolved));
  } else {
    KRILL_CHECK(mount_filesystem(setup, mount, options, target.get(), resolved));
  }

  if (options.has_recursive_attrs()) {
    UniqueFd top = KRILL_TRY(detail::reopen(setup, resolved));
    MountAttr attr;
    attr.attr_set = options.attr_set;
    attr.attr_clr = options.attr_clr;
    auto set = setup.ops.mount_setattr(top.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, attr);
    if (!set) {
      if (set.error().errno_value() == ENOSYS)
        return fail("set recursive mount options on " + setup.display(resolved) +
                    ": the kernel lacks mount_setattr (rro, rnosuid, ... need Linux 5.12)");
      return op_error(set.error(), "set recursive mount options on " + setup.display(resolved));
    }
  }
  if (options.propagation != 0) {
    UniqueFd top = KRILL_TRY(detail::reopen(setup, resolved));
    auto done = setup.ops.mount(nullptr, fd_target(top.get()).c_str(), nullptr, options.propagation,
                                nullptr);
    if (!done) return op_error(done.error(), "set propagation of " + setup.display(resolved));
  }
  return {};
}

bool needs_dev_setup(const oci::Spec& spec) {
  for (const auto& mount : spec.mounts) {
    if (clean_container_path(mount.destination) != "/dev") continue;
    for (const auto& option : mount.options)
      if (option == "bind" || option == "rbind") return false;
  }
  return true;
}

}  // namespace

bool is_idmapped_mount(const oci::Mount& mount) {
  if (!mount.uid_mappings.empty() || !mount.gid_mappings.empty()) return true;
  for (const auto& option : mount.options)
    if (option == "idmap" || option == "ridmap") return true;
  return false;
}

Result<UniqueFd> make_idmapped_tree(MountOps& ops, const oci::Mount& mount,
                                    const MountFlags& options, const oci::Linux* linux_config,
                                    bool in_user_namespace, const std::string& destination) {
  const std::string where = "idmapped mount " + mount.source + " on " + destination;
  if (!options.bind) return fail(where + ": only bind mounts can be idmapped");
  const std::vector<oci::IdMapping>* uids = &mount.uid_mappings;
  const std::vector<oci::IdMapping>* gids = &mount.gid_mappings;
  if (uids->empty() && gids->empty()) {
    if (!in_user_namespace || !linux_config || linux_config->uid_mappings.empty())
      return fail(where + ": no uidMappings/gidMappings and no user namespace to take them from");
    uids = &linux_config->uid_mappings;
    gids = &linux_config->gid_mappings;
  }
  if (uids->empty() || gids->empty())
    return fail(where + ": uidMappings and gidMappings must be given together");

  auto tree = ops.open_tree(
      AT_FDCWD, mount.source.c_str(),
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (options.recursive_bind ? AT_RECURSIVE : 0));
  if (!tree) {
    if (tree.error().errno_value() == ENOSYS)
      return fail(where + ": the kernel lacks open_tree (idmapped mounts need Linux 5.12)");
    return op_error(tree.error(), where + ": open_tree");
  }
  auto userns = ops.make_userns_fd(*uids, *gids);
  if (!userns) return op_error(userns.error(), where + ": create the mapping user namespace");
  MountAttr attr;
  attr.attr_set = MOUNT_ATTR_IDMAP | mount_attr_of(options.flags);
  attr.userns_fd = userns->get();
  auto set = ops.mount_setattr(tree->get(), "",
                               AT_EMPTY_PATH | (options.recursive_idmap ? AT_RECURSIVE : 0), attr);
  if (!set) {
    if (set.error().errno_value() == ENOSYS)
      return fail(where + ": the kernel lacks mount_setattr (idmapped mounts need Linux 5.12)");
    if (set.error().errno_value() == EINVAL)
      return fail(where + ": the filesystem does not support idmapped mounts");
    return op_error(set.error(), where + ": mount_setattr");
  }
  return std::move(*tree);
}

Result<void> prepare_rootfs(const RootfsConfig& config, MountOps& ops) {
  if (config.spec == nullptr) return fail("prepare rootfs: no spec");
  if (config.rootfs.empty() || config.rootfs.front() != '/')
    return fail("prepare rootfs: \"" + config.rootfs + "\" is not an absolute path");
  const auto& linux_config = config.spec->linux_config;
  unsigned long propagation =
      KRILL_TRY(parse_propagation(linux_config ? linux_config->rootfs_propagation : ""));
  const unsigned long base_propagation = propagation & ~static_cast<unsigned long>(MS_REC);

  // Nothing mounted from here on may reach the host's mount table.
  auto done = ops.mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr);
  if (!done) return op_error(done.error(), "make / rslave");
  if (base_propagation == MS_PRIVATE) {
    done = ops.mount(nullptr, "/", nullptr, propagation, nullptr);
    if (!done) return op_error(done.error(), "make / private");
  }

  const char* rootfs = config.rootfs.c_str();
  done = ops.mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr);
  if (!done) return op_error(done.error(), "bind mount rootfs " + config.rootfs + " on itself");
  // pivot_root refuses shared mounts; shared and unbindable are applied by finalize_rootfs.
  if (base_propagation != MS_SLAVE) {
    done = ops.mount(nullptr, rootfs, nullptr, MS_REC | MS_PRIVATE, nullptr);
    if (!done) return op_error(done.error(), "make rootfs " + config.rootfs + " private");
  }

  // Opened after the self-bind so that every lookup lands on the new mount.
  auto root = ops.open_dir(rootfs);
  if (!root) return op_error(root.error(), "open rootfs " + config.rootfs);
  Setup setup{config, ops, root->get(), {}, config.rootfs};
  auto root_path = ops.fd_path(root->get());
  if (!root_path) return op_error(root_path.error(), "resolve rootfs " + config.rootfs);
  setup.root_path = std::move(*root_path);

  for (size_t i = 0; i < config.spec->mounts.size(); ++i)
    KRILL_CHECK(mount_entry(setup, config.spec->mounts[i], i));

  if (needs_dev_setup(*config.spec)) KRILL_CHECK(detail::setup_devices(setup));
  if (config.spec->process && config.spec->process->terminal && config.console_fd >= 0)
    KRILL_CHECK(detail::setup_console(setup));
  return {};
}

}  // namespace krill::rootfs
