// The rootfs logic against the recording fake: which mounts, in which order, with which flags.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "fake_mount_ops.h"
#include "runtime/rootfs/rootfs.h"

namespace krill::rootfs {
namespace {

using ::testing::ElementsAre;
using testing::FakeMountOps;
using ::testing::HasSubstr;

constexpr const char* kRootfs = "/run/krill/c1/rootfs";

// The config.json `runc spec` writes.
oci::Spec runc_default_spec() {
  oci::Spec spec;
  spec.process.emplace();
  spec.root = oci::Root{"rootfs", true};
  spec.mounts = {
      {"/proc", "proc", "proc", {}, {}, {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, {}, {}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
       {},
       {}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"},
       {},
       {}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}, {}, {}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}, {}, {}},
      {"/sys/fs/cgroup",
       "cgroup",
       "cgroup",
       {"nosuid", "noexec", "nodev", "relatime", "ro"},
       {},
       {}},
  };
  spec.linux_config.emplace();
  spec.linux_config->masked_paths = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                                     "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                                     "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                                     "/proc/scsi"};
  spec.linux_config->readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                       "/proc/sysrq-trigger"};
  return spec;
}

RootfsConfig config_for(const oci::Spec& spec) {
  RootfsConfig config;
  config.spec = &spec;
  config.rootfs = kRootfs;
  config.new_cgroup_namespace = true;
  return config;
}

std::string r(const std::string& path) { return std::string(kRootfs) + path; }

TEST(PrepareRootfs, DefaultRuncConfigMountSequence) {
  const oci::Spec spec = runc_default_spec();
  FakeMountOps ops;
  ops.existing.insert("/proc/kcore");
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops)) << "prepare";

  EXPECT_THAT(
      ops.calls_starting_with({"mount "}),
      ElementsAre(
          "mount - / - MS_REC|MS_SLAVE -", "mount " + r("") + " " + r("") + " - MS_BIND|MS_REC -",
          "mount - " + r("") + " - MS_REC|MS_PRIVATE -", "mount proc " + r("/proc") + " proc 0 -",
          "mount tmpfs " + r("/dev") + " tmpfs MS_NOSUID|MS_STRICTATIME mode=755,size=65536k",
          "mount devpts " + r("/dev/pts") +
              " devpts MS_NOSUID|MS_NOEXEC newinstance,ptmxmode=0666,mode=0620,gid=5",
          "mount shm " + r("/dev/shm") +
              " tmpfs MS_NOSUID|MS_NODEV|MS_NOEXEC mode=1777,size=65536k",
          "mount mqueue " + r("/dev/mqueue") + " mqueue MS_NOSUID|MS_NODEV|MS_NOEXEC -",
          "mount sysfs " + r("/sys") + " sysfs MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC -",
          "mount cgroup2 " + r("/sys/fs/cgroup") +
              " cgroup2 MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RELATIME -"));

  EXPECT_THAT(
      ops.calls_starting_with({"mknod ", "chmod ", "chown "}),
      ElementsAre("mknod " + r("/dev/null") + " 20666 1:3", "chmod " + r("/dev/null") + " 666",
                  "mknod " + r("/dev/zero") + " 20666 1:5", "chmod " + r("/dev/zero") + " 666",
                  "mknod " + r("/dev/full") + " 20666 1:7", "chmod " + r("/dev/full") + " 666",
                  "mknod " + r("/dev/random") + " 20666 1:8", "chmod " + r("/dev/random") + " 666",
                  "mknod " + r("/dev/urandom") + " 20666 1:9",
                  "chmod " + r("/dev/urandom") + " 666", "mknod " + r("/dev/tty") + " 20666 5:0",
                  "chmod " + r("/dev/tty") + " 666"));

  EXPECT_THAT(ops.calls_starting_with({"symlink ", "unlink "}),
              ElementsAre("symlink " + r("/dev/ptmx") + " -> pts/ptmx",
                          "symlink " + r("/dev/fd") + " -> /proc/self/fd",
                          "symlink " + r("/dev/stdin") + " -> /proc/self/fd/0",
                          "symlink " + r("/dev/stdout") + " -> /proc/self/fd/1",
                          "symlink " + r("/dev/stderr") + " -> /proc/self/fd/2",
                          "symlink " + r("/dev/core") + " -> /proc/kcore"));
}

