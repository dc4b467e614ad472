// Filesystems: config.md "Root" and "Mounts", config-linux.md "Rootfs Mount Propagation".
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "harness.h"

namespace krill::it {
namespace {

// "mode=0620" and "mode=620" are the same option; the kernel prints the short form.
std::string normalize(std::string option) {
  auto eq = option.find('=');
  if (eq == std::string::npos) return option;
  std::string key = option.substr(0, eq), value = option.substr(eq + 1);
  if ((key == "mode" || key == "ptmxmode") && value.size() > 1 && value[0] == '0')
    value = value.substr(value.find_first_not_of('0') == std::string::npos
                             ? value.size() - 1
                             : value.find_first_not_of('0'));
  // devpts prints its gid= as the host sees it (in the initial user namespace).
  if (key == "gid") value = std::to_string(host_gid_of(std::stoul(value)));
  return key + "=" + value;
}

// Options that are visible in mountinfo (flags or filesystem data) and must show there.
bool visible(const std::string& option) {
  static const char* const kFlags[] = {"ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime"};
  for (const char* flag : kFlags)
    if (option == flag) return true;
  if (option == "mode=1777") return false;  // tmpfs default; the kernel does not print it
  return option.rfind("mode=", 0) == 0 || option.rfind("size=", 0) == 0 ||
         option.rfind("gid=", 0) == 0 || option.rfind("ptmxmode=", 0) == 0;
}

// config.md Mounts: every mount of the default spec is present with its type and options.
TEST(Mounts, DefaultSpecMountsArePresent) {
  Bundle bundle;
  json configured = bundle.config["mounts"];
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  for (const auto& m : configured) {
    std::string destination = m["destination"];
    std::string type = m.value("type", "");
    json seen = find_mount(probe.report, destination);
    ASSERT_TRUE(seen.is_object()) << destination << " is not mounted";
    if (type == "cgroup") {
      // On cgroup v1 hosts runtimes mount a tmpfs with one cgroup mount per hierarchy.
      EXPECT_TRUE(seen["fstype"] == "cgroup" || seen["fstype"] == "cgroup2" ||
                  seen["fstype"] == "tmpfs")
          << seen.dump();
      continue;
    }
    if (type != "bind") {
      EXPECT_EQ(seen["fstype"], type) << destination;
    }
    for (const auto& option : m.value("options", json::array())) {
      std::string o = normalize(option.get<std::string>());
      if (!visible(o)) continue;
      EXPECT_TRUE(has_option(seen, o)) << destination << " lacks " << o << ": " << seen.dump();
    }
  }
}

// config.md Root: readonly=true makes the root filesystem read-only (EROFS on write).
TEST(Mounts, ReadonlyRoot) {
  Bundle bundle;
  bundle.config["root"]["readonly"] = true;
  bundle.set_args({"/probe", "write", "/kit-file"});
  Container c(bundle);
  CommandResult r = c.run();
  EXPECT_EQ(r.exit_code, EROFS) << r.describe();

  Bundle writable;
  writable.config["root"]["readonly"] = false;
  writable.set_args({"/probe", "write", "/kit-file"});
  Container w(writable);
  r = w.run();
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(path_exists(writable.rootfs() + "/kit-file"));
}

// config.md Mounts: a bind mount with "ro" is read-only; its content is the source's.
TEST(Mounts, BindReadOnly) {
  Bundle bundle;
  TempDir source("bind-src");
  write_file(source.path() + "/hello", "from-host");
  bundle.config["mounts"].push_back({{"destination", "/data"},
                                     {"type", "bind"},
                                     {"source", source.path()},
                                     {"options", {"rbind", "ro"}}});
  bundle.set_args({"/bin/sh", "-c", "cat /data/hello; echo; /probe write /data/new; echo $?"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "from-host\n" + std::to_string(EROFS) + "\n");
  EXPECT_FALSE(path_exists(source.path() + "/new"));
}

// config.md Mounts: a bind mount of a single file.
TEST(Mounts, BindFile) {
  Bundle bundle;
  TempDir source("bind-file");
  write_file(source.path() + "/f", "file-content");
  write_file(bundle.rootfs() + "/etc/target", "");
  bundle.config["mounts"].push_back({{"destination", "/etc/target"},
                                     {"type", "bind"},
                                     {"source", source.path() + "/f"},
                                     {"options", {"bind"}}});
  bundle.set_args({"/probe", "cat", "/etc/target"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "file-content");
}

// config.md Mounts: tmpfs with data and flag options (MUST options nosuid, nodev, noexec, ...).
TEST(Mounts, TmpfsOptions) {
  Bundle bundle;
  bundle.config["mounts"].push_back(
      {{"destination", "/scratch"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "nodev", "noexec", "noatime", "size=1m", "mode=700"}}});
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  json m = find_mount(probe.report, "/scratch");
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["fstype"], "tmpfs");
  for (const char* option : {"nosuid", "nodev", "noexec", "noatime", "size=1024k", "mode=700"})
    EXPECT_TRUE(has_option(m, option)) << option << ": " << m.dump();
}

// config.md Mounts: "The runtime MUST mount entries in the listed order": a bind mounted below a
// tmpfs only survives if the tmpfs came first.
TEST(Mounts, ListedOrder) {
  Bundle bundle;
  TempDir source("order-src");
  write_file(source.path() + "/marker", "inner");
  bundle.config["mounts"].push_back({{"destination", "/outer"},
                                     {"type", "tmpfs"},
                                     {"source", "tmpfs"},
                                     {"options", {"size=1m"}}});
  bundle.config["mounts"].push_back({{"destination", "/outer/inner"},
                                     {"type", "bind"},
                                     {"source", source.path()},
                                     {"options", {"rbind"}}});
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  json outer = find_mount(probe.report, "/outer");
  json inner = find_mount(probe.report, "/outer/inner");
  ASSERT_TRUE(outer.is_object() && inner.is_object()) << probe.report["mounts"].dump();
  EXPECT_EQ(inner["parent"], outer["id"]);
}

// config.md Mounts: bind mount propagation options (private/rslave/rshared/runbindable...).
struct PropagationCase {
  const char* option;
  const char* expected;
};
class BindPropagation : public ::testing::TestWithParam<PropagationCase> {};

TEST_P(BindPropagation, IsApplied) {
  Bundle bundle;
  TempDir source("prop-src");
  bundle.config["linux"]["rootfsPropagation"] = "rshared";  // let shared peers exist
  bundle.config["mounts"].push_back({{"destination", "/prop"},
                                     {"type", "bind"},
                                     {"source", source.path()},
                                     {"options", {"rbind", GetParam().option}}});
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  json m = find_mount(probe.report, "/prop");
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["propagation"], GetParam().expected) << m.dump();
}

INSTANTIATE_TEST_SUITE_P(Options, BindPropagation,
                         ::testing::Values(PropagationCase{"rprivate", "private"},
                                           PropagationCase{"private", "private"},
                                           PropagationCase{"rshared", "shared"},
                                           PropagationCase{"runbindable", "unbindable"}),
                         [](const auto& info) { return std::string(info.param.option); });

// config-linux.md Rootfs Mount Propagation: rootfsPropagation sets the propagation of the
// container's root mount.
class RootfsPropagation : public ::testing::TestWithParam<PropagationCase> {};

TEST_P(RootfsPropagation, IsApplied) {
  Bundle bundle;
  bundle.config["linux"]["rootfsPropagation"] = GetParam().option;
  ProbeRun probe = run_probe(bundle);
  if (runtime_is_runc() && !probe.ok())
    GTEST_SKIP() << "runc deviates: rootfsPropagation=" << GetParam().option
                 << " fails: " << probe.result.err;
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  json root = find_mount(probe.report, "/");
  ASSERT_TRUE(root.is_object());
  if (runtime_is_runc() && root["propagation"] != GetParam().expected)
    GTEST_SKIP() << "runc deviates: rootfsPropagation=" << GetParam().option
                 << " gives a root mount that is " << root["propagation"];
  EXPECT_EQ(root["propagation"], GetParam().expected) << root.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Values, RootfsPropagation,
    ::testing::Values(PropagationCase{"private", "private"}, PropagationCase{"rprivate", "private"},
                      PropagationCase{"shared", "shared"}, PropagationCase{"rshared", "shared"},
                      PropagationCase{"slave", "slave"}, PropagationCase{"rslave", "slave"},
                      PropagationCase{"unbindable", "unbindable"}),
    [](const auto& info) { return std::string(info.param.option); });

// config.md Root: "A directory MUST exist at the path declared by the field": a mount
// destination that does not exist in the rootfs is created.
TEST(Mounts, MissingDestinationIsCreated) {
  Bundle bundle;
  bundle.config["root"]["readonly"] = false;
  bundle.config["mounts"].push_back({{"destination", "/new/deep/dir"},
                                     {"type", "tmpfs"},
                                     {"source", "tmpfs"},
                                     {"options", {"size=1m"}}});
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_TRUE(find_mount(probe.report, "/new/deep/dir").is_object());
}

// Each line of `out` that is a JSON object, in order.
std::vector<json> json_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (json parsed = parse_json(line); parsed.is_object()) lines.push_back(parsed);
  return lines;
}

