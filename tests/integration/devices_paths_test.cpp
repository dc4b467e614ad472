// Devices and path masking: config-linux.md "Devices", "Default Devices", "Masked Paths",
// "Readonly Paths".
#include <errno.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"

namespace krill::it {
namespace {

// Why linux.devices beyond the host's own nodes cannot be tested rootless.
constexpr const char* kNoDeviceNodes =
    "mknod(2) of a device node needs CAP_MKNOD in the host's user namespace (a rootless runtime "
    "can only bind-mount the host's nodes), and device cgroup rules need the devices cgroup";

// config-linux.md Default Devices: null, zero, full, random, urandom, tty as character devices
// and /dev/ptmx (a bind mount or symlink of /dev/pts/ptmx).
TEST(Devices, DefaultDevices) {
  Bundle bundle;
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  struct Expected {
    const char* path;
    unsigned major, minor;
  };
  for (auto [path, major, minor] : {Expected{"/dev/null", 1, 3}, Expected{"/dev/zero", 1, 5},
                                    Expected{"/dev/full", 1, 7}, Expected{"/dev/random", 1, 8},
                                    Expected{"/dev/urandom", 1, 9}, Expected{"/dev/tty", 5, 0}}) {
    const json& devices = probe.report["devices"];
    ASSERT_TRUE(devices.contains(path)) << path << " missing; /dev: " << devices.dump();
    EXPECT_EQ(devices[path]["type"], "c") << path;
    EXPECT_EQ(devices[path]["major"], major) << path;
    EXPECT_EQ(devices[path]["minor"], minor) << path;
  }
  const json& report = probe.report;
  bool ptmx_link = report["dev_symlinks"].contains("/dev/ptmx") &&
                   (report["dev_symlinks"]["/dev/ptmx"] == "pts/ptmx" ||
                    report["dev_symlinks"]["/dev/ptmx"] == "/dev/pts/ptmx");
  bool ptmx_bind =
      report["devices"].contains("/dev/ptmx") && find_mount(report, "/dev/ptmx").is_object();
  EXPECT_TRUE(ptmx_link || ptmx_bind) << report["dev_symlinks"].dump();
  // /dev/console only exists with a terminal (see terminal_test.cpp).
}

// config-linux.md Default Devices: the default devices are usable (the devices cgroup allows
// them).
TEST(Devices, DefaultDevicesAreUsable) {
  Bundle bundle;
  bundle.set_args({"/bin/sh", "-c",
                   "echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom "
                   "| wc -c"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "4\n4\n");
}

// config-linux.md Devices: each device in linux.devices exists with its type, numbers, file
// mode, uid and gid.
TEST(Devices, ConfiguredDevices) {
  KRILL_SKIP_IF_ROOTLESS(kNoDeviceNodes);
  Bundle bundle;
  bundle.config["linux"]["devices"] = {{{"path", "/dev/kit-char"},
                                        {"type", "c"},
                                        {"major", 1},
                                        {"minor", 3},
                                        {"fileMode", 0640},
                                        {"uid", 1234},
                                        {"gid", 5678}},
                                       {{"path", "/dev/kit-dir/blk"},
                                        {"type", "b"},
                                        {"major", 7},
                                        {"minor", 200},
                                        {"fileMode", 0600},
                                        {"uid", 0},
                                        {"gid", 0}}};
  bundle.config["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rwm"}});
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  const json& devices = probe.report["devices"];
  ASSERT_TRUE(devices.contains("/dev/kit-char")) << devices.dump();
  EXPECT_EQ(devices["/dev/kit-char"]["type"], "c");
  EXPECT_EQ(devices["/dev/kit-char"]["major"], 1);
  EXPECT_EQ(devices["/dev/kit-char"]["minor"], 3);
  EXPECT_EQ(devices["/dev/kit-char"]["mode"], 0640);
  EXPECT_EQ(devices["/dev/kit-char"]["uid"], 1234);
  EXPECT_EQ(devices["/dev/kit-char"]["gid"], 5678);
  ASSERT_TRUE(devices.contains("/dev/kit-dir/blk")) << devices.dump();
  EXPECT_EQ(devices["/dev/kit-dir/blk"]["type"], "b");
  EXPECT_EQ(devices["/dev/kit-dir/blk"]["major"], 7);
  EXPECT_EQ(devices["/dev/kit-dir/blk"]["minor"], 200);
  EXPECT_EQ(devices["/dev/kit-dir/blk"]["mode"], 0600);
}

// config-linux.md Devices + Allowed Device List: a configured device that the devices cgroup
// allows can be opened (the kernel then answers ENXIO for this unused minor, not EPERM), and one
// it denies cannot (EPERM). 1:12 is an unused minor of the mem driver, so nothing is touched.
TEST(Devices, AllowedDeviceCanBeOpened) {
  KRILL_SKIP_IF_ROOTLESS(kNoDeviceNodes);
  Bundle bundle;
  bundle.config["linux"]["devices"] = {{{"path", "/dev/kit-allowed"},
                                        {"type", "c"},
                                        {"major", 1},
                                        {"minor", 12},
                                        {"fileMode", 0666}}};
  bundle.config["linux"]["resources"]["devices"] = {
      {{"allow", false}, {"access", "rwm"}},
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 12}, {"access", "rwm"}}};
  bundle.set_args({"/probe", "read", "/dev/kit-allowed"});
  Container c(bundle);
  CommandResult r = c.run();
  EXPECT_EQ(r.exit_code, ENXIO) << r.describe();
}

