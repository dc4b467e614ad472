// Manager against fake cgroup trees in a temp dir: which files get written
// with what, on v1, v2 and hybrid layouts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroups/manager.h"
#include "test_support.h"

namespace krill::cgroups {
namespace {

using testing::FakeHost;
using ::testing::HasSubstr;

std::vector<FakeHost::V1Mount> all_v1() {
  return {{"cpu", "cpu"},       {"cpuacct", "cpuacct"}, {"cpuset", "cpuset"},
          {"memory", "memory"}, {"devices", "devices"}, {"freezer", "freezer"},
          {"blkio", "blkio"},   {"pids", "pids"},       {"systemd", "name=systemd"}};
}

Manager open_or_die(const FakeHost& host, const std::string& path, const std::string& id = "c1") {
  ManagerOptions options;
  options.mountinfo_path = host.mountinfo_path();
  auto manager = Manager::open(path, id, options);
  EXPECT_TRUE(manager) << manager.error().message();
  return std::move(*manager);
}

std::string trimmed(const std::string& s) {
  auto end = s.find_last_not_of("\n ");
  return end == std::string::npos ? "" : s.substr(0, end + 1);
}

TEST(ManagerFake, PathsDefaultAbsoluteAndInvalid) {
  FakeHost host(all_v1(), true, "hugetlb");
  ManagerOptions options;
  options.mountinfo_path = host.mountinfo_path();
  auto by_default = Manager::open("", "ctr", options);
  ASSERT_TRUE(by_default);
  EXPECT_EQ(by_default->layout(), Layout::kHybrid);
  auto paths = by_default->paths();
  ASSERT_EQ(paths.size(), 10u);
  EXPECT_EQ(paths[0], host.path("cpu/krill-ctr"));
  EXPECT_EQ(paths.back(), host.path("unified/krill-ctr"));

  auto absolute = Manager::open("//a/./b/", "ctr", options);
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->paths()[3], host.path("memory/a/b"));

  for (const char* bad : {"/a/../b", "/", "system.slice:krill:ctr"}) {
    auto refused = Manager::open(bad, "ctr", options);
    EXPECT_FALSE(refused) << bad;
  }
  EXPECT_FALSE(Manager::open("", "a/b", options));
}

TEST(ManagerFake, RelativePathIsBelowOwnCgroup) {
  FakeHost host({{"memory", "memory"}, {"cpu,cpuacct", "cpu,cpuacct"}}, true, "pids");
  testing::write_text(host.temp() + "/self-cgroup",
                      "5:memory:/user/session\n2:cpuacct,cpu:/\n0::/system.slice/x\n");
  ManagerOptions options;
  options.mountinfo_path = host.mountinfo_path();
  options.proc_self_cgroup_path = host.temp() + "/self-cgroup";
  auto manager = Manager::open("pods/c1", "c1", options);
  ASSERT_TRUE(manager) << manager.error().message();
  auto paths = manager->paths();
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0], host.path("memory/user/session/pods/c1"));
  EXPECT_EQ(paths[1], host.path("cpu,cpuacct/pods/c1"));
  EXPECT_EQ(paths[2], host.path("unified/system.slice/x/pods/c1"));
}

TEST(ManagerFake, RelativePathUsesTheRecordedCreatorCgroups) {
  FakeHost host({{"memory", "memory"}}, false, "");
  // The calling process now sits elsewhere; the recorded creator's cgroups win.
  testing::write_text(host.temp() + "/self-cgroup", "5:memory:/elsewhere\n");
  ManagerOptions options;
  options.mountinfo_path = host.mountinfo_path();
  options.proc_self_cgroup_path = host.temp() + "/self-cgroup";
  options.caller_cgroups = "5:memory:/user/session\n";
  auto manager = Manager::open("pods/c1", "c1", options);
  ASSERT_TRUE(manager) << manager.error().message();
  ASSERT_EQ(manager->paths().size(), 1u);
  EXPECT_EQ(manager->paths()[0], host.path("memory/user/session/pods/c1"));
}