// A host directory with a root-owned file and one of uid/gid 1000, for idmapped mounts. /tmp is
// ext4 here, which supports them.
std::string make_idmap_source(const TempDir& dir) {
  const std::string source = dir.path() + "/src";
  mkdir(source.c_str(), 0755);
  write_file(source + "/root-owned", "r");
  write_file(source + "/user-owned", "u");
  if (chown((source + "/user-owned").c_str(), 1000, 1000) != 0) ADD_FAILURE() << "chown";
  return source;
}

// Why idmapped mounts of a host directory cannot be tested rootless.
constexpr const char* kNoIdmap =
    "an idmapped mount needs CAP_SYS_ADMIN in the user namespace owning the filesystem (the "
    "host's, for /tmp)";

bool idmap_unsupported(const CommandResult& r) {
  return r.err.find("does not support idmapped") != std::string::npos ||
         r.err.find("lacks mount_setattr") != std::string::npos;
}

// config.md Mounts uidMappings/gidMappings + "idmap": the mount shows on-disk ids through the
// mapping (containerID -> hostID), and files the container makes get the on-disk id back.
TEST(Mounts, IdmappedBindMountWithItsOwnMappings) {
  if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no idmapped mounts";
  KRILL_SKIP_IF_ROOTLESS(kNoIdmap);
  TempDir dir("idmap");
  const std::string source = make_idmap_source(dir);
  Bundle bundle;
  bundle.config["mounts"].push_back(
      {{"destination", "/idm"},
       {"type", "bind"},
       {"source", source},
       {"options", {"bind", "idmap"}},
       {"uidMappings", {{{"containerID", 0}, {"hostID", 5000}, {"size", 2000}}}},
       {"gidMappings", {{{"containerID", 0}, {"hostID", 6000}, {"size", 2000}}}}});
  bundle.config["process"]["user"] = {{"uid", 5000}, {"gid", 6000}};
  bundle.set_args({"/bin/sh", "-c",
                   "/probe stat /idm/root-owned; /probe stat /idm/user-owned; "
                   "/probe write /idm/made-inside; echo wrote=$?"});
  Container c(bundle);
  CommandResult r = c.run();
  if (idmap_unsupported(r)) GTEST_SKIP() << r.err;
  ASSERT_TRUE(r.ok()) << r.describe();
  std::vector<json> stats = json_lines(r.out);
  ASSERT_EQ(stats.size(), 2u) << r.out;
  EXPECT_EQ(stats[0]["uid"], 5000) << r.out;
  EXPECT_EQ(stats[0]["gid"], 6000) << r.out;
  EXPECT_EQ(stats[1]["uid"], 6000) << r.out;
  EXPECT_EQ(stats[1]["gid"], 7000) << r.out;
  EXPECT_NE(r.out.find("wrote=0"), std::string::npos) << r.out;
  struct stat st {};
  ASSERT_EQ(stat((source + "/made-inside").c_str(), &st), 0) << r.out;
  EXPECT_EQ(st.st_uid, 0u) << "uid 5000 through the mapping is on-disk 0";
  EXPECT_EQ(st.st_gid, 0u);
}

