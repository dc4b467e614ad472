// prepare/enter/finalize against the real kernel, each in a forked child that first made
// itself a private mount namespace, so nothing reaches the host's mount table.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/rootfs/rootfs.h"

namespace krill::rootfs {
namespace {

namespace fs = std::filesystem;

// Runs body in a child with its own private mount namespace; returns "ok", the body's
// failure text, or "skip: ..." when namespaces are unavailable.
std::string run_in_mount_namespace(const std::function<std::string()>& body) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string result;
    if (::unshare(CLONE_NEWNS) != 0)
      result = std::string("skip: unshare(CLONE_NEWNS): ") + std::strerror(errno);
    else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      result = std::string("skip: make / rprivate: ") + std::strerror(errno);
    else
      result = body();
    if (result.empty()) result = "ok";
    (void)!::write(pipe_fds[1], result.data(), result.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
    output.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (output.empty()) return "child died with status " + std::to_string(status);
  return output;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

class RootfsKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char pattern[] = "/tmp/krill-rootfs-kt-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    rootfs_ = base_ / "rootfs";
    fs::create_directories(rootfs_ / "ro-dir");
    fs::create_directories(rootfs_ / "bin");
    fs::create_directories(base_ / "hostdata");
    fs::create_directories(base_ / "outside");
    std::ofstream(base_ / "hostdata" / "file") << "data";
    std::ofstream(base_ / "hostdata" / "secret") << "secret";
    fs::create_symlink(base_ / "outside", rootfs_ / "evil");
    has_busybox_ = fs::exists("/bin/busybox");
    if (has_busybox_) fs::copy_file("/bin/busybox", rootfs_ / "bin" / "busybox");
  }
  void TearDown() override {
    if (!base_.empty()) fs::remove_all(base_);
  }

  oci::Spec make_spec() const {
    oci::Spec spec;
    spec.process.emplace();
    spec.root = oci::Root{rootfs_.string(), false};
    spec.mounts = {
        {"/proc", "proc", "proc", {}, {}, {}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, {}, {}},
        {"/dev/pts",
         "devpts",
         "devpts",
         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
         {},
         {}},
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}, {}, {}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}, {}, {}},
        {"/sys/fs/cgroup",
         "cgroup",
         "cgroup",
         {"nosuid", "noexec", "nodev", "relatime", "ro"},
         {},
         {}},
        {"/data", "none", (base_ / "hostdata").string(), {"rbind", "ro"}, {}, {}},
        {"/evil", "tmpfs", "tmpfs", {"mode=755"}, {}, {}},
    };
    spec.linux_config.emplace();
    spec.linux_config->masked_paths = {"/proc/kcore", "/proc/acpi", "/data/secret",
                                       "/proc/does-not-exist"};
    spec.linux_config->readonly_paths = {"/proc/sys", "/ro-dir"};
    return spec;
  }

  fs::path base_, rootfs_;
  bool has_busybox_ = false;
};

