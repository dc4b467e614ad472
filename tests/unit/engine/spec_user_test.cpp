// USER resolution against a fake image root file system.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_io.h"
#include "engine/spec_builder.h"
#include "engine/spec_internal.h"

namespace krill::engine {
namespace {

class SpecUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krill-spec-user-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    ASSERT_TRUE(mkdir_all(root_ + "/etc", 0755).has_value());
    write("/etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "# a comment\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "broken line\n"
          "app:x:1000:1000:App:/home/app:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    write("/etc/group",
          "root:x:0:\n"
          "daemon:x:1:\n"
          "wheel:x:10:root,app\n"
          "audio:x:29:app\n"
          "app:x:1000:\n"
          "staff:x:50:\n"
          "nogroup:x:65534:\n");
  }
  void TearDown() override { (void)remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(root_ + path, text, 0644).has_value());
  }
  std::string root_;
};

TEST_F(SpecUserTest, EmptyIsRootWithItsGroupsAndHome) {
  auto user = resolve_user(root_, "", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 0u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_EQ(user->home, "/root");
  EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{0, 10}));
}

TEST_F(SpecUserTest, ByName) {
  auto user = resolve_user(root_, "app", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 1000u);
  EXPECT_EQ(user->home, "/home/app");
  EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{1000, 10, 29}));
}

TEST_F(SpecUserTest, ByUidWithEntry) {
  auto user = resolve_user(root_, "1000", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 1000u);
  EXPECT_EQ(user->home, "/home/app");
}

TEST_F(SpecUserTest, ByUidWithoutEntry) {
  auto user = resolve_user(root_, "4242", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 4242u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_EQ(user->home, "/");
  EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{0}));
}

TEST_F(SpecUserTest, NameColonGroupName) {
  auto user = resolve_user(root_, "app:staff", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 50u);
  // An explicit group replaces the user's supplementary groups (runc).
  EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{50}));
}

TEST_F(SpecUserTest, UidColonGid) {
  auto user = resolve_user(root_, "4242:4343", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 4242u);
  EXPECT_EQ(user->gid, 4343u);
}

TEST_F(SpecUserTest, MissingUser) {
  auto user = resolve_user(root_, "nobody2", {});
  ASSERT_FALSE(user.has_value());
  EXPECT_EQ(user.error().message(),
            "unable to find user nobody2: no matching entries in passwd file");
}

TEST_F(SpecUserTest, MissingGroup) {
  auto user = resolve_user(root_, "app:nosuch", {});
  ASSERT_FALSE(user.has_value());
  EXPECT_EQ(user.error().message(),
            "unable to find group nosuch: no matching entries in group file");
}

TEST_F(SpecUserTest, GroupAddByNameAndNumber) {
  auto user = resolve_user(root_, "daemon", {"staff", "777", "audio"});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 1u);
  EXPECT_EQ(user->gid, 1u);
  EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{1, 50, 777, 29}));
  auto missing = resolve_user(root_, "daemon", {"nosuchgroup"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "unable to find group nosuchgroup: no matching entries in group file");
}

TEST_F(SpecUserTest, NoPasswdFile) {
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  auto numeric = resolve_user(root_, "1000:1000", {});
  ASSERT_TRUE(numeric.has_value()) << numeric.error().message();
  EXPECT_EQ(numeric->uid, 1000u);
  auto root = resolve_user(root_, "", {});
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->home, "/");
  EXPECT_FALSE(resolve_user(root_, "app", {}).has_value());
}

TEST_F(SpecUserTest, PasswdSymlinkStaysInsideRootfs) {
  // An image's /etc/passwd pointing at "/../../etc/passwd" must read the image's file.
  ASSERT_TRUE(mkdir_all(root_ + "/real", 0755).has_value());
  write("/real/passwd", "evil:x:77:77::/evil:/bin/sh\n");
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::symlink("/../../../../real/passwd", (root_ + "/etc/passwd").c_str()), 0);
  auto user = resolve_user(root_, "evil", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 77u);
  EXPECT_FALSE(resolve_user(root_, "root", {}).has_value());
  EXPECT_EQ(spec_detail::path_in_rootfs(root_, "/etc/passwd"), root_ + "/real/passwd");
  EXPECT_EQ(spec_detail::path_in_rootfs(root_, "/../x/./y"), root_ + "/x/y");
}

TEST_F(SpecUserTest, PasswdNotARegularFileIsIgnored) {
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::mkfifo((root_ + "/etc/passwd").c_str(), 0644), 0);
  auto user = resolve_user(root_, "123", {});
  ASSERT_TRUE(user.has_value()) << user.error().message();
  EXPECT_EQ(user->uid, 123u);
}

}  // namespace
}  // namespace krill::engine
