// config-linux.md "IntelRdt" rules against a directory standing in for the resctrl mount: the
// files the kernel would have (schemata, tasks, mon_groups) are made by the tests where a real
// group would have them; what the runtime writes is appended, so its order shows.
#include "runtime/intel_rdt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_io.h"

namespace krill::runtime {
namespace {

using ::testing::HasSubstr;

class IntelRdtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-rdt-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
  }
  void TearDown() override { ASSERT_TRUE(remove_all(root_)); }

  // A pre-configured group as an administrator (or the kernel, for the root) would have it.
  void make_group(const std::string& name, const std::string& schemata, bool monitoring = true) {
    const std::string dir = name.empty() ? root_ : root_ + "/" + name;
    ::mkdir(dir.c_str(), 0755);
    ASSERT_TRUE(write_file_atomic(dir + "/schemata", schemata, 0644));
    if (monitoring) ::mkdir((dir + "/mon_groups").c_str(), 0755);
  }
  std::string contents(const std::string& path) const {
    auto text = read_file(root_ + "/" + path);
    return text ? *text : "<missing>";
  }
  bool exists(const std::string& path) const {
    return ::access((root_ + "/" + path).c_str(), F_OK) == 0;
  }

  std::string root_;
};

TEST_F(IntelRdtTest, WithoutClosIdAGroupNamedAfterTheContainerIsMadeAndRemoved) {
  oci::IntelRdt rdt;
  rdt.l3_cache_schema = "L3:0=7f0;1=1f";
  rdt.mem_bw_schema = "MB:0=20;1=70";
  rdt.schemata = {"L2:0=f;1=f"};
  auto placed = apply_intel_rdt(root_, rdt, "c1", 4242);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_EQ(placed->group, root_ + "/c1");
  EXPECT_TRUE(placed->created_group);
  EXPECT_EQ(placed->monitor_group, "");
  // L3 first, MB last of the two, schemata after them; one line per write.
  EXPECT_EQ(contents("c1/schemata"), "L3:0=7f0;1=1f\nMB:0=20;1=70\nL2:0=f;1=f\n");
  EXPECT_EQ(contents("c1/tasks"), "4242\n");
  ASSERT_TRUE(remove_intel_rdt(*placed));
  EXPECT_FALSE(exists("c1"));
}

TEST_F(IntelRdtTest, WithoutAnySchemaNothingIsWrittenToSchemata) {
  oci::IntelRdt rdt;  // no closID, no schema: still the container's own group
  auto placed = apply_intel_rdt(root_, rdt, "c2", 7);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_FALSE(exists("c2/schemata"));
  EXPECT_EQ(contents("c2/tasks"), "7\n");
  ASSERT_TRUE(remove_intel_rdt(*placed));
}

TEST_F(IntelRdtTest, MissingClosIdGroupIsMadeWhenSchemaIsGivenAndKeptOnDelete) {
  oci::IntelRdt rdt;
  rdt.clos_id = "guaranteed";
  rdt.schemata = {"L3:0=7f0;1=1f", "MB:0=20;1=70"};
  auto placed = apply_intel_rdt(root_, rdt, "c3", 9);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_EQ(placed->group, root_ + "/guaranteed");
  EXPECT_FALSE(placed->created_group) << "a closID group is never the container's to remove";
  EXPECT_EQ(contents("guaranteed/schemata"), "L3:0=7f0;1=1f\nMB:0=20;1=70\n");
  ASSERT_TRUE(remove_intel_rdt(*placed));
  EXPECT_TRUE(exists("guaranteed"));
}

TEST_F(IntelRdtTest, ExistingClosIdGroupMustMatchL3AndMb) {
  // The kernel pads resource names and may spell masks with leading zeros.
  make_group("shared", "    L3:0=07f0;1=01f\n    MB:0=20;1=70\n");
  oci::IntelRdt rdt;
  rdt.clos_id = "shared";
  rdt.l3_cache_schema = "L3:0=7F0;1=1f";
  rdt.mem_bw_schema = "MB:0=20;1=70";
  auto placed = apply_intel_rdt(root_, rdt, "c4", 11);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_EQ(contents("shared/tasks"), "11\n");

  rdt.mem_bw_schema = "MB:0=20;1=50";
  auto mismatch = apply_intel_rdt(root_, rdt, "c5", 12);
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().message(),
              HasSubstr("linux.intelRdt.memBwSchema: \"MB:0=20;1=50\" does not match"));
  EXPECT_EQ(contents("shared/tasks"), "11\n") << "a mismatch must not add the container";
}

