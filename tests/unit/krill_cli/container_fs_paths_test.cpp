// split_container_path: Docker's CONTAINER:PATH rule for `krill cp`.
#include <gtest/gtest.h>

#include "cli/krill/cmd_container_fs.h"

namespace krill::cli {
namespace {

TEST(ContainerFsPaths, ContainerAndPath) {
  auto p = split_container_path("web:/etc/hosts");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->container, "web");
  EXPECT_EQ(p->path, "/etc/hosts");
}

TEST(ContainerFsPaths, EmptyPathIsRoot) {
  auto p = split_container_path("web:");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->path, "/");
}

TEST(ContainerFsPaths, HostPaths) {
  EXPECT_FALSE(split_container_path("/tmp/a:b").has_value());
  EXPECT_FALSE(split_container_path("./a:b").has_value());
  EXPECT_FALSE(split_container_path("dir/a:b").has_value());
  EXPECT_FALSE(split_container_path("plain").has_value());
  EXPECT_FALSE(split_container_path("-").has_value());
  EXPECT_FALSE(split_container_path(":x").has_value());
}

}  // namespace
}  // namespace krill::cli
