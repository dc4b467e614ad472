// Control groups: config-linux.md "Control groups", "Memory", "CPU", "Pids", "Unified"; the
// runc CLI `update`. Values are read from the container's cgroup files on the host (cgroup v1
// controllers on this hybrid layout, cgroup2 otherwise).
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "harness.h"

namespace krill::it {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Reads `file` of the container's cgroup for a v1 controller, or the cgroup2 file.
std::string cgroup_value(pid_t pid, const std::string& controller, const std::string& v1_file,
                         const std::string& v2_file) {
  std::string dir = cgroup_dir_of(pid, controller);
  if (!dir.empty() && path_exists(dir + "/" + v1_file))
    return trimmed(read_file(dir + "/" + v1_file));
  dir = cgroup_dir_of(pid, "");
  if (!dir.empty() && path_exists(dir + "/" + v2_file))
    return trimmed(read_file(dir + "/" + v2_file));
  return "<missing " + v1_file + "/" + v2_file + ">";
}

// Why cgroup limits cannot be tested rootless here.
constexpr const char* kNoDelegation =
    "cgroup limits need a cgroup delegated to the user, and none is here (no systemd; a "
    "rootless runtime may not make one)";

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (host_cgroup_mounts().empty()) GTEST_SKIP() << "no cgroup hierarchy is mounted";
  }
};

// config-linux.md Memory: limit (and reservation) land in the memory controller.
TEST_F(CgroupTest, MemoryLimit) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}, {"reservation", 32 << 20}};
  Container c(bundle);
  ASSERT_TRUE(c.create().ok()) << c.error_output();
  EXPECT_EQ(cgroup_value(c.pid(), "memory", "memory.limit_in_bytes", "memory.max"),
            std::to_string(64 << 20));
  EXPECT_EQ(cgroup_value(c.pid(), "memory", "memory.soft_limit_in_bytes", "memory.low"),
            std::to_string(32 << 20));
}

// config-linux.md Pids.
TEST_F(CgroupTest, PidsLimit) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 42}};
  Container c(bundle);
  ASSERT_TRUE(c.create().ok()) << c.error_output();
  EXPECT_EQ(cgroup_value(c.pid(), "pids", "pids.max", "pids.max"), "42");
}

// config-linux.md Pids: the limit is enforced (forks beyond it fail).
TEST_F(CgroupTest, PidsLimitEnforced) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 4}};
  bundle.set_args({"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; echo done"});
  Container c(bundle);
  CommandResult r = c.run();
  EXPECT_TRUE(r.err.find("fork") != std::string::npos ||
              r.err.find("Resource temporarily unavailable") != std::string::npos)
      << r.describe();
}

// config-linux.md CPU: shares, quota, period; and cpuset cpus/mems.
TEST_F(CgroupTest, CpuAndCpuset) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["linux"]["resources"]["cpu"] = {
      {"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}, {"mems", "0"}};
  Container c(bundle);
  ASSERT_TRUE(c.create().ok()) << c.error_output();
  pid_t pid = c.pid();
  std::string v2 = cgroup_dir_of(pid, "cpu");
  if (!v2.empty()) {
    EXPECT_EQ(cgroup_value(pid, "cpu", "cpu.shares", "-"), "512");
    EXPECT_EQ(cgroup_value(pid, "cpu", "cpu.cfs_quota_us", "-"), "50000");
    EXPECT_EQ(cgroup_value(pid, "cpu", "cpu.cfs_period_us", "-"), "100000");
  } else {
    EXPECT_EQ(cgroup_value(pid, "cpu", "-", "cpu.max"), "50000 100000");
  }
  EXPECT_EQ(cgroup_value(pid, "cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
  EXPECT_EQ(cgroup_value(pid, "cpuset", "cpuset.mems", "cpuset.mems"), "0");
}

// config-linux.md cgroupsPath: an absolute path is taken relative to the cgroup mount point and
// the container is placed exactly there; delete removes it.
TEST_F(CgroupTest, AbsoluteCgroupsPath) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  const CgroupGuard& guard = bundle.use_test_cgroup(c.id());
  ASSERT_TRUE(c.create().ok()) << c.error_output();
  for (const char* controller : {"memory", "pids", "cpu", "devices", "freezer"}) {
    if (host_cgroup_mounts().empty()) break;
    std::string dir = cgroup_dir_of(c.pid(), controller);
    if (dir.empty()) continue;  // not a v1 controller here
    EXPECT_TRUE(dir.size() >= guard.cgroups_path().size() &&
                dir.compare(dir.size() - guard.cgroups_path().size(), std::string::npos,
                            guard.cgroups_path()) == 0)
        << controller << ": " << dir;
  }
  c.kill("KILL");
  ASSERT_TRUE(c.wait_for_status("stopped"));
  ASSERT_TRUE(c.remove().ok());
  for (const auto& dir : guard.leaf_dirs()) EXPECT_FALSE(path_exists(dir)) << dir;
}

// The probe sees its limits through /sys/fs/cgroup inside the container (v1 layout).
TEST_F(CgroupTest, LimitsVisibleInside) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 48 << 20}};
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 77}};
  bundle.set_namespace("cgroup");
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  const json& files = probe.report["cgroup_files"];
  if (files.contains("memory/memory.limit_in_bytes")) {
    EXPECT_EQ(files["memory/memory.limit_in_bytes"], std::to_string(48 << 20));
    EXPECT_EQ(files["pids/pids.max"], "77");
  } else if (files.contains("memory.max")) {
    EXPECT_EQ(files["memory.max"], std::to_string(48 << 20));
    EXPECT_EQ(files["pids.max"], "77");
  } else {
    ADD_FAILURE() << "no cgroup limit files visible inside: " << files.dump();
  }
}