TEST(EnterRootfs, PivotRootTrick) {
  const oci::Spec spec = runc_default_spec();
  FakeMountOps ops;
  ASSERT_TRUE(enter_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls, ElementsAre("fchdir " + r(""), "pivot_root . .", "fchdir /",
                                     "mount - . - MS_REC|MS_SLAVE -", "umount2 . 2", "chdir /"));
}

TEST(EnterRootfs, NoPivotMovesAndChroots) {
  const oci::Spec spec = runc_default_spec();
  RootfsConfig config = config_for(spec);
  config.no_pivot = true;
  FakeMountOps ops;
  ASSERT_TRUE(enter_rootfs(config, ops));
  EXPECT_THAT(ops.calls, ElementsAre("chdir " + r(""), "mount " + r("") + " / - MS_MOVE -",
                                     "chroot .", "chdir /"));
}

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

oci::Spec spec_with_rootfs_propagation(const std::string& propagation) {
  oci::Spec spec = runc_default_spec();
  spec.linux_config->rootfs_propagation = propagation;
  return spec;
}

const std::string kCloneFlags = std::to_string(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
const std::string kBeneathFlags =
    std::to_string(MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | MOVE_MOUNT_BENEATH);

// A slave needs a peer group to receive from: the rootfs is made shared, a clone of it is put
// beneath it and the rootfs made a slave; pivot_root takes the clone (the rootfs' parent is
// shared) and the rootfs, stacked on it, is entered with chroot.
TEST(EnterRootfs, SlaveRootGetsAPeerBeneathIt) {
  for (const char* propagation : {"slave", "rslave"}) {
    const oci::Spec spec = spec_with_rootfs_propagation(propagation);
    FakeMountOps ops;
    ASSERT_TRUE(enter_rootfs(config_for(spec), ops));
    EXPECT_THAT(
        ops.calls,
        ElementsAre("mount - " + r("") + " - MS_SHARED -", "open_tree " + r("") + " " + kCloneFlags,
                    "move_mount tree:" + r("") + " " + r("") + " " + kBeneathFlags,
                    "mount - " + r("") + " - MS_SLAVE -", "fchdir tree:" + r(""), "pivot_root . .",
                    "fchdir /", "mount - . - MS_REC|MS_SLAVE -", "umount2 . 2", "fchdir " + r(""),
                    "chroot .", "chdir /"))
        << propagation;
  }
}

TEST(EnterRootfs, SlaveRootWithoutMountBeneathPivotsAsBefore) {
  const oci::Spec spec = spec_with_rootfs_propagation("slave");
  struct : FakeMountOps {
    Result<void> move_mount(int from_dirfd, const char* from_path, int to_dirfd,
                            const char* to_path, unsigned int flags) override {
      (void)FakeMountOps::move_mount(from_dirfd, from_path, to_dirfd, to_path, flags);
      return fail_errno("move_mount", EINVAL);  // a kernel before 6.5
    }
  } old_kernel;
  ASSERT_TRUE(enter_rootfs(config_for(spec), old_kernel));
  EXPECT_THAT(
      old_kernel.calls,
      ElementsAre("mount - " + r("") + " - MS_SHARED -", "open_tree " + r("") + " " + kCloneFlags,
                  "move_mount tree:" + r("") + " " + r("") + " " + kBeneathFlags,
                  "mount - " + r("") + " - MS_SLAVE -", "fchdir " + r(""), "pivot_root . .",
                  "fchdir /", "mount - . - MS_REC|MS_SLAVE -", "umount2 . 2", "chdir /"));
}

TEST(EnterRootfs, SlaveRootWithoutOpenTreePivotsAsBefore) {
  const oci::Spec spec = spec_with_rootfs_propagation("rslave");
  struct : FakeMountOps {
    Result<UniqueFd> open_tree(int, const char*, unsigned int) override {
      return fail_errno("open_tree", ENOSYS);  // a kernel before 5.2
    }
  } old_kernel;
  ASSERT_TRUE(enter_rootfs(config_for(spec), old_kernel));
  EXPECT_THAT(old_kernel.calls,
              ElementsAre("mount - " + r("") + " - MS_SHARED -",
                          "mount - " + r("") + " - MS_SLAVE -", "fchdir " + r(""), "pivot_root . .",
                          "fchdir /", "mount - . - MS_REC|MS_SLAVE -", "umount2 . 2", "chdir /"));
}

TEST(EnterRootfs, SlaveRootMountFailureIsReported) {
  const oci::Spec spec = spec_with_rootfs_propagation("rslave");
  struct : FakeMountOps {
    Result<void> move_mount(int, const char*, int, const char*, unsigned int) override {
      return fail_errno("move_mount", ENOMEM);
    }
  } refusing;
  auto done = enter_rootfs(config_for(spec), refusing);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message(),
            "mount a peer of rootfs " + r("") + " beneath it: Cannot allocate memory");
  EXPECT_TRUE(refusing.calls_starting_with({"pivot_root"}).empty());
}