// config-linux.md Allowed Device List: a device that the devices cgroup denies cannot be opened.
TEST(Devices, DeniedDeviceCannotBeOpened) {
  KRILL_SKIP_IF_ROOTLESS(kNoDeviceNodes);
  Bundle bundle;
  bundle.config["linux"]["devices"] = {{{"path", "/dev/kit-denied"},
                                        {"type", "c"},
                                        {"major", 1},
                                        {"minor", 12},
                                        {"fileMode", 0666}}};
  bundle.config["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "rwm"}}};
  bundle.set_args({"/probe", "read", "/dev/kit-denied"});
  Container c(bundle);
  CommandResult r = c.run();
  EXPECT_EQ(r.exit_code, EPERM) << r.describe();
}

// config-linux.md Masked Paths: masked files and directories cannot be read.
TEST(Paths, MaskedPaths) {
  Bundle bundle;
  bundle.config["root"]["readonly"] = false;
  std::filesystem::create_directories(bundle.rootfs() + "/var/secret-dir");
  write_file(bundle.rootfs() + "/var/secret-dir/inside", "hidden");
  write_file(bundle.rootfs() + "/etc/secret-file", "hidden");
  bundle.config["linux"]["maskedPaths"] = {"/proc/kcore", "/etc/secret-file", "/var/secret-dir",
                                           "/does/not/exist"};
  bundle.set_args({"/bin/sh", "-c",
                   "cat /etc/secret-file; ls -A /var/secret-dir; head -c 16 /proc/kcore | wc -c"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "0\n") << "masked content was readable";
}

// config-linux.md Readonly Paths: listed paths are read-only (EROFS), others stay writable.
TEST(Paths, ReadonlyPaths) {
  Bundle bundle;
  bundle.config["root"]["readonly"] = false;
  std::filesystem::create_directories(bundle.rootfs() + "/var/ro");
  std::filesystem::create_directories(bundle.rootfs() + "/var/rw");
  bundle.config["linux"]["readonlyPaths"] = {"/var/ro", "/proc/sys"};
  bundle.set_args({"/bin/sh", "-c",
                   "/probe write /var/ro/x; echo $?; /probe write /var/rw/x; echo $?; "
                   "/probe write /proc/sys/kernel/domainname kit; echo $?"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  std::string erofs = std::to_string(EROFS);
  EXPECT_EQ(r.out, erofs + "\n0\n" + erofs + "\n");
}

}  // namespace
}  // namespace krill::it
