// open_in_root / mkdir_all_in_root never leave the root (both the openat2 path and the
// component-wise walk). Needs no privileges.
#include "runtime/rootfs/path_in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace krill::rootfs {
namespace {

namespace fs = std::filesystem;

class PathInRootTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krill-pathinroot-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ / "root";
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "a" / "b");
    std::ofstream(root_ / "etc" / "hostname") << "inside";
    std::ofstream(base_ / "hostname") << "outside";
    fs::create_symlink(base_ / "hostname", root_ / "abs");                 // absolute, "outside"
    fs::create_symlink("../../../../../../hostname", root_ / "a" / "up");  // climbs
    fs::create_symlink("/etc", root_ / "etclink");
    fs::create_symlink("loop2", root_ / "loop1");
    fs::create_symlink("loop1", root_ / "loop2");
    fs::create_symlink(base_ / "outside", root_ / "evil");  // dangling, outside
    root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    ::close(root_fd_);
    fs::remove_all(base_);
  }

  Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0) {
    if (GetParam()) return walk_in_root(root_fd_, path, flags, mode, false);
    return open_in_root(root_fd_, path, flags, mode);
  }
  std::string read(const std::string& path) {
    auto fd = open(path, O_RDONLY);
    if (!fd) return "error: " + fd.error().message();
    char buffer[64] = {};
    ssize_t n = ::read(fd->get(), buffer, sizeof(buffer) - 1);
    return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  }

  fs::path base_, root_;
  int root_fd_ = -1;
};

TEST_P(PathInRootTest, DotDotStaysInside) {
  EXPECT_EQ(read("../../../../etc/hostname"), "inside");
  EXPECT_EQ(read("/a/b/../../../etc/hostname"), "inside");
}

TEST_P(PathInRootTest, AbsoluteSymlinkResolvesAgainstRoot) {
  // abs -> <base>/hostname: inside the root that path does not exist.
  auto fd = open("/abs", O_RDONLY);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().errno_value(), ENOENT);
  EXPECT_EQ(read("/etclink/hostname"), "inside");
}

TEST_P(PathInRootTest, RelativeSymlinkCannotClimbOut) {
  auto fd = open("/a/up", O_RDONLY);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().errno_value(), ENOENT);
  std::ofstream(root_ / "hostname") << "root-level";
  EXPECT_EQ(read("/a/up"), "root-level");
}

TEST_P(PathInRootTest, SymlinkLoopIsEloop) {
  auto fd = open("/loop1", O_RDONLY);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().errno_value(), ELOOP);
}

TEST_P(PathInRootTest, NoFollowOnLastComponent) {
  auto fd = open("/abs", O_PATH | O_NOFOLLOW);
  ASSERT_TRUE(fd) << fd.error().message();
  struct stat st {};
  ASSERT_EQ(::fstatat(fd->get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_P(PathInRootTest, CreateThroughDanglingSymlinkStaysInside) {
  fs::create_directories(root_ / base_.relative_path());
  auto fd = open("/evil", O_WRONLY | O_CREAT, 0644);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_TRUE(fs::exists(root_ / fs::path(base_.string().substr(1)) / "outside"));
  EXPECT_FALSE(fs::exists(base_ / "outside"));
}

TEST_P(PathInRootTest, OpensRootItself) {
  auto fd = open("/", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(fd);
  struct stat a {
  }, b{};
  ::fstat(fd->get(), &a);
  ::fstat(root_fd_, &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, PathInRootTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Walk" : "Openat2"; });

TEST(MkdirAllInRoot, FollowsDanglingSymlinkInsideRoot) {
  char pattern[] = "/tmp/krill-mkdirall-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path base = pattern;
  fs::create_directories(base / "root");
  fs::create_symlink(base / "outside", base / "root" / "evil");
  int root_fd = ::open((base / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  auto fd = mkdir_all_in_root(root_fd, "/evil/sub/../deeper", 0755);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_FALSE(fs::exists(base / "outside"));
  const fs::path inside = base / "root" / fs::path(base.string().substr(1)) / "outside";
  EXPECT_TRUE(fs::is_directory(inside / "sub"));
  EXPECT_TRUE(fs::is_directory(inside / "deeper"));
  auto again = mkdir_all_in_root(root_fd, "/evil/deeper", 0755);
  ASSERT_TRUE(again);
  // A file in the way is ENOTDIR.
  std::ofstream(base / "root" / "file") << "x";
  auto blocked = mkdir_all_in_root(root_fd, "/file/sub", 0755);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().errno_value(), ENOTDIR);
  ::close(root_fd);
  fs::remove_all(base);
}

TEST(CleanContainerPath, Cases) {
  EXPECT_EQ(clean_container_path(""), "/");
  EXPECT_EQ(clean_container_path("proc"), "/proc");
  EXPECT_EQ(clean_container_path("//a/./b/../c/"), "/a/c");
  EXPECT_EQ(clean_container_path("/../../x"), "/x");
}

}  // namespace
}  // namespace krill::rootfs