TEST(EnterRootfs, NoPivotSlaveRootGetsAPeerBeneathIt) {
  const oci::Spec spec = spec_with_rootfs_propagation("slave");
  RootfsConfig config = config_for(spec);
  config.no_pivot = true;
  FakeMountOps ops;
  ASSERT_TRUE(enter_rootfs(config, ops));
  EXPECT_THAT(ops.calls, ElementsAre("chdir " + r(""), "mount " + r("") + " / - MS_MOVE -",
                                     "mount - . - MS_SHARED -", "open_tree . " + kCloneFlags,
                                     "move_mount tree:. . " + kBeneathFlags,
                                     "mount - . - MS_SLAVE -", "chroot .", "chdir /"));
}

TEST(EnterRootfs, OtherPropagationsPivotPlainly) {
  for (const char* propagation : {"", "private", "rshared", "unbindable"}) {
    const oci::Spec spec = spec_with_rootfs_propagation(propagation);
    FakeMountOps ops;
    ASSERT_TRUE(enter_rootfs(config_for(spec), ops));
    EXPECT_THAT(ops.calls, ElementsAre("fchdir " + r(""), "pivot_root . .", "fchdir /",
                                       "mount - . - MS_REC|MS_SLAVE -", "umount2 . 2", "chdir /"))
        << propagation;
  }
}

TEST(FinalizeRootfs, ReadonlyThenMaskedThenReadonlyRoot) {
  const oci::Spec spec = runc_default_spec();
  FakeMountOps ops;
  ops.add_dir("/proc/sys");
  ops.add_node("/proc/sysrq-trigger", S_IFREG | 0200);
  ops.add_dir("/proc/acpi");
  ops.add_node("/proc/kcore", S_IFREG | 0400);
  ops.add_node("/dev/null", S_IFCHR | 0666, makedev(1, 3));
  ops.flags_of_mounts = MS_NOSUID | MS_RELATIME;
  ASSERT_TRUE(finalize_rootfs(config_for(spec), ops));
  EXPECT_THAT(
      ops.calls,
      ElementsAre("mount /proc/sys /proc/sys - MS_BIND|MS_REC -",
                  "mount - /proc/sys - MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND|"
                  "MS_RELATIME -",
                  "mount /proc/sysrq-trigger /proc/sysrq-trigger - MS_BIND|MS_REC -",
                  "mount - /proc/sysrq-trigger - MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|"
                  "MS_BIND|MS_RELATIME -",
                  "mount tmpfs /proc/acpi tmpfs MS_RDONLY -",
                  "mount /dev/null /proc/kcore - MS_BIND -",
                  "mount - / - MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND|MS_RELATIME -"));
}

TEST(FinalizeRootfs, RefusesAFakeDevNull) {
  const oci::Spec spec = runc_default_spec();
  FakeMountOps ops;
  ops.add_node("/dev/null", S_IFREG | 0666);
  auto done = finalize_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message(), HasSubstr("/dev/null is not the null device"));
}

TEST(FinalizeRootfs, SharedPropagationIsAppliedLast) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->rootfs_propagation = "shared";
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls_starting_with({"mount "}),
              ElementsAre("mount - / - MS_REC|MS_SLAVE -",
                          "mount " + r("") + " " + r("") + " - MS_BIND|MS_REC -",
                          "mount - " + r("") + " - MS_REC|MS_PRIVATE -"));
  FakeMountOps after;
  ASSERT_TRUE(finalize_rootfs(config_for(spec), after));
  EXPECT_THAT(after.calls, ElementsAre("mount - / - MS_SHARED -"));
}

