// Tests against the real kernel: need root; every cgroup they make is named
// krill-test-* and removed again, also when an assertion fails (RAII).
#include <fcntl.h>
#include <ftw.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>

#include "runtime/cgroups/device_filter_bpf.h"
#include "runtime/cgroups/devices.h"
#include "runtime/cgroups/manager.h"
#include "test_support.h"

namespace krill::cgroups {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

#define SKIP_UNLESS_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root"

std::string unique_name(const std::string& what) {
  static std::atomic<int> counter{0};
  return "krill-test-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Removes <mountpoint>/<name> (and sub-cgroups) in every hierarchy on exit.
class CgroupTreeGuard {
 public:
  explicit CgroupTreeGuard(std::string name) : name_(std::move(name)) {}
  ~CgroupTreeGuard() {
    auto hierarchies = discover_hierarchies();
    if (!hierarchies) return;
    for (const auto& h : *hierarchies) {
      std::string top = h.mountpoint + "/" + name_;
      if (!testing::exists(top)) continue;
      ::nftw(
          top.c_str(),
          [](const char* p, const struct stat*, int type, struct FTW*) {
            if (type == FTW_DP) ::rmdir(p);
            return 0;
          },
          16, FTW_DEPTH | FTW_PHYS);
    }
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A child process that waits for release(), then runs `body` and exits with
// its result. Killed and reaped on destruction if still there.
class WaitingChild {
 public:
  explicit WaitingChild(std::function<int()> body = nullptr) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[1]);
      char byte;
      while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
      }
      if (!body) {
        for (;;) ::pause();
      }
      _exit(body());
    }
    ::close(fds[0]);
    release_fd_ = fds[1];
  }
  WaitingChild(const WaitingChild&) = delete;
  WaitingChild& operator=(const WaitingChild&) = delete;
  ~WaitingChild() {
    if (release_fd_ >= 0) ::close(release_fd_);
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void release() {
    char byte = 1;
    (void)!::write(release_fd_, &byte, 1);
  }
  // Exit code, or 128 + signal.
  int wait() {
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return -1;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool reaped_ = false;
};

// 1: /dev/null opens; 2: /dev/zero is refused with EPERM.
int probe_devices() {
  int result = 0;
  int fd = ::open("/dev/null", O_RDWR);
  if (fd >= 0) {
    result |= 1;
    ::close(fd);
  }
  fd = ::open("/dev/zero", O_RDONLY);
  if (fd < 0 && errno == EPERM) result |= 2;
  if (fd >= 0) ::close(fd);
  return result;
}

std::optional<std::string> read_in_paths(const std::vector<std::string>& dirs,
                                         const std::string& file) {
  for (const auto& dir : dirs)
    if (testing::exists(dir + "/" + file)) {
      std::string text = testing::read_text(dir + "/" + file);
      while (!text.empty() && text.back() == '\n') text.pop_back();
      return text;
    }
  return std::nullopt;
}

std::vector<oci::DeviceCgroupRule> null_only_rules() {
  return {{false, "a", std::nullopt, std::nullopt, "rwm"}, {true, "c", 1, 3, "rwm"}};
}

TEST(RealKernel, LifeCycle) {
  SKIP_UNLESS_ROOT();
  CgroupTreeGuard guard(unique_name("life"));
  auto opened = Manager::open("/" + guard.name() + "/ctr", "ctr", ManagerOptions{});
  ASSERT_TRUE(opened) << opened.error().message();
  Manager& manager = *opened;
  auto created = manager.create();
  ASSERT_TRUE(created) << created.error().message();
  for (const auto& dir : manager.paths()) EXPECT_TRUE(testing::exists(dir)) << dir;

  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 64 << 20;
  r.pids = oci::PidsResources{16};
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  auto applied = manager.apply(r);
  ASSERT_TRUE(applied) << applied.error().message();

  WaitingChild child;
  ASSERT_GT(child.pid(), 0);
  auto added = manager.add_process(child.pid());
  ASSERT_TRUE(added) << added.error().message();
  auto pids = manager.pids();
  ASSERT_TRUE(pids) << pids.error().message();
  EXPECT_THAT(*pids, ElementsAre(child.pid()));

  auto paths = manager.paths();
  if (manager.layout() == Layout::kV2) {
    EXPECT_EQ(read_in_paths(paths, "memory.max"), "67108864");
    EXPECT_EQ(read_in_paths(paths, "cpu.weight"), "20");
    EXPECT_EQ(read_in_paths(paths, "cpu.max"), "50000 100000");
  } else {
    EXPECT_EQ(read_in_paths(paths, "memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(read_in_paths(paths, "cpu.shares"), "512");
    EXPECT_EQ(read_in_paths(paths, "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read_in_paths(paths, "cpu.cfs_period_us"), "100000");
  }
  EXPECT_EQ(read_in_paths(paths, "pids.max"), "16");

  ASSERT_TRUE(manager.freeze());
  EXPECT_TRUE(*manager.frozen());
  ASSERT_TRUE(manager.thaw());
  EXPECT_FALSE(*manager.frozen());

  // Live update, as `update` does it.
  oci::Resources update;
  update.pids = oci::PidsResources{32};
  ASSERT_TRUE(manager.apply(update));
  EXPECT_EQ(read_in_paths(paths, "pids.max"), "32");

  auto stats = manager.stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->pids.current, 1u);
  EXPECT_EQ(stats->pids.limit, 32u);
  EXPECT_EQ(stats->memory.usage.limit, 64u << 20);
  EXPECT_THAT(stats_to_json(*stats), HasSubstr("\"pids\":{\"current\":1,\"limit\":32}"));

  auto destroyed = manager.destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  EXPECT_EQ(child.wait(), 128 + SIGKILL);
  auto hierarchies = discover_hierarchies();
  ASSERT_TRUE(hierarchies);
  for (const auto& h : *hierarchies)
    EXPECT_FALSE(testing::exists(h.mountpoint + "/" + guard.name())) << h.mountpoint;
  EXPECT_TRUE(manager.destroy());  // idempotent
}

TEST(RealKernel, SignalAllReachesEveryProcess) {
  SKIP_UNLESS_ROOT();
  CgroupTreeGuard guard(unique_name("signal"));
  auto manager = Manager::open("/" + guard.name(), "x", ManagerOptions{});
  ASSERT_TRUE(manager) << manager.error().message();
  ASSERT_TRUE(manager->create());
  WaitingChild first, second;
  ASSERT_TRUE(manager->add_process(first.pid()));
  ASSERT_TRUE(manager->add_process(second.pid()));
  ASSERT_TRUE(manager->signal_all(SIGTERM));
  EXPECT_EQ(first.wait(), 128 + SIGTERM);
  EXPECT_EQ(second.wait(), 128 + SIGTERM);
  EXPECT_TRUE(manager->destroy());
}

TEST(RealKernel, HugetlbLimitWhereverHugetlbLives) {
  SKIP_UNLESS_ROOT();
  auto hierarchies = discover_hierarchies();
  ASSERT_TRUE(hierarchies);
  bool have_hugetlb = false;
  for (const auto& h : *hierarchies) have_hugetlb |= h.has("hugetlb");
  if (!have_hugetlb || !testing::exists("/sys/kernel/mm/hugepages/hugepages-2048kB"))
    GTEST_SKIP() << "no hugetlb controller or no 2MB pages";
  CgroupTreeGuard guard(unique_name("hugetlb"));
  auto manager = Manager::open("/" + guard.name() + "/ctr", "ctr", ManagerOptions{});
  ASSERT_TRUE(manager);
  ASSERT_TRUE(manager->create());
  oci::Resources r;
  r.hugepage_limits.push_back({"2MB", 4 << 20});
  auto applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  auto value = read_in_paths(manager->paths(), "hugetlb.2MB.max");
  if (!value) value = read_in_paths(manager->paths(), "hugetlb.2MB.limit_in_bytes");
  EXPECT_EQ(value, "4194304");
  auto stats = manager->stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_TRUE(stats->hugetlb.contains("2MB"));
  EXPECT_TRUE(manager->destroy());
}

TEST(RealKernel, UnifiedKeysAreWrittenInTheV2Directory) {
  SKIP_UNLESS_ROOT();
  CgroupTreeGuard guard(unique_name("unified"));
  auto manager = Manager::open("/" + guard.name(), "x", ManagerOptions{});
  ASSERT_TRUE(manager);
  if (manager->layout() == Layout::kV1) GTEST_SKIP() << "no cgroup v2 on this host";
  ASSERT_TRUE(manager->create());
  oci::Resources r;
  r.unified["cgroup.max.descendants"] = "5";
  ASSERT_TRUE(manager->apply(r));
  EXPECT_EQ(read_in_paths(manager->paths(), "cgroup.max.descendants"), "5");
  r.unified = {{"no.such.file", "1"}};
  EXPECT_FALSE(manager->apply(r));
  EXPECT_TRUE(manager->destroy());
}

TEST(RealKernel, V1DevicesController) {
  SKIP_UNLESS_ROOT();
  auto hierarchies = discover_hierarchies();
  ASSERT_TRUE(hierarchies);
  bool v1_devices = false;
  for (const auto& h : *hierarchies) v1_devices |= !h.v2 && h.has("devices");
  if (!v1_devices) GTEST_SKIP() << "no v1 devices controller";
  CgroupTreeGuard guard(unique_name("devices"));
  auto manager = Manager::open("/" + guard.name(), "x", ManagerOptions{});
  ASSERT_TRUE(manager);
  ASSERT_TRUE(manager->create());
  oci::Resources r;
  r.devices = null_only_rules();
  auto applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(read_in_paths(manager->paths(), "devices.list"), "c 1:3 rwm");
  WaitingChild child(probe_devices);
  ASSERT_TRUE(manager->add_process(child.pid()));
  child.release();
  EXPECT_EQ(child.wait(), 3);
  EXPECT_TRUE(manager->destroy());
}

// The cgroup2 mount alone, seen as a pure v2 host: exercises the v2 code
// paths (eBPF devices, cgroup.freeze) even on a hybrid machine.
TEST(RealKernel, PureV2ViewOfTheUnifiedMount) {
  SKIP_UNLESS_ROOT();
  std::string mountinfo = testing::read_text("/proc/self/mountinfo");
  std::string v2_only;
  for (size_t start = 0; start < mountinfo.size();) {
    size_t end = mountinfo.find('\n', start);
    std::string line = mountinfo.substr(start, end - start);
    if (line.find(" - cgroup2 ") != std::string::npos) v2_only += line + "\n";
    start = end == std::string::npos ? mountinfo.size() : end + 1;
  }
  if (v2_only.empty()) GTEST_SKIP() << "no cgroup2 mount";
  testing::TempDir temp;
  testing::write_text(temp.path() + "/mountinfo", v2_only);
  CgroupTreeGuard guard(unique_name("v2"));
  ManagerOptions options;
  options.mountinfo_path = temp.path() + "/mountinfo";
  auto manager = Manager::open("/" + guard.name() + "/ctr", "ctr", options);
  ASSERT_TRUE(manager) << manager.error().message();
  EXPECT_EQ(manager->layout(), Layout::kV2);
  ASSERT_TRUE(manager->create());
  ASSERT_EQ(manager->paths().size(), 1u);

  oci::Resources r;
  r.devices = null_only_rules();
  auto applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  // Updating replaces the program instead of stacking another one.
  applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  {
    UniqueFd dir(::open(manager->paths()[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto ids = attached_device_programs(dir.get());
    ASSERT_TRUE(ids) << ids.error().message();
    EXPECT_EQ(ids->size(), 1u);
  }

  WaitingChild child(probe_devices);
  ASSERT_TRUE(manager->add_process(child.pid()));
  EXPECT_THAT(*manager->pids(), ElementsAre(child.pid()));
  ASSERT_TRUE(manager->freeze());
  EXPECT_TRUE(*manager->frozen());
  ASSERT_TRUE(manager->thaw());
  EXPECT_FALSE(*manager->frozen());
  child.release();
  EXPECT_EQ(child.wait(), 3);

  // Network settings need v1 hierarchies this view does not have.
  oci::Resources net;
  net.network = oci::NetworkResources{};
  net.network->class_id = 1;
  auto refused = manager->apply(net);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("net_cls"));

  auto destroyed = manager->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  EXPECT_FALSE(testing::exists(manager->paths()[0]));
}

TEST(RealKernel, VerifierAcceptsGeneratedPrograms) {
  SKIP_UNLESS_ROOT();
  std::vector<std::vector<oci::DeviceCgroupRule>> cases = {
      {},
      null_only_rules(),
      {{true, "a", std::nullopt, std::nullopt, "rwm"}, {false, "b", 8, std::nullopt, "w"}},
      {{true, "a", 7, std::nullopt, "r"}, {false, "c", std::nullopt, 3, "m"}},
  };
  auto defaults = default_allowed_device_rules();
  defaults.insert(defaults.begin(), {false, "a", std::nullopt, std::nullopt, "rwm"});
  cases.push_back(defaults);
  for (const auto& rules : cases) {
    auto converted = to_device_rules(rules);
    ASSERT_TRUE(converted);
    auto loaded = load_device_program(device_filter_program(to_device_policy(*converted)));
    EXPECT_TRUE(loaded) << loaded.error().message();
  }
}

}  // namespace
}  // namespace krill::cgroups

namespace krill::cgroups {
namespace {

// Every memory/cpu/blockIO/pids setting this host's kernel has files for.
TEST(RealKernel, ManySettingsAccepted) {
  SKIP_UNLESS_ROOT();
  CgroupTreeGuard guard(unique_name("many"));
  auto manager = Manager::open("/" + guard.name() + "/ctr", "ctr", ManagerOptions{});
  ASSERT_TRUE(manager);
  ASSERT_TRUE(manager->create());
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 128 << 20;
  r.memory->reservation = 64 << 20;
  r.memory->kernel = -1;
  r.memory->kernel_tcp = -1;
  if (manager->layout() != Layout::kV2) {
    r.memory->swappiness = 30;
    r.memory->disable_oom_killer = false;
  }
  r.memory->swap = 256 << 20;
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 2048;
  r.cpu->quota = 20000;
  r.cpu->period = 50000;
  r.cpu->cpus = "0";
  r.cpu->mems = "0";
  r.pids = oci::PidsResources{100};
  // A weight needs a proportional I/O scheduler (BFQ or CFQ); kernels without one have none.
  struct stat st {};
  bool weight_files = false;
  for (const char* file :
       {"/sys/fs/cgroup/blkio/blkio.bfq.weight", "/sys/fs/cgroup/blkio/blkio.weight",
        "/sys/fs/cgroup/blkio/blkio.bfq.weight_device"})
    weight_files = weight_files || ::stat(file, &st) == 0;
  if (manager->layout() == Layout::kV2 || weight_files) {
    r.block_io = oci::BlockIoResources{};
    r.block_io->weight = 200;
  }
  auto applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  // Lower the limit below memsw again: the order of the two writes matters on v1.
  r.memory->limit = 32 << 20;
  r.memory->swap = 48 << 20;
  applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  r.memory->limit = 512 << 20;
  r.memory->swap = 1024 << 20;
  applied = manager->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  auto paths = manager->paths();
  if (manager->layout() != Layout::kV2) {
    EXPECT_EQ(read_in_paths(paths, "memory.limit_in_bytes"), "536870912");
    EXPECT_EQ(read_in_paths(paths, "memory.memsw.limit_in_bytes"), "1073741824");
    EXPECT_EQ(read_in_paths(paths, "cpuset.cpus"), "0");
  }
  auto stats = manager->stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_TRUE(manager->destroy());
}

}  // namespace
}  // namespace krill::cgroups