TEST_F(IntelRdtTest, ClosIdWithoutSchemaMustExist) {
  oci::IntelRdt rdt;
  rdt.clos_id = "preconfigured";
  auto missing = apply_intel_rdt(root_, rdt, "c6", 13);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(),
              HasSubstr("linux.intelRdt.closID: no resctrl group \"preconfigured\""));
  EXPECT_FALSE(exists("preconfigured"));

  make_group("preconfigured", "L3:0=ff\n");
  auto placed = apply_intel_rdt(root_, rdt, "c6", 13);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_EQ(contents("preconfigured/schemata"), "L3:0=ff\n") << "no schema: nothing written";
  EXPECT_EQ(contents("preconfigured/tasks"), "13\n");
}

TEST_F(IntelRdtTest, SlashIsTheDefaultGroup) {
  make_group("", "L3:0=fff\n");
  oci::IntelRdt rdt;
  rdt.clos_id = "/";
  auto placed = apply_intel_rdt(root_, rdt, "c7", 14);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_EQ(placed->group, root_);
  EXPECT_EQ(contents("tasks"), "14\n");
  ASSERT_TRUE(remove_intel_rdt(*placed));
  EXPECT_TRUE(exists(""));
}

TEST_F(IntelRdtTest, MonitoringMakesAMonGroupNamedAfterTheContainerAndDeleteRemovesIt) {
  make_group("watched", "L3:0=ff\n");
  oci::IntelRdt rdt;
  rdt.clos_id = "watched";
  rdt.enable_monitoring = true;
  auto placed = apply_intel_rdt(root_, rdt, "c8", 15);
  ASSERT_TRUE(placed) << placed.error().message();
  EXPECT_EQ(placed->monitor_group, root_ + "/watched/mon_groups/c8");
  EXPECT_EQ(contents("watched/mon_groups/c8/tasks"), "15\n");
  ASSERT_TRUE(remove_intel_rdt(*placed));
  EXPECT_FALSE(exists("watched/mon_groups/c8"));
  EXPECT_TRUE(exists("watched"));

  // A MON group that cannot be made is an error, and what was made is removed again.
  oci::IntelRdt own;
  own.enable_monitoring = true;  // the new group c9 has no mon_groups (no monitoring kernel)
  auto failed = apply_intel_rdt(root_, own, "c9", 16);
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message(), HasSubstr("linux.intelRdt.enableMonitoring"));
  EXPECT_FALSE(exists("c9"));
}

TEST_F(IntelRdtTest, BadValuesAreRefused) {
  oci::IntelRdt rdt;
  rdt.mem_bw_schema = "L3:0=f";
  auto bad_mb = apply_intel_rdt(root_, rdt, "c10", 1);
  ASSERT_FALSE(bad_mb);
  EXPECT_THAT(bad_mb.error().message(), HasSubstr("memBwSchema: must start with \"MB:\""));
  oci::IntelRdt escape;
  escape.clos_id = "../etc";
  auto bad_name = apply_intel_rdt(root_, escape, "c10", 1);
  ASSERT_FALSE(bad_name);
  EXPECT_THAT(bad_name.error().message(), HasSubstr("closID: invalid resctrl group name"));
}

TEST(IntelRdtMount, FoundInMountinfoOrTheSpecsError) {
  char templ[] = "/tmp/krill-rdt-mi-XXXXXX";
  int fd = ::mkstemp(templ);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string path = templ;
  ASSERT_TRUE(write_file_atomic(
      path,
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "40 22 0:35 / /sys/fs/res\\040ctrl rw,relatime shared:20 - resctrl resctrl rw\n",
      0644));
  auto found = find_resctrl_root(path);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, "/sys/fs/res ctrl");
  ASSERT_TRUE(write_file_atomic(path, "22 1 0:21 / /proc rw,nosuid - proc proc rw\n", 0644));
  auto missing = find_resctrl_root(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "linux.intelRdt: intelRdt requested but resctrl is not mounted");
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace krill::runtime