// A recursive rootfsPropagation reaches every mount; the mounts' own options are applied
// again after it, in spec order, so that they win. Mounts no longer reachable at their
// destination are skipped.
TEST(FinalizeRootfs, MountsOwnPropagationWinsOverRecursiveRootfsPropagation) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->rootfs_propagation = "rshared";
  spec.mounts = {{"/prop", "bind", "/host/a", {"rbind", "rprivate"}, {}, {}},
                 {"/tmp", "tmpfs", "tmpfs", {"mode=1777"}, {}, {}},
                 {"/gone", "bind", "/host/b", {"bind", "private"}, {}, {}},
                 {"/covered", "bind", "/host/c", {"bind", "runbindable"}, {}, {}},
                 {"/prop/inner", "bind", "/host/d", {"rbind", "rslave"}, {}, {}}};
  FakeMountOps ops;
  ops.add_dir("/prop/inner");
  ops.add_dir("/tmp");
  ops.add_dir("/covered");
  ops.mount_errors["/covered"] = EINVAL;  // not the root of a mount any more
  ASSERT_TRUE(finalize_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls,
              ElementsAre("mount - / - MS_REC|MS_SHARED -", "mount - /prop - MS_REC|MS_PRIVATE -",
                          "mount - /covered - MS_REC|MS_UNBINDABLE -",
                          "mount - /prop/inner - MS_REC|MS_SLAVE -"));
}

TEST(FinalizeRootfs, NonRecursiveRootfsPropagationLeavesMountsAlone) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->rootfs_propagation = "private";
  spec.mounts = {{"/prop", "bind", "/host/a", {"rbind", "rshared"}, {}, {}}};
  FakeMountOps ops;
  ops.add_dir("/prop");
  ASSERT_TRUE(finalize_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls, ElementsAre("mount - / - MS_PRIVATE -"));
}

TEST(FinalizeRootfs, RestoringMountPropagationReportsErrors) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->rootfs_propagation = "rslave";
  spec.mounts = {{"/prop", "bind", "/host/a", {"rbind", "rshared"}, {}, {}}};
  FakeMountOps ops;
  ops.add_dir("/prop");
  ops.mount_errors["/prop"] = EPERM;
  auto done = finalize_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message(), "set propagation of /prop: Operation not permitted");
}

TEST(PrepareRootfs, SlavePropagationKeepsTheRootfsASlave) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->rootfs_propagation = "rslave";
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls_starting_with({"mount "}),
              ElementsAre("mount - / - MS_REC|MS_SLAVE -",
                          "mount " + r("") + " " + r("") + " - MS_BIND|MS_REC -"));
}

TEST(PrepareRootfs, ReadOnlyBindIsBindThenRemount) {
  oci::Spec spec;
  spec.mounts = {{"/data", "none", "/host/data", {"rbind", "ro", "nosuid", "rslave"}, {}, {}},
                 {"/etc/resolv.conf", "bind", "/host/resolv.conf", {"bind", "rro"}, {}, {}}};
  FakeMountOps ops;
  ops.host_sources["/host/resolv.conf"] = S_IFREG | 0644;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  auto calls = ops.calls_starting_with({"mount ", "mount_setattr ", "create ", "mkdir_all "});
  calls.erase(calls.begin(), calls.begin() + 3);  // / rslave, rootfs bind, rootfs private
  EXPECT_THAT(
      calls, ElementsAre("mkdir_all " + r("/data"),
                         "mount /host/data " + r("/data") + " - MS_BIND|MS_REC -",
                         "mount - " + r("/data") + " - MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND -",
                         "mount - " + r("/data") + " - MS_REC|MS_SLAVE -", "mkdir_all " + r("/etc"),
                         "create " + r("/etc/resolv.conf"),
                         "mount /host/resolv.conf " + r("/etc/resolv.conf") + " - MS_BIND -",
                         "mount_setattr " + r("/etc/resolv.conf") +
                             " flags=" + std::to_string(AT_EMPTY_PATH | AT_RECURSIVE) +
                             " set=" + std::to_string(MOUNT_ATTR_RDONLY) + " clr=0",
                         "mkdir_all " + r("/dev")));
}

