// Filesystems: config.md "Root" and "Mounts", config-linux.md "Rootfs Mount Propagation".
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

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

}  // namespace
}  // namespace krill::it
