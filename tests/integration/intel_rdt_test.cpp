// config-linux.md "IntelRdt": "If no mounted resctrl pseudo-filesystem is available in the
// runtime mount namespace, the runtime MUST generate an error." This host has no resctrl
// (the rules for a mounted one are unit-tested against a directory: tests/unit/runtime).
#include <gtest/gtest.h>

#include "harness.h"

namespace krill::it {
namespace {

bool resctrl_mounted() {
  return read_file("/proc/self/mountinfo").find(" - resctrl ") != std::string::npos;
}

TEST(IntelRdt, WithoutResctrlCreateFailsAndLeavesNothing) {
  if (resctrl_mounted()) GTEST_SKIP() << "resctrl is mounted here; this test is for hosts without";
  if (runtime_is_runc()) GTEST_SKIP() << "runc's message differs; the rule is the same";
  Bundle bundle;
  Container c(bundle);
  const CgroupGuard& guard = bundle.use_test_cgroup(c.id());
  bundle.config["linux"]["intelRdt"] = {{"closID", "kit"}, {"l3CacheSchema", "L3:0=f"}};
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("intelRdt requested but resctrl is not mounted"), std::string::npos)
      << r.err;
  EXPECT_FALSE(c.state().ok());
  EXPECT_FALSE(path_exists(state_root() + "/" + c.id()));
  EXPECT_TRUE(eventually([&] { return marked_processes("KRILL_IT_ID=" + c.id()).empty(); }));
  for (const auto& dir : guard.leaf_dirs()) EXPECT_FALSE(path_exists(dir)) << dir;
}

// features.md: the runtime says it implements intelRdt (irrespective of the host).
TEST(IntelRdt, FeaturesSayImplemented) {
  if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 has no features command";
  CommandResult r = runtime({"features"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json features = parse_json(r.out);
  ASSERT_TRUE(features.is_object()) << r.out;
  EXPECT_EQ(features["linux"]["intelRdt"]["enabled"], true);
  EXPECT_EQ(features["linux"]["intelRdt"]["schemata"], true);
  EXPECT_EQ(features["linux"]["intelRdt"]["monitoring"], true);
  EXPECT_EQ(features["linux"]["netDevices"]["enabled"], true);
}

}  // namespace
}  // namespace krill::it