TEST(PrepareRootfs, RemountRetriesWithLockedFlagsOnEperm) {
  oci::Spec spec;
  spec.mounts = {{"/data", "none", "/host/data", {"bind", "ro"}, {}, {}}};
  // The bind succeeds, the first remount is refused as in a user namespace.
  struct : FakeMountOps {
    int remounts = 0;
    Result<void> mount(const char* s, const char* t, const char* f, unsigned long flags,
                       const char* d) override {
      auto done = FakeMountOps::mount(s, t, f, flags, d);
      if ((flags & MS_REMOUNT) && remounts++ == 0) return fail_errno("mount", EPERM);
      return done;
    }
  } userns_like;
  userns_like.flags_of_mounts = MS_NODEV | MS_NOEXEC | MS_NOATIME;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), userns_like));
  auto remounts = userns_like.calls_starting_with({"mount - " + r("/data")});
  EXPECT_THAT(remounts,
              ElementsAre("mount - " + r("/data") + " - MS_RDONLY|MS_REMOUNT|MS_BIND -",
                          "mount - " + r("/data") +
                              " - MS_RDONLY|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_NOATIME|MS_BIND -"));
}

TEST(PrepareRootfs, UserNamespaceBindsHostDevices) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->devices = {{"c", "/dev/fuse", 10, 229, 0600, 0, 0}};
  RootfsConfig config = config_for(spec);
  config.in_user_namespace = true;
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config, ops));
  EXPECT_TRUE(ops.calls_starting_with({"mknod "}).empty());
  auto binds = ops.calls_starting_with({"mount /dev/"});
  EXPECT_THAT(binds, ElementsAre("mount /dev/null " + r("/dev/null") + " - MS_BIND -",
                                 "mount /dev/zero " + r("/dev/zero") + " - MS_BIND -",
                                 "mount /dev/full " + r("/dev/full") + " - MS_BIND -",
                                 "mount /dev/random " + r("/dev/random") + " - MS_BIND -",
                                 "mount /dev/urandom " + r("/dev/urandom") + " - MS_BIND -",
                                 "mount /dev/tty " + r("/dev/tty") + " - MS_BIND -",
                                 "mount /dev/fuse " + r("/dev/fuse") + " - MS_BIND -"));
  EXPECT_THAT(ops.calls_starting_with({"create "}).front(), "create " + r("/dev/null"));
}

TEST(PrepareRootfs, ConfiguredDevicesAreMknodedWithModeAndOwner) {
  oci::Spec spec;
  spec.linux_config.emplace();
  spec.linux_config->devices = {{"c", "/dev/fuse", 10, 229, 0600, 1000, 1001},
                                {"b", "/dev/sda", 8, 0, 0660, {}, 6},
                                {"c", "/dev/null", 1, 3, 0620, {}, {}},
                                {"p", "/run/fifo", 0, 0, {}, {}, {}}};
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  auto nodes = ops.calls_starting_with({"mknod ", "chown "});
  EXPECT_THAT(
      nodes,
      ElementsAre(
          "mknod " + r("/dev/zero") + " 20666 1:5", "mknod " + r("/dev/full") + " 20666 1:7",
          "mknod " + r("/dev/random") + " 20666 1:8", "mknod " + r("/dev/urandom") + " 20666 1:9",
          "mknod " + r("/dev/tty") + " 20666 5:0", "mknod " + r("/dev/fuse") + " 20600 10:229",
          "chown " + r("/dev/fuse") + " 1000:1001", "mknod " + r("/dev/sda") + " 60660 8:0",
          "chown " + r("/dev/sda") + " -1:6", "mknod " + r("/dev/null") + " 20620 1:3",
          "mknod " + r("/run/fifo") + " 10666 0:0"));
}

TEST(PrepareRootfs, ExistingDifferentDeviceIsAnError) {
  oci::Spec spec;
  FakeMountOps ops;
  ops.add_node(r("/dev/null"), S_IFREG | 0644);
  auto done = prepare_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message(), HasSubstr("/dev/null: a different file exists there"));
}

TEST(PrepareRootfs, BindMountOfDevSkipsDeviceSetup) {
  oci::Spec spec;
  spec.mounts = {{"/dev", "bind", "/dev", {"rbind"}, {}, {}}};
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  EXPECT_TRUE(ops.calls_starting_with({"mknod ", "symlink "}).empty());
}

