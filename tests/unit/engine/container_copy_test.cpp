// container_copy.h / tar_tree.h over plain directories: a temp dir plays the container's root.
#include "engine/container_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/file_io.h"

namespace krill::engine {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ContainerCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krill-copy-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ctr_ = dir_ + "/rootfs";
    host_ = dir_ + "/host";
    fs::create_directories(ctr_ + "/d/sub");
    fs::create_directories(ctr_ + "/etc");
    fs::create_directories(host_);
    ASSERT_TRUE(write_file_atomic(ctr_ + "/d/a", "one\n", 0640).has_value());
    ASSERT_TRUE(write_file_atomic(ctr_ + "/d/sub/b", "two\n", 0644).has_value());
    ASSERT_TRUE(write_file_atomic(ctr_ + "/etc/passwd", "ctr-passwd\n", 0644).has_value());
    ASSERT_EQ(::link((ctr_ + "/d/a").c_str(), (ctr_ + "/d/hard").c_str()), 0);
    ::symlink("../../../../../..", (ctr_ + "/d/up").c_str());
    ::symlink("/etc", (ctr_ + "/d/etc-link").c_str());
    ::symlink("a", (ctr_ + "/d/alink").c_str());
    root_ = std::move(*contained_root(ctr_, "container test"));
    host_root_ = std::move(*host_root());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dir_, ctr_, host_;
  PathRoot root_, host_root_;
};