TEST(ManagerFake, CreateMakesEveryHierarchyAndInitialisesCpuset) {
  FakeHost host(all_v1(), true, "hugetlb");
  host.touch("cpuset/cpuset.cpus", "0-3\n");
  host.touch("cpuset/cpuset.mems", "0\n");
  // On a real cgroupfs mkdir creates these files, empty.
  host.touch("cpuset/krill-test/cpuset.cpus");
  host.touch("cpuset/krill-test/cpuset.mems");
  host.touch("cpuset/krill-test/c1/cpuset.cpus");
  host.touch("cpuset/krill-test/c1/cpuset.mems");
  host.touch("unified/cgroup.subtree_control");
  auto manager = open_or_die(host, "/krill-test/c1");
  ASSERT_TRUE(manager.create());
  for (const auto& dir : manager.paths()) EXPECT_TRUE(testing::exists(dir)) << dir;
  EXPECT_TRUE(testing::exists(host.path("systemd/krill-test/c1")));
  EXPECT_EQ(trimmed(host.read("cpuset/krill-test/cpuset.cpus")), "0-3");
  EXPECT_EQ(trimmed(host.read("cpuset/krill-test/c1/cpuset.cpus")), "0-3");
  EXPECT_EQ(trimmed(host.read("cpuset/krill-test/c1/cpuset.mems")), "0");
  // hugetlb lives in the unified hierarchy: enabled for the children of its root
  EXPECT_EQ(host.read("unified/cgroup.subtree_control"), "+hugetlb");

  // add_process writes cgroup.procs everywhere.
  for (const auto& dir : manager.paths()) testing::write_text(dir + "/cgroup.procs", "");
  ASSERT_TRUE(manager.add_process(4242));
  for (const auto& dir : manager.paths())
    EXPECT_EQ(testing::read_text(dir + "/cgroup.procs"), "4242") << dir;
  auto pids = manager.pids();
  ASSERT_TRUE(pids);
  EXPECT_THAT(*pids, ::testing::ElementsAre(4242));
}