std::string check_inside(bool has_busybox, bool host_has_memory_cgroup) {
  struct statfs sfs {};
  if (::statfs("/proc", &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC) return "/proc is not proc";
  struct stat st {};
  if (::stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    return "/dev/null is not char 1:3";
  if (::stat("/dev/tty", &st) != 0 || st.st_rdev != makedev(5, 0)) return "/dev/tty missing";
  char link[64] = {};
  if (::readlink("/dev/ptmx", link, sizeof(link) - 1) < 0 || std::string(link) != "pts/ptmx")
    return "/dev/ptmx is not a link to pts/ptmx";
  if (::statfs("/dev/pts", &sfs) != 0 || sfs.f_type != DEVPTS_SUPER_MAGIC) return "no devpts";

  // Masked paths.
  if (::stat("/proc/kcore", &st) == 0 && (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)))
    return "/proc/kcore is not masked";
  std::ifstream secret("/data/secret");
  std::string secret_text((std::istreambuf_iterator<char>(secret)), {});
  if (!secret_text.empty()) return "/data/secret is readable: " + secret_text;
  if (::statfs("/proc/acpi", &sfs) == 0 && sfs.f_type != TMPFS_MAGIC)
    return "/proc/acpi is not masked";

  // Read-only paths and mounts.
  int fd = ::open("/proc/sys/kernel/hostname", O_WRONLY);
  if (fd >= 0) {
    ssize_t n = ::write(fd, "x", 1);
    int err = errno;
    ::close(fd);
    if (n >= 0 || err != EROFS) return "/proc/sys is writable";
  } else if (errno != EROFS) {
    return errno_text("open /proc/sys/kernel/hostname");
  }
  if (::open("/ro-dir/x", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EROFS)
    return "/ro-dir is writable";
  if (::open("/data/new", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EROFS)
    return "the ro bind /data is writable";
  std::ifstream data("/data/file");
  std::string data_text((std::istreambuf_iterator<char>(data)), {});
  if (data_text != "data") return "/data/file reads \"" + data_text + "\"";
  fd = ::open("/newfile", O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return errno_text("create /newfile (root should stay writable)");
  ::close(fd);
  if (::mkdir("/sys/krill-test", 0755) == 0 || errno != EROFS) return "/sys is writable";

  // The tmpfs meant for /evil (a symlink to a host path) landed inside the rootfs.
  if (::statfs("/evil", &sfs) != 0 || sfs.f_type != TMPFS_MAGIC) return "/evil is not a tmpfs";
  fd = ::open("/evil/marker", O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return errno_text("create /evil/marker");
  ::close(fd);

  if (::statfs("/sys/fs/cgroup", &sfs) != 0) return errno_text("statfs /sys/fs/cgroup");
  if (host_has_memory_cgroup && ::access("/sys/fs/cgroup/memory/tasks", F_OK) != 0)
    return errno_text("/sys/fs/cgroup/memory/tasks");

  if (has_busybox) {
    pid_t pid = ::fork();
    if (pid == 0) {
      const char* argv[] = {"/bin/busybox", "sh", "-c",
                            "test -c /dev/null && test -r /proc/self/status && "
                            "test \"$(busybox readlink /dev/fd)\" = /proc/self/fd",
                            nullptr};
      const char* envp[] = {"PATH=/bin", nullptr};
      ::execve(argv[0], const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return "busybox checks failed with status " + std::to_string(status);
  }
  return "";
}

TEST_F(RootfsKernelTest, PrepareEnterFinalize) {
  const oci::Spec spec = make_spec();
  RootfsConfig config;
  config.spec = &spec;
  config.rootfs = rootfs_.string();
  const bool memory_cgroup = fs::exists("/sys/fs/cgroup/memory/tasks");
  const bool busybox = has_busybox_;
  std::string result = run_in_mount_namespace([&]() -> std::string {
    auto ops = make_real_mount_ops();
    if (auto done = prepare_rootfs(config, *ops); !done)
      return "prepare: " + done.error().message();
    if (auto done = enter_rootfs(config, *ops); !done) return "enter: " + done.error().message();
    if (auto done = finalize_rootfs(config, *ops); !done)
      return "finalize: " + done.error().message();
    return check_inside(busybox, memory_cgroup);
  });
  if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
  EXPECT_EQ(result, "ok");
  if (!has_busybox_) std::cout << "[ NOTE ] /bin/busybox missing: exec checks skipped\n";

  // The host side is untouched: nothing in <base>/outside, no mounts left behind.
  EXPECT_TRUE(fs::is_empty(base_ / "outside"));
  EXPECT_TRUE(fs::exists(rootfs_ / base_.relative_path() / "outside"));
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line))
    EXPECT_EQ(line.find(base_.string()), std::string::npos) << line;
}

TEST_F(RootfsKernelTest, ReadonlyRootAndNoPivot) {
  oci::Spec spec = make_spec();
  spec.root->readonly = true;
  spec.mounts.resize(2);  // proc and /dev
  spec.linux_config->masked_paths = {"/proc/kcore"};
  spec.linux_config->readonly_paths = {};
  RootfsConfig config;
  config.spec = &spec;
  config.rootfs = rootfs_.string();
  config.no_pivot = true;
  std::string result = run_in_mount_namespace([&]() -> std::string {
    auto ops = make_real_mount_ops();
    if (auto done = prepare_rootfs(config, *ops); !done)
      return "prepare: " + done.error().message();
    if (auto done = enter_rootfs(config, *ops); !done) return "enter: " + done.error().message();
    if (auto done = finalize_rootfs(config, *ops); !done)
      return "finalize: " + done.error().message();
    if (::open("/newfile", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EROFS) return "/ is writable";
    int fd = ::open("/dev/null", O_WRONLY);  // /dev stays writable
    if (fd < 0) return errno_text("open /dev/null");
    ::close(fd);
    if (::access("/bin", F_OK) != 0) return errno_text("access /bin");
    return "";
  });
  if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
  EXPECT_EQ(result, "ok");
}

TEST_F(RootfsKernelTest, ProcSymlinkIsRefused) {
  fs::create_symlink(base_ / "hostdata", rootfs_ / "proc");
  oci::Spec spec = make_spec();
  spec.mounts.resize(1);
  RootfsConfig config;
  config.spec = &spec;
  config.rootfs = rootfs_.string();
  std::string result = run_in_mount_namespace([&]() -> std::string {
    auto ops = make_real_mount_ops();
    auto done = prepare_rootfs(config, *ops);
    if (done) return "prepare accepted a /proc symlink";
    return done.error().message();
  });
  if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
  EXPECT_NE(result.find("destination is a symlink"), std::string::npos) << result;
}

// The optional fields (shared:N, master:N, unbindable) of the mounts at `mount_point` in
// /proc/self/mountinfo, one string per mount.
std::vector<std::string> propagation_fields(const std::string& mount_point) {
  std::vector<std::string> result;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, options, field, optional;
    fields >> id >> parent >> device >> root >> point >> options;
    if (point != mount_point) continue;
    while (fields >> field && field != "-") optional += (optional.empty() ? "" : " ") + field;
    result.push_back(optional);
  }
  return result;
}

bool kernel_at_least(int major, int minor) {
  struct utsname name {};
  if (::uname(&name) != 0) return false;
  int got_major = 0, got_minor = 0;
  if (std::sscanf(name.release, "%d.%d", &got_major, &got_minor) != 2) return false;
  return got_major > major || (got_major == major && got_minor >= minor);
}

// rootfsPropagation rslave in a namespace whose mounts are all private (no peer group for the
// rootfs to be a slave of): / still ends up a slave, the peer it receives from is not in the
// container's mountinfo, and a mount's own "rshared" wins over the recursive rslave.
TEST_F(RootfsKernelTest, SlaveRootOnPrivateMounts) {
  if (!kernel_at_least(6, 5)) GTEST_SKIP() << "MOVE_MOUNT_BENEATH needs Linux 6.5";
  for (bool no_pivot : {false, true}) {
    oci::Spec spec = make_spec();
    spec.mounts = {spec.mounts[0],
                   spec.mounts[1],
                   {"/data", "none", (base_ / "hostdata").string(), {"rbind", "rshared"}, {}, {}}};
    spec.linux_config->masked_paths = {};
    spec.linux_config->readonly_paths = {};
    spec.linux_config->rootfs_propagation = "rslave";
    RootfsConfig config;
    config.spec = &spec;
    config.rootfs = rootfs_.string();
    config.no_pivot = no_pivot;
    std::string result = run_in_mount_namespace([&]() -> std::string {
      auto ops = make_real_mount_ops();
      if (auto done = prepare_rootfs(config, *ops); !done)
        return "prepare: " + done.error().message();
      if (auto done = enter_rootfs(config, *ops); !done) return "enter: " + done.error().message();
      if (auto done = finalize_rootfs(config, *ops); !done)
        return "finalize: " + done.error().message();
      auto root = propagation_fields("/");
      if (root.size() != 1) return "/ is mounted " + std::to_string(root.size()) + " times";
      if (root[0].find("master:") == std::string::npos || root[0].find("shared:") == 0)
        return "/ is not a slave: \"" + root[0] + "\"";
      auto data = propagation_fields("/data");
      if (data.size() != 1 || data[0].rfind("shared:", 0) != 0)
        return "/data is not shared: \"" + (data.empty() ? "" : data[0]) + "\"";
      if (::access("/bin", F_OK) != 0) return errno_text("access /bin");
      return "";
    });
    if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
    EXPECT_EQ(result, "ok") << (no_pivot ? "no pivot" : "pivot_root");
  }
}

TEST_F(RootfsKernelTest, IdmappedBindMount) {
  fs::create_directories(base_ / "idsrc");
  std::ofstream(base_ / "idsrc" / "owned") << "x";
  ASSERT_EQ(::chown((base_ / "idsrc" / "owned").c_str(), 0, 0), 0);
  oci::Spec spec = make_spec();
  // On-disk ids are the containerID side of the mapping and show as the hostID side, like a
  // user namespace's uid_map: files of uid 0 appear owned by 1000 through the mount.
  spec.mounts = {{"/mapped",
                  "bind",
                  (base_ / "idsrc").string(),
                  {"bind", "idmap"},
                  {{0, 1000, 1}},
                  {{0, 1000, 1}}}};
  spec.linux_config->masked_paths = {};
  spec.linux_config->readonly_paths = {};
  RootfsConfig config;
  config.spec = &spec;
  config.rootfs = rootfs_.string();
  std::string result = run_in_mount_namespace([&]() -> std::string {
    auto ops = make_real_mount_ops();
    auto done = prepare_rootfs(config, *ops);
    if (!done) return "prepare: " + done.error().message();
    struct stat st {};
    if (::stat((config.rootfs + "/mapped/owned").c_str(), &st) != 0) return errno_text("stat");
    if (st.st_uid != 1000 || st.st_gid != 1000)
      return "owner is " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    return "";
  });
  if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
  if (result.find("does not support idmapped") != std::string::npos ||
      result.find("need Linux 5.12") != std::string::npos)
    GTEST_SKIP() << result;
  EXPECT_EQ(result, "ok");
}

}  // namespace
}  // namespace krill::rootfs