TEST(PrepareRootfs, ConsoleIsBoundOnDevConsole) {
  oci::Spec spec;
  spec.process.emplace();
  spec.process->terminal = true;
  RootfsConfig config = config_for(spec);
  config.console_fd = 99;
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config, ops));
  EXPECT_THAT(ops.calls_starting_with({"mount /proc/self/fd/99"}),
              ElementsAre("mount /proc/self/fd/99 " + r("/dev/console") + " - MS_BIND -"));
}

TEST(PrepareRootfs, ErrorNamesOperationAndPath) {
  const oci::Spec spec = runc_default_spec();
  FakeMountOps ops;
  ops.mount_errors[r("/proc")] = EPERM;
  auto done = prepare_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message(),
            "mount proc on /run/krill/c1/rootfs/proc: Operation not permitted");
  EXPECT_EQ(done.error().errno_value(), EPERM);
}

TEST(PrepareRootfs, ProcDestinationThatIsASymlinkIsRefused) {
  const oci::Spec spec = runc_default_spec();
  FakeMountOps ops;
  ops.add_node(r("/proc"), S_IFLNK | 0777);
  auto done = prepare_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message(), HasSubstr("rootfs/proc: destination is a symlink"));
}

TEST(PrepareRootfs, OnlyProcMayBeMountedOnProc) {
  oci::Spec spec;
  spec.mounts = {{"/proc", "tmpfs", "tmpfs", {}, {}, {}}};
  FakeMountOps ops;
  auto done = prepare_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message(), HasSubstr("destination is inside /proc"));

  oci::Spec inside;
  inside.mounts = {{"/proc/sys/kernel", "bind", "/tmp/x", {"bind"}, {}, {}}};
  FakeMountOps ops2;
  EXPECT_FALSE(prepare_rootfs(config_for(inside), ops2));

  oci::Spec allowed;
  allowed.mounts = {{"/proc", "proc", "proc", {}, {}, {}},
                    {"/proc/meminfo", "bind", "/var/lib/lxcfs/proc/meminfo", {"bind"}, {}, {}}};
  FakeMountOps ops3;
  ops3.host_sources["/var/lib/lxcfs/proc/meminfo"] = S_IFREG | 0444;
  ops3.add_node(r("/proc/meminfo"), S_IFREG | 0444);
  EXPECT_TRUE(prepare_rootfs(config_for(allowed), ops3));
}

// A bind of a proc on /proc is a proc (rootless without a pid namespace of its own); a bind of
// anything else is not.
TEST(PrepareRootfs, BindOfAProcMayBeMountedOnProc) {
  oci::Spec spec;
  spec.mounts = {{"/proc", "bind", "/proc", {"rbind"}, {}, {}}};
  FakeMountOps ops;
  ops.magic_of["/proc"] = 0x9fa0;  // PROC_SUPER_MAGIC
  EXPECT_TRUE(prepare_rootfs(config_for(spec), ops));

  oci::Spec other;
  other.mounts = {{"/proc", "bind", "/tmp/fake-proc", {"rbind"}, {}, {}}};
  FakeMountOps ops2;
  ops2.magic_of["/tmp/fake-proc"] = 0xef53;  // ext4
  auto done = prepare_rootfs(config_for(other), ops2);
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message(), HasSubstr("destination is inside /proc"));
}