TEST(ManagerFake, V1Resources) {
  FakeHost host(all_v1(), false, "");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  for (const char* f : {"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness",
                        "memory.oom_control"})
    host.touch(std::string("memory/k/c1/") + f);
  host.touch("memory/k/c1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  for (const char* f : {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_runtime_us",
                        "cpu.rt_period_us"})
    host.touch(std::string("cpu/k/c1/") + f);
  host.touch("cpuset/k/c1/cpuset.cpus");
  host.touch("cpuset/k/c1/cpuset.mems");
  host.touch("pids/k/c1/pids.max");
  host.touch("blkio/k/c1/blkio.bfq.weight");
  host.touch("blkio/k/c1/blkio.bfq.weight_device");
  host.touch("blkio/k/c1/blkio.throttle.read_bps_device");
  host.touch("blkio/k/c1/blkio.throttle.write_iops_device");
  host.touch("devices/k/c1/devices.allow");
  host.touch("devices/k/c1/devices.deny");

  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 100 << 20;
  r.memory->swap = 200 << 20;
  r.memory->reservation = 50 << 20;
  r.memory->swappiness = 10;
  r.memory->disable_oom_killer = true;
  r.memory->kernel = 1 << 20;  // no memory.kmem.* files: ignored, like runc
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->realtime_runtime = 950;
  r.cpu->realtime_period = 1000;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  r.pids = oci::PidsResources{64};
  r.block_io = oci::BlockIoResources{};
  r.block_io->weight = 300;
  r.block_io->weight_device.push_back({8, 0, 500, std::nullopt});
  r.block_io->throttle_read_bps_device.push_back({8, 0, 1048576});
  r.block_io->throttle_write_iops_device.push_back({8, 16, 300});
  r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
  r.devices.push_back({true, "c", 1, 3, "rwm"});
  auto applied = manager.apply(r);
  ASSERT_TRUE(applied) << applied.error().message();

  EXPECT_EQ(host.read("memory/k/c1/memory.limit_in_bytes"), "104857600");
  EXPECT_EQ(host.read("memory/k/c1/memory.memsw.limit_in_bytes"), "209715200");
  EXPECT_EQ(host.read("memory/k/c1/memory.soft_limit_in_bytes"), "52428800");
  EXPECT_EQ(host.read("memory/k/c1/memory.swappiness"), "10");
  EXPECT_EQ(host.read("memory/k/c1/memory.oom_control"), "1");
  EXPECT_EQ(host.read("cpu/k/c1/cpu.shares"), "512");
  EXPECT_EQ(host.read("cpu/k/c1/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(host.read("cpu/k/c1/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(host.read("cpu/k/c1/cpu.rt_runtime_us"), "950");
  EXPECT_EQ(host.read("cpu/k/c1/cpu.rt_period_us"), "1000");
  EXPECT_EQ(host.read("cpuset/k/c1/cpuset.cpus"), "0-1");
  EXPECT_EQ(host.read("cpuset/k/c1/cpuset.mems"), "0");
  EXPECT_EQ(host.read("pids/k/c1/pids.max"), "64");
  EXPECT_EQ(host.read("blkio/k/c1/blkio.bfq.weight"), "300");
  EXPECT_EQ(host.read("blkio/k/c1/blkio.bfq.weight_device"), "8:0 500");
  EXPECT_EQ(host.read("blkio/k/c1/blkio.throttle.read_bps_device"), "8:0 1048576");
  EXPECT_EQ(host.read("blkio/k/c1/blkio.throttle.write_iops_device"), "8:16 300");
  EXPECT_EQ(host.read("devices/k/c1/devices.deny"), "a");
  EXPECT_EQ(host.read("devices/k/c1/devices.allow"), "c 1:3 rwm");

  // pids limit <= 0 means unlimited
  oci::Resources unlimited;
  unlimited.pids = oci::PidsResources{-1};
  ASSERT_TRUE(manager.apply(unlimited));
  EXPECT_EQ(host.read("pids/k/c1/pids.max"), "max");
}

TEST(ManagerFake, V1UnsupportedSettingsAreNamed) {
  FakeHost host(all_v1(), false, "");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  host.touch("cpu/k/c1/cpu.shares");

  oci::Resources idle;
  idle.cpu = oci::CpuResources{};
  idle.cpu->idle = 1;  // no cpu.idle file
  auto refused = manager.apply(idle);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("cpu.idle"));

  oci::Resources net;
  net.network = oci::NetworkResources{};
  net.network->class_id = 0x100001;
  refused = manager.apply(net);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("network.classID"));
  EXPECT_THAT(refused.error().message(), HasSubstr("net_cls"));

  oci::Resources unified;
  unified.unified["memory.high"] = "1000000";
  refused = manager.apply(unified);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("cgroup v2"));

  oci::Resources leaf;
  leaf.block_io = oci::BlockIoResources{};
  leaf.block_io->leaf_weight = 10;
  refused = manager.apply(leaf);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("leafWeight"));

  oci::Resources swappiness;
  swappiness.memory = oci::MemoryResources{};
  swappiness.memory->swappiness = 101;
  refused = manager.apply(swappiness);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("swappiness"));

  oci::Resources devices;
  devices.devices.push_back({true, "c", 1, 3, "rwx"});
  refused = manager.apply(devices);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("rwm"));
}

TEST(ManagerFake, V1NetworkWhenMounted) {
  FakeHost host({{"net_cls,net_prio", "net_cls,net_prio"}}, false, "");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  host.touch("net_cls,net_prio/k/c1/net_cls.classid");
  host.touch("net_cls,net_prio/k/c1/net_prio.ifpriomap");
  oci::Resources r;
  r.network = oci::NetworkResources{};
  r.network->class_id = 1048577;
  r.network->priorities.push_back({"eth0", 500});
  ASSERT_TRUE(manager.apply(r));
  EXPECT_EQ(host.read("net_cls,net_prio/k/c1/net_cls.classid"), "1048577");
  EXPECT_EQ(host.read("net_cls,net_prio/k/c1/net_prio.ifpriomap"), "eth0 500");
}