TEST_F(ContainerCopyTest, OutOfTheContainerWithDockersRules) {
  CopyOptions options;
  ASSERT_TRUE(copy_path(root_, "/d/a", host_root_, host_ + "/a-copy", options).has_value());
  EXPECT_EQ(slurp(host_ + "/a-copy"), "one\n");
  struct stat st {};
  ASSERT_EQ(::stat((host_ + "/a-copy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // Into an existing directory by name; a directory to a new name; contents with "/.".
  ASSERT_TRUE(copy_path(root_, "d/a", host_root_, host_, options).has_value());
  EXPECT_EQ(slurp(host_ + "/a"), "one\n");
  ASSERT_TRUE(copy_path(root_, "/d", host_root_, host_ + "/dcopy", options).has_value());
  EXPECT_EQ(slurp(host_ + "/dcopy/sub/b"), "two\n");
  EXPECT_TRUE(fs::is_symlink(host_ + "/dcopy/up"));
  EXPECT_EQ(fs::read_symlink(host_ + "/dcopy/etc-link"), "/etc");
  struct stat a {}, hard {};
  ASSERT_EQ(::stat((host_ + "/dcopy/a").c_str(), &a), 0);
  ASSERT_EQ(::stat((host_ + "/dcopy/hard").c_str(), &hard), 0);
  EXPECT_EQ(a.st_ino, hard.st_ino);  // the hard link stays one
  fs::create_directory(host_ + "/contents");
  ASSERT_TRUE(copy_path(root_, "/d/.", host_root_, host_ + "/contents", options).has_value());
  EXPECT_EQ(slurp(host_ + "/contents/sub/b"), "two\n");
  // Symlinks in the source path resolve inside the root: /d/up/etc is the container's /etc,
  // /d/etc-link/passwd too.
  ASSERT_TRUE(copy_path(root_, "/d/up/etc/passwd", host_root_, host_ + "/p1", options).has_value());
  EXPECT_EQ(slurp(host_ + "/p1"), "ctr-passwd\n");
  ASSERT_TRUE(
      copy_path(root_, "/d/etc-link/passwd", host_root_, host_ + "/p2", options).has_value());
  EXPECT_EQ(slurp(host_ + "/p2"), "ctr-passwd\n");
  // -L: the target under the link's name.
  options.follow_link = true;
  ASSERT_TRUE(copy_path(root_, "/d/alink", host_root_, host_, options).has_value());
  EXPECT_FALSE(fs::is_symlink(host_ + "/alink"));
  EXPECT_EQ(slurp(host_ + "/alink"), "one\n");
}

TEST_F(ContainerCopyTest, IntoTheContainerStaysInside) {
  ASSERT_TRUE(write_file_atomic(host_ + "/f", "payload\n", 0600).has_value());
  CopyOptions options;
  options.extract.owner = std::make_pair(uid_t{0}, gid_t{0});
  // A destination symlink is followed within the root: /d/etc-link -> the container's /etc.
  ASSERT_TRUE(copy_path(host_root_, host_ + "/f", root_, "/d/etc-link", options).has_value());
  EXPECT_EQ(slurp(ctr_ + "/etc/f"), "payload\n");
  // Parents through a link climbing out stay in the root.
  ASSERT_TRUE(copy_path(host_root_, host_ + "/f", root_, "/d/up/landed", options).has_value());
  EXPECT_EQ(slurp(ctr_ + "/landed"), "payload\n");
  // Errors.
  auto to_file = copy_path(host_root_, host_, root_, "/d/a", options);
  ASSERT_FALSE(to_file.has_value());
  EXPECT_NE(to_file.error().message().find("cannot copy a directory to a file"), std::string::npos);
  auto missing_dir = copy_path(host_root_, host_ + "/f", root_, "/nodir/", options);
  ASSERT_FALSE(missing_dir.has_value());
  EXPECT_NE(missing_dir.error().message().find("must exist"), std::string::npos);
  EXPECT_FALSE(fs::exists(ctr_ + "/nodir"));
  auto no_parent = copy_path(host_root_, host_ + "/f", root_, "/x/y/z", options);
  ASSERT_FALSE(no_parent.has_value());
  EXPECT_NE(no_parent.error().message().find("no such file or directory"), std::string::npos);
  auto no_source = copy_path(root_, "/nope", host_root_, host_ + "/n", options);
  ASSERT_FALSE(no_source.has_value());
  EXPECT_NE(no_source.error().message().find("no such file or directory (in container test)"),
            std::string::npos)
      << no_source.error().message();
}

TEST_F(ContainerCopyTest, TarStreamsRoundTripAndRefuseEscapes) {
  std::string tar = dir_ + "/d.tar";
  {
    UniqueFd out(::open(tar.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    ASSERT_TRUE(copy_to_tar(root_, "/d", out.get(), false).has_value());
  }
  fs::create_directory(host_ + "/x");
  {
    UniqueFd in(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(copy_from_tar(in.get(), host_root_, host_ + "/x", {}).has_value());
  }
  EXPECT_EQ(slurp(host_ + "/x/d/sub/b"), "two\n");
  EXPECT_TRUE(fs::is_symlink(host_ + "/x/d/up"));
  // Not a directory as destination.
  {
    UniqueFd in(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
    auto r = copy_from_tar(in.get(), root_, "/d/a", {});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message().find("must be an existing directory"), std::string::npos);
  }
  // Extracting the same tree again over itself: directories stay, files are replaced.
  {
    UniqueFd in(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(copy_from_tar(in.get(), host_root_, host_ + "/x", {}).has_value());
  }
  // An entry under a symlink the stream itself made leads within the root only.
  std::string hostile = dir_ + "/hostile.tar";
  {
    // d/up -> ../../../../../.. and then d/up/escaped: lands at the root's /escaped.
    UniqueFd out(::open(hostile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    auto writer = TarWriter::open(out.get());
    ASSERT_TRUE(writer.has_value());
    UniqueFd up(::open((ctr_ + "/d/up").c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    ASSERT_TRUE(writer->add(up.get(), "up").has_value());
    UniqueFd a(::open((ctr_ + "/d/a").c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    ASSERT_TRUE(writer->add(a.get(), "up/escaped").has_value());
    ASSERT_TRUE(writer->finish().has_value());
  }
  fs::create_directory(ctr_ + "/in");
  {
    UniqueFd in(::open(hostile.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(copy_from_tar(in.get(), root_, "/in", {}).has_value());
  }
  EXPECT_EQ(slurp(ctr_ + "/escaped"), "one\n");
  EXPECT_FALSE(fs::exists(dir_ + "/escaped"));
  EXPECT_FALSE(fs::exists("/escaped") && slurp("/escaped") == "one\n");
}

}  // namespace
}  // namespace krill::engine