TEST(PrepareRootfs, CgroupV1HostWithoutCgroupNamespaceBindsOwnCgroups) {
  oci::Spec spec;
  spec.mounts = {{"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"}, {}, {}}};
  RootfsConfig config = config_for(spec);
  config.new_cgroup_namespace = false;
  FakeMountOps ops;
  ops.cgroup_magic = 0x01021994;  // tmpfs
  ops.files["/proc/self/mountinfo"] =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
      "50 23 0:40 / /mnt/other rw - cgroup cgroup rw,pids\n";
  ops.files["/proc/self/cgroup"] = "4:cpu,cpuacct:/c1\n1:name=systemd:/sys/c1\n0::/c1\n";
  ASSERT_TRUE(prepare_rootfs(config, ops));
  auto calls = ops.calls_starting_with({"mount ", "symlink "});
  calls.resize(12);
  calls.erase(calls.begin(), calls.begin() + 3);
  const std::string cg = r("/sys/fs/cgroup");
  EXPECT_THAT(
      calls,
      ElementsAre("mount tmpfs " + cg + " tmpfs MS_NOSUID|MS_NODEV|MS_NOEXEC mode=755",
                  "mount /sys/fs/cgroup/cpu,cpuacct/c1 " + cg + "/cpu,cpuacct - MS_BIND|MS_REC -",
                  "mount - " + cg + "/cpu,cpuacct - MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND -",
                  "symlink " + cg + "/cpu -> cpu,cpuacct",
                  "symlink " + cg + "/cpuacct -> cpu,cpuacct",
                  "mount /sys/fs/cgroup/systemd/sys/c1 " + cg + "/systemd - MS_BIND|MS_REC -",
                  "mount - " + cg + "/systemd - MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND -",
                  "mount /sys/fs/cgroup/unified/c1 " + cg + "/unified - MS_BIND|MS_REC -",
                  "mount - " + cg + "/unified - MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND -"));
  EXPECT_THAT(ops.calls_starting_with({"mount - " + cg + " "}),
              ElementsAre("mount - " + cg +
                          " - MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND -"));
}

TEST(PrepareRootfs, CgroupV1HostWithCgroupNamespaceMountsControllers) {
  oci::Spec spec;
  spec.mounts = {{"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid"}, {}, {}}};
  FakeMountOps ops;
  ops.cgroup_magic = 0x01021994;
  ops.files["/proc/self/mountinfo"] =
      "32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n";
  ops.files["/proc/self/cgroup"] = "4:memory:/c1\n1:name=systemd:/c1\n";
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  const std::string cg = r("/sys/fs/cgroup");
  EXPECT_THAT(ops.calls_starting_with({"mount cgroup"}),
              ElementsAre("mount cgroup " + cg + "/memory cgroup MS_NOSUID memory",
                          "mount cgroup " + cg + "/systemd cgroup MS_NOSUID none,name=systemd"));
}

TEST(PrepareRootfs, CgroupV2WithoutNamespaceBindsOwnCgroup) {
  oci::Spec spec;
  spec.mounts = {{"/sys/fs/cgroup", "cgroup2", "cgroup", {"ro"}, {}, {}}};
  RootfsConfig config = config_for(spec);
  config.new_cgroup_namespace = false;
  FakeMountOps ops;
  ops.files["/proc/self/cgroup"] = "0::/krill/c1\n";
  ASSERT_TRUE(prepare_rootfs(config, ops));
  const std::string cg = r("/sys/fs/cgroup");
  auto calls = ops.calls_starting_with({"mount "});
  EXPECT_THAT(std::vector<std::string>(calls.begin() + 3, calls.end()),
              ElementsAre("mount /sys/fs/cgroup/krill/c1 " + cg + " - MS_BIND|MS_REC -",
                          "mount - " + cg + " - MS_RDONLY|MS_REMOUNT|MS_BIND -"));
}

