// Namespaces: config-linux.md "Namespaces" and "User namespace mappings".
#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <sstream>

#include "harness.h"

namespace krill::it {
namespace {

// OCI namespace type -> /proc/self/ns name.
std::string proc_name(const std::string& oci_type) {
  if (oci_type == "network") return "net";
  if (oci_type == "mount") return "mnt";
  return oci_type;
}

bool kernel_has(const std::string& proc) { return path_exists("/proc/self/ns/" + proc); }

class NewNamespace : public ::testing::TestWithParam<std::string> {};

// config-linux.md Namespaces: "If path is not specified, the runtime MUST create a new container
// namespace of type type."
TEST_P(NewNamespace, IsCreated) {
  std::string type = GetParam();
  if (!kernel_has(proc_name(type))) GTEST_SKIP() << "kernel lacks " << type << " namespaces";
  if (type == "time" && runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no time namespaces";
  Bundle bundle;
  bundle.set_namespace(type);
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  auto host = host_namespaces();
  std::string name = proc_name(type);
  ASSERT_TRUE(probe.report["namespaces"].contains(name));
  EXPECT_NE(probe.report["namespaces"][name].get<unsigned long long>(), host[name]) << type;
}

INSTANTIATE_TEST_SUITE_P(Types, NewNamespace,
                         ::testing::Values("pid", "network", "mount", "ipc", "uts", "cgroup",
                                           "time"));

class InheritedNamespace : public ::testing::TestWithParam<std::string> {};

// config-linux.md Namespaces: "If a namespace type is not specified in the namespaces array, the
// container MUST inherit the runtime namespace of that type."
TEST_P(InheritedNamespace, IsTheRuntimes) {
  std::string type = GetParam();
  if (!kernel_has(proc_name(type))) GTEST_SKIP() << "kernel lacks " << type << " namespaces";
  Bundle bundle;
  bundle.remove_namespace(type);
  if (type == "uts") bundle.config.erase("hostname");  // a hostname needs its own uts namespace
  if (type == "pid") bundle.config["linux"].erase("maskedPaths");  // /proc stays the host's
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  auto host = host_namespaces();
  std::string name = proc_name(type);
  EXPECT_EQ(probe.report["namespaces"][name].get<unsigned long long>(), host[name]) << type;
}

INSTANTIATE_TEST_SUITE_P(Types, InheritedNamespace,
                         ::testing::Values("network", "ipc", "uts", "cgroup", "pid"));

class JoinedNamespace : public ::testing::TestWithParam<std::string> {};

// config-linux.md Namespaces: "The runtime MUST place the container process in the namespace
// associated with that path."
TEST_P(JoinedNamespace, ByPathOfAnotherContainer) {
  std::string type = GetParam();
  std::string name = proc_name(type);
  if (!kernel_has(name)) GTEST_SKIP() << "kernel lacks " << type << " namespaces";
  if (type == "time" && runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no time namespaces";
  Bundle first_bundle("ns-owner");
  first_bundle.set_namespace(type);
  first_bundle.set_args({"/probe", "sleep", "60"});
  Container first(first_bundle);
  ASSERT_TRUE(first.run_detached().ok());
  pid_t owner = first.pid();
  ASSERT_GT(owner, 0);
  auto owner_ns = host_namespaces(owner);

  Bundle bundle("ns-joiner");
  bundle.set_namespace(type, "/proc/" + std::to_string(owner) + "/ns/" + name);
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["namespaces"][name].get<unsigned long long>(), owner_ns[name]) << type;
}

INSTANTIATE_TEST_SUITE_P(Types, JoinedNamespace,
                         ::testing::Values("network", "ipc", "uts", "pid", "cgroup", "time"));

// config-linux.md Namespaces: "The runtime MUST generate an error if path is not associated with
// a namespace of type type."
TEST(Namespaces, PathOfWrongTypeFails) {
  Bundle bundle;
  bundle.set_namespace("network", "/proc/self/ns/ipc");  // resolved by the runtime: its own ipc ns
  Container c(bundle);
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(c.state().ok());
}

// config-linux.md Namespaces: "If a namespaces field contains duplicated namespaces with same
// type, the runtime MUST generate an error."
TEST(Namespaces, DuplicateTypeFails) {
  Bundle bundle;
  bundle.config["linux"]["namespaces"].push_back({{"type", "ipc"}});
  bundle.config["linux"]["namespaces"].push_back({{"type", "ipc"}});
  Container c(bundle);
  CommandResult r = c.create();
  if (runtime_is_runc() && r.ok())
    GTEST_SKIP() << "runc deviates from config-linux.md: accepts duplicated namespace types";
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(c.state().ok());
}

// config-linux.md User namespace mappings: the container's uid_map/gid_map are the configured
// mappings, and the process runs as the mapped root.
TEST(Namespaces, UserNamespaceMappings) {
  if (!kernel_has("user")) GTEST_SKIP() << "kernel lacks user namespaces";
  if (read_file("/proc/sys/user/max_user_namespaces") == "0\n")
    GTEST_SKIP() << "user namespaces are disabled (user.max_user_namespaces=0)";
  const MappableIds ids = mappable_host_ids(200000, 300000, 65536);
  Bundle bundle;
  bundle.set_namespace("user");
  bundle.config["linux"]["uidMappings"] = {
      {{"containerID", 0}, {"hostID", ids.uid_start}, {"size", ids.size}}};
  bundle.config["linux"]["gidMappings"] = {
      {{"containerID", 0}, {"hostID", ids.gid_start}, {"size", ids.size}}};
  // A v1 cgroup hierarchy cannot be mounted from a user namespace without cgroupns; keep the
  // test about the mappings.
  json mounts = json::array();
  for (const auto& m : bundle.config["mounts"])
    if (m.value("type", "") != "cgroup") mounts.push_back(m);
  bundle.config["mounts"] = mounts;
  bundle.set_args({"/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; /probe report"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  std::istringstream lines(r.out);
  std::string uid_line, gid_line;
  std::getline(lines, uid_line);
  std::getline(lines, gid_line);
  auto fields = [](const std::string& line) {
    std::istringstream in(line);
    std::vector<long> v;
    long x;
    while (in >> x) v.push_back(x);
    return v;
  };
  const long size = static_cast<long>(ids.size);
  EXPECT_EQ(fields(uid_line), (std::vector<long>{0, static_cast<long>(ids.uid_start), size}))
      << uid_line;
  EXPECT_EQ(fields(gid_line), (std::vector<long>{0, static_cast<long>(ids.gid_start), size}))
      << gid_line;
  json report = last_json_line(r.out);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["uid"], 0);
  EXPECT_EQ(report["gid"], 0);
  EXPECT_NE(report["namespaces"]["user"].get<unsigned long long>(), host_namespaces()["user"]);
}

// The default spec's cgroup mount cannot be made from a user namespace without cgroupns (v1).
void drop_cgroup_mounts(Bundle& bundle) {
  json mounts = json::array();
  for (const auto& m : bundle.config["mounts"])
    if (m.value("type", "") != "cgroup") mounts.push_back(m);
  bundle.config["mounts"] = mounts;
}

long long seconds_of(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ts.tv_sec;
}

// config-linux.md "Offset for Time Namespace": the container's CLOCK_MONOTONIC and CLOCK_BOOTTIME
// run ahead of the host's by the offsets, which /proc/self/timens_offsets shows.
TEST(Namespaces, TimeOffsets) {
  if (!kernel_has("time")) GTEST_SKIP() << "kernel lacks time namespaces";
  if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no time namespaces";
  constexpr long long kMonotonic = 365LL * 86400, kBoottime = 7200;
  Bundle bundle;
  bundle.set_namespace("time");
  bundle.config["linux"]["timeOffsets"] = {{"monotonic", {{"secs", kMonotonic}, {"nanosecs", 0}}},
                                           {"boottime", {{"secs", kBoottime}, {"nanosecs", 500}}}};
  const long long monotonic_before = seconds_of(CLOCK_MONOTONIC);
  const long long boottime_before = seconds_of(CLOCK_BOOTTIME);
  ProbeRun probe = run_probe(bundle);
  const long long monotonic_after = seconds_of(CLOCK_MONOTONIC);
  const long long boottime_after = seconds_of(CLOCK_BOOTTIME);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  const json& clocks = probe.report["clocks"];
  const long long monotonic = clocks.value("monotonic", 0LL);
  const long long boottime = clocks.value("boottime", 0LL);
  EXPECT_GE(monotonic, monotonic_before + kMonotonic) << clocks.dump();
  EXPECT_LE(monotonic, monotonic_after + kMonotonic + 1) << clocks.dump();
  EXPECT_GE(boottime, boottime_before + kBoottime) << clocks.dump();
  EXPECT_LE(boottime, boottime_after + kBoottime + 1) << clocks.dump();
  std::istringstream offsets(clocks.value("timens_offsets", ""));
  std::map<std::string, std::pair<long long, long long>> table;
  std::string name;
  long long secs = 0, nanos = 0;
  while (offsets >> name >> secs >> nanos) table[name] = {secs, nanos};
  EXPECT_EQ(table["monotonic"], std::make_pair(kMonotonic, 0LL)) << clocks.dump();
  EXPECT_EQ(table["boottime"], std::make_pair(kBoottime, 500LL)) << clocks.dump();
  EXPECT_NE(probe.report["namespaces"]["time"].get<unsigned long long>(),
            host_namespaces()["time"]);
}

// config-linux.md Namespaces: a user namespace joined by path; its mappings are the owner's
// (none may be given again) and the process is the owner's root.
TEST(Namespaces, UserNamespaceJoinedByPath) {
  if (!kernel_has("user")) GTEST_SKIP() << "kernel lacks user namespaces";
  if (read_file("/proc/sys/user/max_user_namespaces") == "0\n")
    GTEST_SKIP() << "user namespaces are disabled (user.max_user_namespaces=0)";
  const MappableIds ids = mappable_host_ids(210000, 310000, 65536);
  Bundle owner_bundle("userns-owner");
  owner_bundle.set_namespace("user");
  owner_bundle.config["linux"]["uidMappings"] = {
      {{"containerID", 0}, {"hostID", ids.uid_start}, {"size", ids.size}}};
  owner_bundle.config["linux"]["gidMappings"] = {
      {{"containerID", 0}, {"hostID", ids.gid_start}, {"size", ids.size}}};
  drop_cgroup_mounts(owner_bundle);
  owner_bundle.set_args({"/probe", "sleep", "60"});
  Container owner(owner_bundle);
  ASSERT_TRUE(owner.run_detached().ok()) << owner.error_output();
  const pid_t owner_pid = owner.pid();
  ASSERT_GT(owner_pid, 0);

  Bundle bundle("userns-joiner");
  bundle.set_namespace("user", "/proc/" + std::to_string(owner_pid) + "/ns/user");
  drop_cgroup_mounts(bundle);
  bundle.set_args({"/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; /probe report"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  std::istringstream lines(r.out);
  std::string uid_line, gid_line;
  std::getline(lines, uid_line);
  std::getline(lines, gid_line);
  std::istringstream uid_fields(uid_line), gid_fields(gid_line);
  long inside = -1, outside = -1, size = -1;
  uid_fields >> inside >> outside >> size;
  EXPECT_EQ(outside, static_cast<long>(ids.uid_start)) << uid_line;
  gid_fields >> inside >> outside >> size;
  EXPECT_EQ(outside, static_cast<long>(ids.gid_start)) << gid_line;
  json report = last_json_line(r.out);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["uid"], 0);
  EXPECT_EQ(report["namespaces"]["user"].get<unsigned long long>(),
            host_namespaces(owner_pid)["user"]);
}

}  // namespace
}  // namespace krill::it
