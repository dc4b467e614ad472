#include "runtime/process/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "in_child.h"
#include "runtime/process/small_file.h"

namespace krill::process {
namespace {

using testing::run_in_child;

std::vector<gid_t> current_groups() {
  int count = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(count > 0 ? count : 0);
  if (count > 0) ::getgroups(count, groups.data());
  std::sort(groups.begin(), groups.end());
  return groups;
}

TEST(ApplyUser, SwitchesIdsGroupsAndUmask) {
  EXPECT_EQ(run_in_child([] {
              oci::User user;
              user.uid = 1000;
              user.gid = 1000;
              user.umask = 027;
              user.additional_gids = {2000, 3000};
              auto result = apply_user(user);
              if (!result) return result.error().message();
              uid_t ruid, euid, suid;
              gid_t rgid, egid, sgid;
              ::getresuid(&ruid, &euid, &suid);
              ::getresgid(&rgid, &egid, &sgid);
              if (ruid != 1000 || euid != 1000 || suid != 1000) return std::string("uids");
              if (rgid != 1000 || egid != 1000 || sgid != 1000) return std::string("gids");
              if (current_groups() != std::vector<gid_t>{1000, 2000, 3000})
                return std::string("groups");
              mode_t mask = ::umask(0);
              if (mask != 027) return "umask " + std::to_string(mask);
              return std::string();
            }),
            "");
}

TEST(ApplyUser, LeavesUmaskAloneWhenUnsetAndDoesNotDuplicateThePrimaryGid) {
  EXPECT_EQ(run_in_child([] {
              ::umask(0022);
              oci::User user;
              user.uid = 1234;
              user.gid = 5;
              user.additional_gids = {5, 7};
              auto result = apply_user(user);
              if (!result) return result.error().message();
              if (current_groups() != std::vector<gid_t>{5, 7}) return std::string("groups");
              if (::umask(0) != 0022) return std::string("umask changed");
              if (::getuid() != 1234 || ::getgid() != 5) return std::string("ids");
              return std::string();
            }),
            "");
}

TEST(ApplyUser, RejectsAnInvalidUmaskBeforeChangingIds) {
  EXPECT_EQ(run_in_child([] {
              oci::User user;
              user.uid = 1000;
              user.umask = 01000;
              auto result = apply_user(user);
              if (result) return std::string("accepted umask 01000");
              if (result.error().message() != "set umask to 512: not a file mode (max 0777)")
                return "got: " + result.error().message();
              return ::getuid() == 0 ? std::string() : std::string("ids changed");
            }),
            "");
}

TEST(ApplyUser, UnprivilegedCallerFailsNamingTheCall) {
  EXPECT_EQ(run_in_child([] {
              if (::setresuid(1000, 1000, 1000) != 0) return std::string("drop failed");
              oci::User user;
              user.uid = 0;
              auto result = apply_user(user);
              if (result) return std::string("succeeded");
              if (result.error().message() != "setgroups to [0]: Operation not permitted")
                return "got: " + result.error().message();
              return std::string();
            }),
            "");
}

// In a user namespace whose gid_map was written with setgroups denied (as an unprivileged
// runtime does), setgroups is skipped when no additional gids are asked for.
std::string enter_user_namespace_with_setgroups_denied() {
  if (::unshare(CLONE_NEWUSER) != 0) return "skip: unshare(CLONE_NEWUSER) not permitted";
  if (!write_small_file("/proc/self/setgroups", "deny")) return "write setgroups";
  if (!write_small_file("/proc/self/uid_map", "0 0 1")) return "write uid_map";
  if (!write_small_file("/proc/self/gid_map", "0 0 1")) return "write gid_map";
  return "";
}

TEST(ApplyUser, SkipsSetgroupsWhenDeniedInAUserNamespace) {
  std::string result = run_in_child([] {
    if (auto error = enter_user_namespace_with_setgroups_denied(); !error.empty()) return error;
    oci::User user;  // 0:0, no additional gids
    auto applied = apply_user(user);
    return applied ? std::string() : applied.error().message();
  });
  if (result.starts_with("skip:")) GTEST_SKIP() << result;
  EXPECT_EQ(result, "");
}

TEST(ApplyUser, AdditionalGidsWithSetgroupsDeniedIsAClearError) {
  std::string result = run_in_child([] {
    if (auto error = enter_user_namespace_with_setgroups_denied(); !error.empty()) return error;
    oci::User user;
    user.additional_gids = {0};
    auto applied = apply_user(user);
    if (applied) return std::string("succeeded");
    return applied.error().message();
  });
  if (result.starts_with("skip:")) GTEST_SKIP() << result;
  EXPECT_EQ(result,
            "set additional gids [0]: setgroups is denied in this user namespace "
            "(/proc/self/setgroups is \"deny\")");
}

}  // namespace
}  // namespace krill::process
