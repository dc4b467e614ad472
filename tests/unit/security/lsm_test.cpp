// AppArmor and SELinux: on hosts without them the functions give clear errors.
#include "runtime/security/lsm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace krill::security {
namespace {

using ::testing::HasSubstr;

bool host_apparmor_enabled() {
  std::ifstream file("/sys/module/apparmor/parameters/enabled");
  char c = 0;
  return file.get(c) && c == 'Y';
}

TEST(Lsm, DetectionMatchesTheHost) {
  EXPECT_EQ(apparmor_enabled(), host_apparmor_enabled());
  if (!std::filesystem::exists("/sys/fs/selinux")) {
    EXPECT_FALSE(selinux_enabled());
  }
}

TEST(Lsm, EmptyProfileAndLabelAreNoOps) {
  EXPECT_TRUE(apply_apparmor_profile("").has_value());
  EXPECT_TRUE(apply_selinux_exec_label("").has_value());
}

TEST(Lsm, AppArmorProfileWithoutAppArmorIsAClearError) {
  if (apparmor_enabled()) GTEST_SKIP() << "AppArmor is enabled on this host";
  auto result = apply_apparmor_profile("acme_secure_profile");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(),
            "apparmor profile acme_secure_profile requested but AppArmor is not enabled on this "
            "host");
}

TEST(Lsm, SelinuxLabelWithoutSelinuxIsAClearError) {
  if (selinux_enabled()) GTEST_SKIP() << "SELinux is enabled on this host";
  auto result = apply_selinux_exec_label("system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(),
            "SELinux label system_u:system_r:svirt_lxc_net_t:s0:c124,c675 requested but SELinux "
            "is not enabled on this host");
}

TEST(Lsm, MountContext) {
  EXPECT_EQ(selinux_mount_context(""), "");
  EXPECT_EQ(selinux_mount_context("system_u:object_r:svirt_sandbox_file_t:s0:c1,c2"),
            "context=\"system_u:object_r:svirt_sandbox_file_t:s0:c1,c2\"");
}

}  // namespace
}  // namespace krill::security