TEST(ManagerFake, V2Resources) {
  FakeHost host({}, true, "cpuset cpu io memory hugetlb pids rdma", "cgroup");
  auto manager = open_or_die(host, "/k/c1");
  EXPECT_EQ(manager.layout(), Layout::kV2);
  ASSERT_TRUE(manager.create());
  ASSERT_EQ(manager.paths().size(), 1u);
  EXPECT_EQ(manager.paths()[0], host.path("cgroup/k/c1"));
  EXPECT_EQ(host.read("cgroup/cgroup.subtree_control"), "+rdma");  // the last one written
  for (const char* f :
       {"memory.max", "memory.swap.max", "memory.low", "memory.current", "cpu.weight", "cpu.max",
        "cpu.max.burst", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max",
        "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "rdma.max", "memory.high"})
    host.touch(std::string("cgroup/k/c1/") + f);
  host.touch("cgroup/k/c1/memory.current", "1000\n");

  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 100 << 20;
  r.memory->swap = 300 << 20;
  r.memory->reservation = 10 << 20;
  r.memory->kernel = 1 << 20;  // ignored on v2
  r.memory->check_before_update = true;
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->burst = 10000;
  r.cpu->cpus = "1";
  r.pids = oci::PidsResources{32};
  r.block_io = oci::BlockIoResources{};
  r.block_io->weight = 500;
  r.block_io->throttle_write_bps_device.push_back({8, 0, 4096});
  r.hugepage_limits.push_back({"2MB", 4194304});
  r.rdma["mlx5_0"] = oci::RdmaLimit{3, std::nullopt};
  r.unified["memory.high"] = "90000000";
  auto applied = manager.apply(r);
  ASSERT_TRUE(applied) << applied.error().message();

  EXPECT_EQ(host.read("cgroup/k/c1/memory.max"), "104857600");
  EXPECT_EQ(host.read("cgroup/k/c1/memory.swap.max"), "209715200");
  EXPECT_EQ(host.read("cgroup/k/c1/memory.low"), "10485760");
  EXPECT_EQ(host.read("cgroup/k/c1/cpu.weight"), "39");
  EXPECT_EQ(host.read("cgroup/k/c1/cpu.max"), "50000 100000");
  EXPECT_EQ(host.read("cgroup/k/c1/cpu.max.burst"), "10000");
  EXPECT_EQ(host.read("cgroup/k/c1/cpuset.cpus"), "1");
  EXPECT_EQ(host.read("cgroup/k/c1/pids.max"), "32");
  EXPECT_EQ(host.read("cgroup/k/c1/io.weight"), "default 4950");
  EXPECT_EQ(host.read("cgroup/k/c1/io.max"), "8:0 wbps=4096");
  EXPECT_EQ(host.read("cgroup/k/c1/hugetlb.2MB.max"), "4194304");
  EXPECT_EQ(host.read("cgroup/k/c1/hugetlb.2MB.rsvd.max"), "4194304");
  EXPECT_EQ(host.read("cgroup/k/c1/rdma.max"), "mlx5_0 hca_handle=3");
  EXPECT_EQ(host.read("cgroup/k/c1/memory.high"), "90000000");

  // Unlimited memory without a swap setting makes swap unlimited too.
  oci::Resources unlimited;
  unlimited.memory = oci::MemoryResources{};
  unlimited.memory->limit = -1;
  ASSERT_TRUE(manager.apply(unlimited));
  EXPECT_EQ(host.read("cgroup/k/c1/memory.max"), "max");
  EXPECT_EQ(host.read("cgroup/k/c1/memory.swap.max"), "max");
}

TEST(ManagerFake, V2RefusesWhatItCannotExpress) {
  FakeHost host({}, true, "cpu memory io", "cgroup");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  host.touch("cgroup/k/c1/memory.current", "5000\n");
  host.touch("cgroup/k/c1/memory.max");

  auto expect_refused = [&](const oci::Resources& r, const std::string& text) {
    auto result = manager.apply(r);
    ASSERT_FALSE(result) << text;
    EXPECT_THAT(result.error().message(), HasSubstr(text));
  };
  oci::Resources rt;
  rt.cpu = oci::CpuResources{};
  rt.cpu->realtime_runtime = 100;
  expect_refused(rt, "realtimeRuntime");
  oci::Resources swappiness;
  swappiness.memory = oci::MemoryResources{};
  swappiness.memory->swappiness = 0;
  expect_refused(swappiness, "swappiness");
  oci::Resources check;
  check.memory = oci::MemoryResources{};
  check.memory->limit = 4096;
  check.memory->check_before_update = true;
  expect_refused(check, "checkBeforeUpdate");
  oci::Resources hugetlb;
  hugetlb.hugepage_limits.push_back({"2MB", 1});
  expect_refused(hugetlb, "hugetlb");  // not in cgroup.controllers
  oci::Resources unknown;
  unknown.unified["memory.nonsense"] = "1";
  expect_refused(unknown, "memory.nonsense");
  oci::Resources escape;
  escape.unified["../memory.max"] = "1";
  expect_refused(escape, "not a cgroup file name");
}

TEST(ManagerFake, HybridPutsHugetlbAndUnifiedInTheV2Mount) {
  FakeHost host(all_v1(), true, "hugetlb");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  host.touch("unified/k/c1/hugetlb.2MB.max");
  host.touch("unified/k/c1/hugetlb.1GB.max");
  host.touch("unified/k/c1/cgroup.max.descendants");
  host.touch("memory/k/c1/memory.limit_in_bytes");
  host.touch("devices/k/c1/devices.allow");
  host.touch("devices/k/c1/devices.deny");
  oci::Resources r;
  r.hugepage_limits.push_back({"2MB", 2097152});
  r.hugepage_limits.push_back({"1GB", 0});
  r.unified["cgroup.max.descendants"] = "10";
  r.memory = oci::MemoryResources{};
  r.memory->limit = 1 << 30;
  r.devices.push_back({true, "a", std::nullopt, std::nullopt, "rwm"});
  auto applied = manager.apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(host.read("unified/k/c1/hugetlb.2MB.max"), "2097152");
  EXPECT_EQ(host.read("unified/k/c1/hugetlb.1GB.max"), "0");
  EXPECT_EQ(host.read("unified/k/c1/cgroup.max.descendants"), "10");
  EXPECT_EQ(host.read("memory/k/c1/memory.limit_in_bytes"), "1073741824");
  EXPECT_EQ(host.read("devices/k/c1/devices.allow"), "a");  // v1 devices, not eBPF

  oci::Resources bad_size;
  bad_size.hugepage_limits.push_back({"4MB", 1});
  auto refused = manager.apply(bad_size);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("4MB"));
}

TEST(ManagerFake, FreezerV1AndV2) {
  {
    FakeHost host(all_v1(), true, "");
    auto manager = open_or_die(host, "/k/c1");
    ASSERT_TRUE(manager.create());
    host.touch("freezer/k/c1/freezer.state", "THAWED\n");
    ASSERT_TRUE(manager.freeze());
    EXPECT_EQ(host.read("freezer/k/c1/freezer.state"), "FROZEN");
    EXPECT_TRUE(*manager.frozen());
    ASSERT_TRUE(manager.thaw());
    EXPECT_FALSE(*manager.frozen());
  }
  {
    FakeHost host({}, true, "memory", "cgroup");
    auto manager = open_or_die(host, "/k/c1");
    ASSERT_TRUE(manager.create());
    host.touch("cgroup/k/c1/cgroup.freeze", "0\n");
    ASSERT_TRUE(manager.freeze());
    EXPECT_EQ(host.read("cgroup/k/c1/cgroup.freeze"), "1");
    EXPECT_TRUE(*manager.frozen());
    ASSERT_TRUE(manager.thaw());
    EXPECT_FALSE(*manager.frozen());
  }
}

TEST(ManagerFake, StatsV1) {
  FakeHost host(all_v1(), true, "hugetlb");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  host.touch("cpuacct/k/c1/cpuacct.usage", "5000\n");
  host.touch("cpuacct/k/c1/cpuacct.usage_percpu", "3000 2000 \n");
  host.touch("cpuacct/k/c1/cpuacct.stat", "user 3\nsystem 2\n");
  host.touch("cpu/k/c1/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 777\n");
  host.touch("memory/k/c1/memory.usage_in_bytes", "4096\n");
  host.touch("memory/k/c1/memory.max_usage_in_bytes", "8192\n");
  host.touch("memory/k/c1/memory.limit_in_bytes", "9223372036854771712\n");
  host.touch("memory/k/c1/memory.failcnt", "1\n");
  host.touch("memory/k/c1/memory.stat", "cache 100\nrss 200\n");
  host.touch("pids/k/c1/pids.current", "3\n");
  host.touch("pids/k/c1/pids.max", "max\n");
  host.touch("blkio/k/c1/blkio.throttle.io_service_bytes_recursive",
             "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
  host.touch("unified/k/c1/hugetlb.2MB.max", "max\n");
  host.touch("unified/k/c1/hugetlb.2MB.rsvd.max", "max\n");
  host.touch("unified/k/c1/hugetlb.2MB.current", "2097152\n");
  host.touch("unified/k/c1/hugetlb.2MB.events", "max 4\n");
  auto stats = manager.stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->cpu.usage.total, 5000u);
  EXPECT_THAT(stats->cpu.usage.percpu, ::testing::ElementsAre(3000, 2000));
  EXPECT_EQ(stats->cpu.usage.user, 3u * (1000000000u / ::sysconf(_SC_CLK_TCK)));
  EXPECT_EQ(stats->cpu.throttling.throttled_periods, 2u);
  EXPECT_EQ(stats->memory.usage.usage, 4096u);
  EXPECT_EQ(stats->memory.usage.max, 8192u);
  EXPECT_EQ(stats->memory.cache, 100u);
  EXPECT_EQ(stats->memory.raw.at("rss"), 200u);
  EXPECT_EQ(stats->pids.current, 3u);
  EXPECT_EQ(stats->pids.limit, 0u);
  ASSERT_EQ(stats->blkio.io_service_bytes_recursive.size(), 2u);
  EXPECT_EQ(stats->blkio.io_service_bytes_recursive[0].op, "Read");
  EXPECT_EQ(stats->blkio.io_service_bytes_recursive[0].value, 4096u);
  ASSERT_EQ(stats->hugetlb.size(), 1u);
  EXPECT_EQ(stats->hugetlb.at("2MB").usage, 2097152u);
  EXPECT_EQ(stats->hugetlb.at("2MB").failcnt, 4u);
}

TEST(ManagerFake, StatsV2) {
  FakeHost host({}, true, "cpu memory io pids", "cgroup");
  auto manager = open_or_die(host, "/k/c1");
  ASSERT_TRUE(manager.create());
  host.touch("cgroup/k/c1/cpu.stat",
             "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\nnr_throttled 1\n"
             "throttled_usec 7\n");
  host.touch("cgroup/k/c1/memory.current", "1000\n");
  host.touch("cgroup/k/c1/memory.max", "max\n");
  host.touch("cgroup/k/c1/memory.stat", "anon 10\nfile 20\n");
  host.touch("cgroup/k/c1/memory.swap.current", "5\n");
  host.touch("cgroup/k/c1/memory.swap.max", "max\n");
  host.touch("cgroup/k/c1/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  auto stats = manager.stats();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->cpu.usage.total, 100000u);
  EXPECT_EQ(stats->cpu.usage.kernel, 40000u);
  EXPECT_EQ(stats->cpu.throttling.throttled_time, 7000u);
  EXPECT_EQ(stats->memory.usage.usage, 1000u);
  EXPECT_EQ(stats->memory.cache, 20u);
  EXPECT_EQ(stats->memory.swap.usage, 1005u);  // memory+swap, as v1 reports it
  EXPECT_EQ(stats->memory.swap.limit, UINT64_MAX);
  ASSERT_EQ(stats->blkio.io_service_bytes_recursive.size(), 2u);
  EXPECT_EQ(stats->blkio.io_service_bytes_recursive[1].op, "Write");
  EXPECT_EQ(stats->blkio.io_serviced_recursive[1].value, 2u);
}

// Rootless: an unprivileged process cannot create the cgroups; that is fine
// until resources other than device rules are requested.
TEST(ManagerFake, RootlessSkipsUnwritableHierarchies) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  FakeHost host(all_v1(), false, "");
  ::chmod(host.temp().c_str(), 0755);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(10);
    ManagerOptions options;
    options.mountinfo_path = host.mountinfo_path();
    options.rootless = true;
    auto manager = Manager::open("/k/c1", "c1", options);
    if (!manager) _exit(11);
    if (!manager->create()) _exit(12);
    if (!manager->paths().empty()) _exit(13);
    if (!manager->add_process(::getpid())) _exit(14);
    if (!manager->apply(oci::Resources{})) _exit(15);
    oci::Resources memory;
    memory.memory = oci::MemoryResources{};
    memory.memory->limit = 1 << 20;
    auto refused = manager->apply(memory);
    if (refused || refused.error().message().find("rootless") == std::string::npos) _exit(16);
    // Device rules are a best effort rootless, as runc has them: no devices cgroup needed.
    oci::Resources devices;
    devices.devices = {oci::DeviceCgroupRule{.allow = false, .access = "rwm"}};
    if (!manager->apply(devices)) _exit(18);
    options.rootless = false;
    auto strict = Manager::open("/k/c1", "c1", options);
    if (!strict || strict->create()) _exit(17);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace krill::cgroups
