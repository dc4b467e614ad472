// /dev: default and configured device nodes, ptmx, the fd/stdio links and the console.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/rootfs/path_in_root.h"
#include "runtime/rootfs/rootfs_setup.h"

namespace krill::rootfs::detail {
namespace {

struct DeviceNode {
  std::string_view path;
  char type;  // 'c', 'b', 'u', 'p'
  int64_t major;
  int64_t minor;
  mode_t mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

constexpr struct {
  std::string_view path;
  int64_t major;
  int64_t minor;
} kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

std::string describe(const DeviceNode& node) {
  return std::string(1, node.type) + ' ' + std::to_string(node.major) + ':' +
         std::to_string(node.minor);
}

// The container cannot mknod in a user namespace: bind the host's node onto an empty file.
Result<void> bind_device(Setup& setup, const DeviceNode& node, const std::string& path, int dir_fd,
                         const char* name) {
  auto fd = setup.ops.openat(dir_fd, name, O_PATH | O_NOFOLLOW, 0);
  if (!fd && fd.error().errno_value() == ENOENT) {
    auto created = setup.ops.openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0);
    if (!created && created.error().errno_value() != EEXIST)
      return op_error(created.error(), "create device mount point " + setup.display(path));
    fd = setup.ops.openat(dir_fd, name, O_PATH | O_NOFOLLOW, 0);
  }
  if (!fd) return op_error(fd.error(), "open device mount point " + setup.display(path));
  auto st = setup.ops.fstatat(fd->get(), "");
  if (!st) return op_error(st.error(), "stat " + setup.display(path));
  if (S_ISLNK(st->st_mode) || S_ISDIR(st->st_mode))
    return fail("bind mount device " + std::string(node.path) + " on " + setup.display(path) +
                ": destination is not a file");
  auto done =
      setup.ops.mount(path.c_str(), fd_target(fd->get()).c_str(), nullptr, MS_BIND, nullptr);
  if (!done)
    return op_error(done.error(), "bind mount device " + path + " on " + setup.display(path));
  return {};
}

Result<void> create_device(Setup& setup, const DeviceNode& node) {
  const std::string path = clean_container_path(node.path);
  const size_t slash = path.rfind('/');
  const std::string parent = slash == 0 ? std::string("/") : path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  if (name.empty()) return fail("create device " + std::string(node.path) + ": invalid path");

  mode_t type_bits;
  switch (node.type) {
    case 'c':
    case 'u':
      type_bits = S_IFCHR;
      break;
    case 'b':
      type_bits = S_IFBLK;
      break;
    case 'p':
      type_bits = S_IFIFO;
      break;
    default:
      return fail("create device " + path + ": invalid type \"" + std::string(1, node.type) + "\"");
  }
  auto dir = setup.ops.mkdir_all_in_root(setup.root_fd, parent, 0755);
  if (!dir) return op_error(dir.error(), "create directory " + setup.display(parent));

  if (setup.config.in_user_namespace && node.type != 'p')
    return bind_device(setup, node, path, dir->get(), name.c_str());

  const dev_t dev = node.type == 'p' ? 0
                                     : makedev(static_cast<unsigned>(node.major),
                                               static_cast<unsigned>(node.minor));
  const mode_t perm = node.mode & 07777;
  auto made = setup.ops.mknodat(dir->get(), name.c_str(), type_bits | perm, dev);
  if (!made) {
    const int err = made.error().errno_value();
    if (err == EPERM && node.type != 'p')  // e.g. a user namespace the caller did not report
      return bind_device(setup, node, path, dir->get(), name.c_str());
    if (err != EEXIST) return op_error(made.error(), "mknod " + setup.display(path));
    auto st = setup.ops.fstatat(dir->get(), name.c_str());
    if (!st) return op_error(st.error(), "stat " + setup.display(path));
    if ((st->st_mode & S_IFMT) != type_bits || (node.type != 'p' && st->st_rdev != dev))
      return fail("create device " + setup.display(path) +
                  ": a different file exists there (want " + describe(node) + ")");
  }
  auto chmodded = setup.ops.fchmodat(dir->get(), name.c_str(), perm);
  if (!chmodded) return op_error(chmodded.error(), "chmod " + setup.display(path));
  if (node.uid || node.gid) {
    auto chowned =
        setup.ops.fchownat(dir->get(), name.c_str(), node.uid ? *node.uid : static_cast<uid_t>(-1),
                           node.gid ? *node.gid : static_cast<gid_t>(-1));
    if (!chowned) return op_error(chowned.error(), "chown " + setup.display(path));
  }
  return {};
}

bool has_proc_mount(const oci::Spec& spec) {
  for (const auto& mount : spec.mounts)
    if (mount.type == "proc" && clean_container_path(mount.destination) == "/proc") return true;
  return false;
}

}  // namespace

Result<void> setup_devices(Setup& setup) {
  const oci::Spec& spec = *setup.config.spec;
  static const std::vector<oci::Device> kNoDevices;
  const auto& devices = spec.linux_config ? spec.linux_config->devices : kNoDevices;

  for (const auto& device : kDefaultDevices) {
    bool configured = false;
    for (const auto& other : devices)
      if (clean_container_path(other.path) == device.path) configured = true;
    if (configured) continue;
    KRILL_CHECK(create_device(setup, {device.path, 'c', device.major, device.minor, 0666, {}, {}}));
  }
  for (const auto& device : devices) {
    DeviceNode node{
        device.path,  device.type.size() == 1 ? device.type[0] : '?',       device.major,
        device.minor, static_cast<mode_t>(device.file_mode.value_or(0666)), device.uid,
        device.gid};
    KRILL_CHECK(create_device(setup, node));
  }

  auto dev = setup.ops.mkdir_all_in_root(setup.root_fd, "/dev", 0755);
  if (!dev) return op_error(dev.error(), "create directory " + setup.display("/dev"));
  // /dev/ptmx -> pts/ptmx: the devpts instance of the container.
  auto removed = setup.ops.unlinkat(dev->get(), "ptmx", 0);
  if (!removed && removed.error().errno_value() != ENOENT)
    return op_error(removed.error(), "remove " + setup.display("/dev/ptmx"));
  auto linked = setup.ops.symlinkat("pts/ptmx", dev->get(), "ptmx");
  if (!linked) return op_error(linked.error(), "symlink " + setup.display("/dev/ptmx"));

  struct Link {
    const char* target;
    const char* name;
  };
  const Link links[] = {{"/proc/self/fd", "fd"},
                        {"/proc/self/fd/0", "stdin"},
                        {"/proc/self/fd/1", "stdout"},
                        {"/proc/self/fd/2", "stderr"},
                        {"/proc/kcore", "core"}};
  const bool kcore = has_proc_mount(spec) && setup.ops.exists("/proc/kcore");
  for (const auto& link : links) {
    if (std::string_view(link.name) == "core" && !kcore) continue;
    auto made = setup.ops.symlinkat(link.target, dev->get(), link.name);
    if (!made && made.error().errno_value() != EEXIST)
      return op_error(made.error(), "symlink " + setup.display(std::string("/dev/") + link.name));
  }
  return {};
}

Result<void> setup_console(Setup& setup) {
  UniqueFd target = KRILL_TRY(ensure_file(setup, "/dev/console"));
  auto done = setup.ops.mount(fd_target(setup.config.console_fd).c_str(),
                              fd_target(target.get()).c_str(), nullptr, MS_BIND, nullptr);
  if (!done)
    return op_error(done.error(), "bind mount console on " + setup.display("/dev/console"));
  return {};
}

}  // namespace krill::rootfs::detail
