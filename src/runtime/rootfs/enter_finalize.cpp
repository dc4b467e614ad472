// enter_rootfs (pivot_root) and finalize_rootfs (read-only and masked paths, read-only root).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/rootfs/rootfs.h"
#include "runtime/rootfs/rootfs_setup.h"

namespace krill::rootfs {
namespace {

using detail::fd_target;
using detail::op_error;
using detail::Setup;

// MOVE_MOUNT_BENEATH (Linux 6.5) is missing from older headers.
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

bool wants_slave_root(const RootfsConfig& config) {
  if (config.spec == nullptr || !config.spec->linux_config) return false;
  auto propagation = parse_propagation(config.spec->linux_config->rootfs_propagation);
  return propagation && (*propagation & ~static_cast<unsigned long>(MS_REC)) == MS_SLAVE;
}

// The kernel lacks a mount API call or flag, or a seccomp filter refuses it.
bool unavailable(int err) { return err == ENOSYS || err == EINVAL || err == EPERM; }

// rootfsPropagation slave: MS_SLAVE makes a mount a slave of the peer group it was in, or
// keeps the master it had; a mount with neither stays private. The rootfs has a master when
// the host's mounts are shared (prepare_rootfs made / rslave); on a host whose mounts are
// private it has none. So the rootfs is made shared, a clone of it (hence its peer) is put
// beneath it, and the rootfs is made a slave of that clone's group (itself a slave of the
// host's peers when there were any). The clone stays under the container's root, out of the
// container's sight (a mount below the root is not in its mountinfo), holding the group for
// as long as the mount namespace lives. No host mount is touched.
// Returns the clone, or an empty fd when the kernel cannot or may not put a mount beneath
// another (MOVE_MOUNT_BENEATH needs Linux 6.5; a seccomp filter may refuse the new mount
// API): the rootfs is then left a slave of what it had, like runc and crun leave it.
Result<UniqueFd> give_rootfs_a_master(MountOps& ops, int rootfs_fd, const std::string& rootfs) {
  const std::string target = fd_target(rootfs_fd);
  auto done = ops.mount(nullptr, target.c_str(), nullptr, MS_SHARED, nullptr);
  if (!done) return op_error(done.error(), "make rootfs " + rootfs + " shared");
  auto clone = ops.open_tree(rootfs_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (clone) {
    auto moved =
        ops.move_mount(clone->get(), "", rootfs_fd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | MOVE_MOUNT_BENEATH);
    if (!moved) {
      const int err = moved.error().errno_value();
      if (!unavailable(err))
        return op_error(moved.error(), "mount a peer of rootfs " + rootfs + " beneath it");
      clone->reset();  // unmounts the detached clone: the rootfs has no peer again
    }
  } else if (!unavailable(clone.error().errno_value())) {
    return op_error(clone.error(), "clone rootfs " + rootfs);
  }
  // With its peer beneath it, the rootfs becomes its slave; without, it loses the shared
  // state it just got and keeps the master it had, if any.
  done = ops.mount(nullptr, target.c_str(), nullptr, MS_SLAVE, nullptr);
  if (!done) return op_error(done.error(), "make rootfs " + rootfs + " a slave");
  if (!clone) return UniqueFd();
  return std::move(*clone);
}

Result<void> pivot_into(const RootfsConfig& config, MountOps& ops) {
  auto old_root = ops.open_dir("/");
  if (!old_root) return op_error(old_root.error(), "open /");
  auto new_root = ops.open_dir(config.rootfs.c_str());
  if (!new_root) return op_error(new_root.error(), "open rootfs " + config.rootfs);
  UniqueFd master;
  if (wants_slave_root(config))
    master = KRILL_TRY(give_rootfs_a_master(ops, new_root->get(), config.rootfs));
  // pivot_root refuses a new root whose parent mount is shared, as the clone beneath the
  // rootfs is: then the clone becomes the root, carrying the rootfs stacked on it, and the
  // rootfs is entered with chroot below.
  auto done = ops.fchdir(master ? master.get() : new_root->get());
  if (!done) return op_error(done.error(), "chdir to " + config.rootfs);
  // With new_root == put_old the old root ends up stacked under the new one, at ".",
  // without needing a directory for it in the rootfs.
  done = ops.pivot_root(".", ".");
  if (!done) return op_error(done.error(), "pivot_root to " + config.rootfs);
  done = ops.fchdir(old_root->get());
  if (!done) return op_error(done.error(), "chdir to the old root");
  // The lazy unmount must not propagate to the host's mounts.
  done = ops.mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr);
  if (!done) return op_error(done.error(), "make the old root rslave");
  done = ops.umount2(".", MNT_DETACH);
  if (!done) return op_error(done.error(), "unmount the old root");
  if (master) {
    done = ops.fchdir(new_root->get());
    if (!done) return op_error(done.error(), "chdir to the rootfs");
    done = ops.chroot(".");
    if (!done) return op_error(done.error(), "chroot to the rootfs");
  }
  return {};
}

Result<void> move_into(const RootfsConfig& config, MountOps& ops) {
  auto done = ops.chdir(config.rootfs.c_str());
  if (!done) return op_error(done.error(), "chdir to " + config.rootfs);
  done = ops.mount(config.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr);
  if (!done) return op_error(done.error(), "move mount " + config.rootfs + " to /");
  if (wants_slave_root(config)) {
    // The working directory is the moved rootfs. Its clone goes beneath it, between it and
    // the old root; the rootfs stays on top and becomes the root below.
    auto new_root = ops.open_dir(".");
    if (!new_root) return op_error(new_root.error(), "open rootfs " + config.rootfs);
    (void)KRILL_TRY(give_rootfs_a_master(ops, new_root->get(), config.rootfs));
  }
  done = ops.chroot(".");
  if (!done) return op_error(done.error(), "chroot to " + config.rootfs);
  return {};
}

// Opens a path to mask or make read-only without following a final symlink out of reach:
// O_PATH|O_NOFOLLOW, and a symlink is then resolved inside the root. Empty when missing.
Result<UniqueFd> open_target(Setup& setup, const std::string& path) {
  auto fd = setup.ops.open_in_root(setup.root_fd, path, O_PATH | O_NOFOLLOW, 0);
  if (fd) {
    auto st = setup.ops.fstatat(fd->get(), "");
    if (!st) return op_error(st.error(), "stat " + path);
    if (!S_ISLNK(st->st_mode)) return std::move(*fd);
    fd = setup.ops.open_in_root(setup.root_fd, path, O_PATH, 0);
  }
  if (!fd) {
    if (fd.error().errno_value() == ENOENT) return UniqueFd();
    return op_error(fd.error(), "open " + path);
  }
  return std::move(*fd);
}

Result<void> make_readonly(Setup& setup, const std::string& raw_path) {
  const std::string path = clean_container_path(raw_path);
  UniqueFd fd = KRILL_TRY(open_target(setup, path));
  if (!fd) return {};
  const std::string target = fd_target(fd.get());
  auto done = setup.ops.mount(target.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
  if (!done) return op_error(done.error(), "bind mount " + path + " on itself");
  return detail::remount_bind(setup, path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true);
}

Result<void> mask(Setup& setup, const std::string& raw_path, int null_fd) {
  const std::string path = clean_container_path(raw_path);
  UniqueFd fd = KRILL_TRY(open_target(setup, path));
  if (!fd) return {};
  auto st = setup.ops.fstatat(fd.get(), "");
  if (!st) return op_error(st.error(), "stat " + path);
  const std::string target = fd_target(fd.get());
  if (S_ISDIR(st->st_mode)) {
    const std::string data = detail::with_mount_label(setup, "", "tmpfs");
    auto done = setup.ops.mount("tmpfs", target.c_str(), "tmpfs", MS_RDONLY,
                                data.empty() ? nullptr : data.c_str());
    if (!done) return op_error(done.error(), "mask " + path + " with a read-only tmpfs");
    return {};
  }
  auto done =
      setup.ops.mount(fd_target(null_fd).c_str(), target.c_str(), nullptr, MS_BIND, nullptr);
  if (!done) return op_error(done.error(), "mask " + path + " with /dev/null");
  return {};
}

// The container's /dev/null, checked to really be the null device (a symlink or another
// file there would be bind-mounted over every masked file).
Result<UniqueFd> open_dev_null(Setup& setup) {
  auto fd = setup.ops.open_in_root(setup.root_fd, "/dev/null", O_PATH | O_NOFOLLOW, 0);
  if (!fd) return op_error(fd.error(), "open /dev/null to mask paths");
  auto st = setup.ops.fstatat(fd->get(), "");
  if (!st) return op_error(st.error(), "stat /dev/null");
  if (!S_ISCHR(st->st_mode) || st->st_rdev != makedev(1, 3))
    return fail("mask paths: /dev/null is not the null device");
  return std::move(*fd);
}

bool dev_wants_readonly(const oci::Spec& spec) {
  for (const auto& mount : spec.mounts) {
    if (clean_container_path(mount.destination) != "/dev") continue;
    auto options = parse_mount_options(mount.options);
    return options && !options->bind && (options->flags & MS_RDONLY);
  }
  return false;
}

// A recursive rootfsPropagation reaches every mount below /, but the propagation a mount
// asked for itself wins, as in runc and crun: it is applied again, in the order of the spec.
// A mount whose destination no longer leads to it (a later mount covered it) is left alone.
Result<void> restore_mount_propagation(Setup& setup, const oci::Spec& spec) {
  for (const auto& mount : spec.mounts) {
    auto options = parse_mount_options(mount.options);
    if (!options || options->propagation == 0) continue;  // prepare_rootfs reported bad options
    const std::string destination = clean_container_path(mount.destination);
    auto fd = setup.ops.open_in_root(setup.root_fd, destination, O_PATH, 0);
    if (!fd) {
      if (fd.error().errno_value() == ENOENT) continue;
      return op_error(fd.error(), "open " + destination);
    }
    auto done = setup.ops.mount(nullptr, fd_target(fd->get()).c_str(), nullptr,
                                options->propagation, nullptr);
    // EINVAL: the destination is no longer the root of a mount.
    if (!done && done.error().errno_value() != EINVAL)
      return op_error(done.error(), "set propagation of " + destination);
  }
  return {};
}

}  // namespace

Result<void> enter_rootfs(const RootfsConfig& config, MountOps& ops) {
  KRILL_CHECK(config.no_pivot ? move_into(config, ops) : pivot_into(config, ops));
  auto done = ops.chdir("/");
  if (!done) return op_error(done.error(), "chdir to / in the rootfs");
  return {};
}

Result<void> finalize_rootfs(const RootfsConfig& config, MountOps& ops) {
  if (config.spec == nullptr) return fail("finalize rootfs: no spec");
  const oci::Spec& spec = *config.spec;
  auto root = ops.open_dir("/");
  if (!root) return op_error(root.error(), "open /");
  Setup setup{config, ops, root->get(), "/", ""};

  if (spec.linux_config) {
    for (const auto& path : spec.linux_config->readonly_paths)
      KRILL_CHECK(make_readonly(setup, path));
    if (!spec.linux_config->masked_paths.empty()) {
      UniqueFd null_fd = KRILL_TRY(open_dev_null(setup));
      for (const auto& path : spec.linux_config->masked_paths)
        KRILL_CHECK(mask(setup, path, null_fd.get()));
    }
  }
  if (dev_wants_readonly(spec)) KRILL_CHECK(detail::remount_bind(setup, "/dev", MS_RDONLY, true));

  if (spec.root && spec.root->readonly) {
    auto existing = ops.mount_flags_of("/");
    if (!existing) return op_error(existing.error(), "statvfs /");
    auto done =
        ops.mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | *existing, nullptr);
    if (!done) return op_error(done.error(), "remount / read-only");
  }

  if (spec.linux_config) {
    const unsigned long propagation =
        KRILL_TRY(parse_propagation(spec.linux_config->rootfs_propagation));
    if (propagation != 0) {
      auto done = ops.mount(nullptr, "/", nullptr, propagation, nullptr);
      if (!done)
        return op_error(done.error(),
                        "set rootfs propagation " + spec.linux_config->rootfs_propagation);
      if (propagation & MS_REC) KRILL_CHECK(restore_mount_propagation(setup, spec));
    }
  }
  return {};
}

}  // namespace krill::rootfs