// runc CLI `update`: new pids and memory limits reach the cgroup of a running container.
TEST_F(CgroupTest, Update) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 50}};
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok()) << c.error_output();
  CommandResult r = runtime({"update", "--pids-limit", "99", "--memory", "100M", c.id()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(cgroup_value(c.pid(), "pids", "pids.max", "pids.max"), "99");
  EXPECT_EQ(cgroup_value(c.pid(), "memory", "memory.limit_in_bytes", "memory.max"),
            std::to_string(100 << 20));

  std::string resources = bundle.path() + "/resources.json";
  write_file(resources, json{{"pids", {{"limit", 123}}}}.dump());
  r = runtime({"update", "--resources", resources, c.id()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(cgroup_value(c.pid(), "pids", "pids.max", "pids.max"), "123");
}

// config-linux.md Unified: "The runtime MUST generate an error when the configuration refers to
// a cgroup controller that is not present or that cannot be enabled."
TEST_F(CgroupTest, UnifiedUnknownControllerFails) {
  Bundle bundle;
  bundle.config["linux"]["resources"]["unified"] = {{"kitnosuchcontroller.max", "1"}};
  Container c(bundle);
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(c.state().ok());
}

// runc's `events` without --stats: an OOM kill in the container's memory cgroup is reported as
// {"type":"oom","id":ID} when it happens (cgroup v1 memory.oom_control eventfd here, memory.events
// on cgroup v2), between the stats events; the command ends when the container stops.
TEST_F(CgroupTest, EventsReportOomKills) {
  KRILL_SKIP_IF_ROOTLESS(kNoDelegation);
  if (runtime_is_runc())
    GTEST_SKIP() << "runc 1.1's events keeps running after the container stops";
  Bundle bundle;
  bundle.set_args({"/bin/sh", "-c", "sleep 1; /probe eat-memory 256"});
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}};
  Container c(bundle);
  ASSERT_TRUE(c.create().ok()) << c.error_output();
  CommandResult events;
  std::thread watcher([&] {
    events =
        runtime({"events", "--interval", "30s", c.id()}, {.timeout = std::chrono::seconds(40)});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // events registers first
  CommandResult started = c.start();
  EXPECT_TRUE(started.ok()) << started.describe();
  EXPECT_TRUE(c.wait_for_status("stopped", std::chrono::seconds(30)));
  watcher.join();
  EXPECT_TRUE(events.ok()) << events.describe();
  EXPECT_EQ(c.output().find("survived"), std::string::npos) << "the memory limit did not hold";
  bool saw_oom = false, saw_stats = false;
  std::istringstream lines(events.out);
  std::string line;
  while (std::getline(lines, line)) {
    json event = parse_json(line);
    ASSERT_TRUE(event.is_object()) << line;
    EXPECT_EQ(event.value("id", ""), c.id()) << line;
    if (event.value("type", "") == "oom") saw_oom = true;
    if (event.value("type", "") == "stats") saw_stats = true;
  }
  EXPECT_TRUE(saw_stats) << events.out;
  EXPECT_TRUE(saw_oom) << events.out;
}

// Rootless without a delegated cgroup (runc's rule): a container with limits fails to create,
// naming the setting, and leaves nothing behind; device rules alone are no limit.
TEST_F(CgroupTest, RootlessLimitsWithoutDelegationFailNamingTheSetting) {
  if (!rootless_mode()) GTEST_SKIP() << "as root the runtime makes the container's cgroup";
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["linux"]["resources"]["pids"] = {{"limit", 42}};
  Container c(bundle);
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("linux.resources.pids"), std::string::npos) << r.err;
  EXPECT_FALSE(c.state().ok());
  EXPECT_TRUE(eventually([&] { return marked_processes("KRILL_IT_ID=" + c.id()).empty(); }));

  Bundle devices_only;
  devices_only.config["linux"]["resources"] = {
      {"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  ProbeRun probe = run_probe(devices_only);
  EXPECT_TRUE(probe.ok()) << probe.result.describe();
}

}  // namespace
}  // namespace krill::it
