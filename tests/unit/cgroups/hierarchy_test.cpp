#include "runtime/cgroups/hierarchy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace krill::cgroups {
namespace {

using ::testing::ElementsAre;

// A systemd host with cgroup v1 (legacy layout), cpu and cpuacct co-mounted.
constexpr const char* kV1Mountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "25 22 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
    "cgroup rw,memory\n"
    "31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid - cgroup cgroup rw,net_cls,net_prio\n"
    "32 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid - cgroup cgroup rw,cpuset,clone_children\n"
    // the same memory hierarchy bind-mounted again: ignored
    "40 22 0:27 / /mnt/memory rw,relatime - cgroup cgroup rw,memory\n";

constexpr const char* kV2Mountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// This machine's layout: every v1 controller separately, cgroup2 at .../unified.
constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(ParseMountinfo, V1) {
  auto hierarchies = parse_mountinfo(kV1Mountinfo);
  ASSERT_TRUE(hierarchies) << hierarchies.error().message();
  ASSERT_EQ(hierarchies->size(), 5u);
  EXPECT_EQ((*hierarchies)[0].controller_or_name, "name=systemd");
  EXPECT_EQ((*hierarchies)[0].mountpoint, "/sys/fs/cgroup/systemd");
  EXPECT_THAT((*hierarchies)[1].controllers, ElementsAre("cpu", "cpuacct"));
  EXPECT_EQ((*hierarchies)[1].controller_or_name, "cpu,cpuacct");
  EXPECT_EQ((*hierarchies)[1].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_FALSE((*hierarchies)[2].v2);
  EXPECT_EQ((*hierarchies)[2].mountpoint, "/sys/fs/cgroup/memory");
  EXPECT_TRUE((*hierarchies)[3].has("net_prio"));
  EXPECT_THAT((*hierarchies)[4].controllers, ElementsAre("cpuset"));
  EXPECT_EQ(*layout_of(*hierarchies), Layout::kV1);
}

TEST(ParseMountinfo, V2) {
  auto hierarchies = parse_mountinfo(kV2Mountinfo);
  ASSERT_TRUE(hierarchies);
  ASSERT_EQ(hierarchies->size(), 1u);
  EXPECT_TRUE((*hierarchies)[0].v2);
  EXPECT_EQ((*hierarchies)[0].controller_or_name, "");
  EXPECT_EQ((*hierarchies)[0].mountpoint, "/sys/fs/cgroup");
  EXPECT_EQ(*layout_of(*hierarchies), Layout::kV2);
}

TEST(ParseMountinfo, Hybrid) {
  auto hierarchies = parse_mountinfo(kHybridMountinfo);
  ASSERT_TRUE(hierarchies);
  ASSERT_EQ(hierarchies->size(), 10u);
  EXPECT_EQ(hierarchies->back().mountpoint, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(hierarchies->back().v2);
  EXPECT_EQ((*hierarchies)[8].controller_or_name, "name=systemd");
  EXPECT_EQ(*layout_of(*hierarchies), Layout::kHybrid);
}

TEST(ParseMountinfo, UnescapesPathsAndKeepsRoot) {
  auto hierarchies = parse_mountinfo(
      "50 22 0:30 /docker/abc /my\\040cgroups/memory rw - cgroup cgroup rw,memory\n");
  ASSERT_TRUE(hierarchies);
  ASSERT_EQ(hierarchies->size(), 1u);
  EXPECT_EQ((*hierarchies)[0].mountpoint, "/my cgroups/memory");
  EXPECT_EQ((*hierarchies)[0].root, "/docker/abc");
}

TEST(ParseMountinfo, NoCgroups) {
  auto hierarchies = parse_mountinfo("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
  ASSERT_TRUE(hierarchies);
  EXPECT_TRUE(hierarchies->empty());
  EXPECT_FALSE(layout_of(*hierarchies));
}

TEST(DiscoverHierarchies, ReadsV2ControllersFromTheMount) {
  testing::FakeHost host({{"memory", "memory"}}, true, "hugetlb rdma");
  auto hierarchies = discover_hierarchies(host.mountinfo_path());
  ASSERT_TRUE(hierarchies) << hierarchies.error().message();
  ASSERT_EQ(hierarchies->size(), 2u);
  EXPECT_THAT((*hierarchies)[1].controllers, ElementsAre("hugetlb", "rdma"));
  EXPECT_EQ(*layout_of(*hierarchies), Layout::kHybrid);
}

TEST(DiscoverHierarchies, MissingFileIsAnErrorNamingIt) {
  auto hierarchies = discover_hierarchies("/nonexistent/mountinfo");
  ASSERT_FALSE(hierarchies);
  EXPECT_THAT(hierarchies.error().message(), ::testing::HasSubstr("/nonexistent/mountinfo"));
}

TEST(DiscoverHierarchies, ThisHost) {
  auto hierarchies = discover_hierarchies();
  ASSERT_TRUE(hierarchies) << hierarchies.error().message();
  EXPECT_TRUE(layout_of(*hierarchies));
}

TEST(ParseProcCgroup, HybridLines) {
  auto entries = parse_proc_cgroup("9:name=systemd:/\n4:memory:/a/b\n1:cpu,cpuacct:/x\n0::/\n");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1].controller_or_name, "memory");
  EXPECT_EQ(entries[1].path, "/a/b");
  EXPECT_EQ(entries[2].controller_or_name, "cpu,cpuacct");
  EXPECT_EQ(entries[3].controller_or_name, "");
  EXPECT_EQ(entries[3].path, "/");
}

}  // namespace
}  // namespace krill::cgroups