// "idmap" without mappings in a container with a user namespace: the container's mappings
// apply, so host root's files are the container root's (without it they would be nobody's).
TEST(Mounts, IdmapTakesTheContainersMappings) {
  if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no idmapped mounts";
  KRILL_SKIP_IF_ROOTLESS(kNoIdmap);
  if (read_file("/proc/sys/user/max_user_namespaces") == "0\n")
    GTEST_SKIP() << "user namespaces are disabled";
  TempDir dir("idmap-userns");
  const std::string source = make_idmap_source(dir);
  Bundle bundle;
  // The container's root (host 220000) cannot make mount points in a rootfs host root owns.
  mkdir((bundle.rootfs() + "/idm").c_str(), 0755);
  mkdir((bundle.rootfs() + "/plain").c_str(), 0755);
  bundle.set_namespace("user");
  bundle.config["linux"]["uidMappings"] = {
      {{"containerID", 0}, {"hostID", 220000}, {"size", 65536}}};
  bundle.config["linux"]["gidMappings"] = {
      {{"containerID", 0}, {"hostID", 220000}, {"size", 65536}}};
  json mounts = json::array();
  for (const auto& m : bundle.config["mounts"])
    if (m.value("type", "") != "cgroup") mounts.push_back(m);
  mounts.push_back({{"destination", "/idm"},
                    {"type", "bind"},
                    {"source", source},
                    {"options", {"rbind", "idmap"}}});
  mounts.push_back(
      {{"destination", "/plain"}, {"type", "bind"}, {"source", source}, {"options", {"rbind"}}});
  bundle.config["mounts"] = mounts;
  bundle.set_args({"/bin/sh", "-c",
                   "/probe stat /idm/root-owned; /probe stat /idm/user-owned; "
                   "/probe stat /plain/root-owned"});
  Container c(bundle);
  CommandResult r = c.run();
  if (idmap_unsupported(r)) GTEST_SKIP() << r.err;
  ASSERT_TRUE(r.ok()) << r.describe();
  std::vector<json> stats = json_lines(r.out);
  ASSERT_EQ(stats.size(), 3u) << r.out;
  EXPECT_EQ(stats[0]["uid"], 0) << r.out;
  EXPECT_EQ(stats[0]["gid"], 0) << r.out;
  EXPECT_EQ(stats[1]["uid"], 1000) << r.out;
  EXPECT_EQ(stats[2]["uid"], 65534) << "without idmap host root is unmapped: " << r.out;
}

// config.md idmap: "If there are no uidMappings and gidMappings specified and the container
// isn't using user namespaces, an error MUST be returned."
TEST(Mounts, IdmapWithoutMappingsOrUserNamespaceFails) {
  if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no idmapped mounts";
  KRILL_SKIP_IF_ROOTLESS("a rootless container always has a user namespace, this case has none");
  TempDir dir("idmap-none");
  const std::string source = make_idmap_source(dir);
  Bundle bundle;
  bundle.config["mounts"].push_back({{"destination", "/idm"},
                                     {"type", "bind"},
                                     {"source", source},
                                     {"options", {"bind", "idmap"}}});
  Container c(bundle);
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("idmap"), std::string::npos) << r.err;
  EXPECT_FALSE(c.state().ok());
}

}  // namespace
}  // namespace krill::it