TEST(PrepareRootfs, IdmappedBindMount) {
  oci::Spec spec;
  spec.mounts = {{"/data",
                  "bind",
                  "/host/data",
                  {"rbind", "ridmap"},
                  {{0, 100000, 65536}},
                  {{0, 200000, 65536}}}};
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  auto calls = ops.calls_starting_with({"open_tree", "make_userns", "mount_setattr", "move_mount"});
  EXPECT_THAT(calls,
              ElementsAre("open_tree /host/data " +
                              std::to_string(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
                          "make_userns_fd u0:100000:65536 g0:200000:65536",
                          "mount_setattr tree:/host/data flags=" +
                              std::to_string(AT_EMPTY_PATH | AT_RECURSIVE) +
                              " set=" + std::to_string(MOUNT_ATTR_IDMAP) +
                              " clr=0 userns=userns u0:100000:65536 g0:200000:65536",
                          "move_mount tree:/host/data " + r("/data") + " " +
                              std::to_string(MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)));
}

// In a user namespace the runtime makes the idmapped tree outside (the kernel refuses
// MOUNT_ATTR_IDMAP there) and the init only attaches it.
TEST(PrepareRootfs, PreparedIdmappedTreeIsOnlyMoved) {
  oci::Spec spec;
  spec.mounts = {{"/data", "bind", "/host/data", {"bind", "idmap"}, {}, {}}};
  spec.linux_config.emplace();
  spec.linux_config->uid_mappings = {{0, 100000, 65536}};
  spec.linux_config->gid_mappings = {{0, 100000, 65536}};
  FakeMountOps ops;
  auto options = parse_mount_options(spec.mounts[0].options);
  ASSERT_TRUE(options);
  auto tree = make_idmapped_tree(ops, spec.mounts[0], *options, &*spec.linux_config,
                                 /*in_user_namespace=*/true, "/data");
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_THAT(ops.calls_starting_with({"make_userns"}),
              ElementsAre("make_userns_fd u0:100000:65536 g0:100000:65536"));
  RootfsConfig config = config_for(spec);  // a prepared tree is used whatever the namespaces
  config.idmapped_trees = {{0, tree->get()}};
  const size_t before = ops.calls.size();
  ASSERT_TRUE(prepare_rootfs(config, ops));
  std::vector<std::string> after(ops.calls.begin() + static_cast<long>(before), ops.calls.end());
  for (const auto& call : after) {
    EXPECT_NE(call.rfind("open_tree", 0), 0u) << call;
    EXPECT_NE(call.rfind("mount_setattr", 0), 0u) << call;
  }
  EXPECT_NE(std::find(after.begin(), after.end(),
                      "move_mount tree:/host/data " + r("/data") + " " +
                          std::to_string(MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)),
            after.end());
}

TEST(PrepareRootfs, IdmapWithoutMappingsOrUserNamespaceFails) {
  oci::Spec spec;
  spec.mounts = {{"/data", "bind", "/host/data", {"bind", "idmap"}, {}, {}}};
  FakeMountOps ops;
  auto done = prepare_rootfs(config_for(spec), ops);
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message(), HasSubstr("no uidMappings/gidMappings"));
}

TEST(PrepareRootfs, TmpcopyupCopiesTheOldContents) {
  oci::Spec spec;
  spec.mounts = {{"/etc", "tmpfs", "tmpfs", {"tmpcopyup"}, {}, {}}};
  FakeMountOps ops;
  ops.add_dir(r("/etc"));
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls_starting_with({"copy_tree"}),
              ElementsAre("copy_tree " + r("/etc") + " " + r("/etc")));
}

TEST(PrepareRootfs, MountLabelIsPassedAsContext) {
  oci::Spec spec;
  spec.mounts = {{"/tmp", "tmpfs", "tmpfs", {"mode=1777"}, {}, {}},
                 {"/proc", "proc", "proc", {}, {}, {}}};
  spec.linux_config.emplace();
  spec.linux_config->mount_label = "system_u:object_r:container_file_t:s0";
  FakeMountOps ops;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  EXPECT_THAT(
      ops.calls_starting_with({"mount tmpfs " + r("/tmp"), "mount proc"}),
      ElementsAre("mount tmpfs " + r("/tmp") +
                      " tmpfs 0 mode=1777,context=\"system_u:object_r:container_file_t:s0\"",
                  "mount proc " + r("/proc") + " proc 0 -"));
}

TEST(PrepareRootfs, DevptsRetriesWithoutGid) {
  oci::Spec spec;
  spec.mounts = {{"/dev/pts", "devpts", "devpts", {"newinstance", "gid=5", "mode=0620"}, {}, {}}};
  FakeMountOps ops;
  ops.mount_errors[r("/dev/pts")] = EINVAL;
  ASSERT_TRUE(prepare_rootfs(config_for(spec), ops));
  EXPECT_THAT(ops.calls_starting_with({"mount devpts"}),
              ElementsAre("mount devpts " + r("/dev/pts") + " devpts 0 newinstance,gid=5,mode=0620",
                          "mount devpts " + r("/dev/pts") + " devpts 0 newinstance,mode=0620"));
}

TEST(PrepareRootfs, RejectsRelativeRootfs) {
  oci::Spec spec;
  RootfsConfig config = config_for(spec);
  config.rootfs = "rootfs";
  FakeMountOps ops;
  EXPECT_FALSE(prepare_rootfs(config, ops));
  EXPECT_TRUE(ops.calls.empty());
}

}  // namespace
}  // namespace krill::rootfs
