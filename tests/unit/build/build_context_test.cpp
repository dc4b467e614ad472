#include "build/build_context.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "file_copy_test_helpers.h"

namespace krill::build {
namespace {

using test::lstat_of;
using test::path_exists;
using test::read_text;
using test::TarEntry;
using test::TempDir;
using test::write_tar;
using test::write_text;

Result<BuildContext> context_from_tar_file(const std::string& tar, const std::string& parent) {
  UniqueFd fd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
  return BuildContext::from_tar(fd.get(), parent);
}

bool directory_is_empty(const std::string& dir) {
  return ::rmdir(dir.c_str()) == 0 && ::mkdir(dir.c_str(), 0755) == 0;
}

TEST(BuildContextDirectory, MissingDirectoryIsAnError) {
  TempDir tmp;
  auto context = BuildContext::from_directory(tmp / "nope");
  ASSERT_FALSE(context.has_value());
  EXPECT_EQ(context.error().message(),
            "context directory " + (tmp / "nope") + ": No such file or directory");
}

TEST(BuildContextDirectory, FileInsteadOfDirectoryIsAnError) {
  TempDir tmp;
  write_text(tmp / "file", "x");
  auto context = BuildContext::from_directory(tmp / "file");
  ASSERT_FALSE(context.has_value());
  EXPECT_NE(context.error().message().find("Not a directory"), std::string::npos);
}

TEST(BuildContextDirectory, ReadsDockerignore) {
  TempDir tmp;
  write_text(tmp / ".dockerignore", "*.log\n");
  auto context = BuildContext::from_directory(tmp.path());
  ASSERT_TRUE(context.has_value()) << context.error().message();
  EXPECT_EQ(context->root(), tmp.path());
  EXPECT_TRUE(context->ignore().excluded("a.log"));
}

TEST(BuildContextDirectory, ContainerignoreWinsOverDockerignore) {
  TempDir tmp;
  write_text(tmp / ".dockerignore", "*.log\n");
  write_text(tmp / ".containerignore", "*.tmp\n");
  auto context = BuildContext::from_directory(tmp.path());
  ASSERT_TRUE(context.has_value());
  EXPECT_FALSE(context->ignore().excluded("a.log"));
  EXPECT_TRUE(context->ignore().excluded("a.tmp"));
}

TEST(BuildContextDirectory, MalformedIgnoreFileIsAnError) {
  TempDir tmp;
  write_text(tmp / ".dockerignore", "[a-\n");
  auto context = BuildContext::from_directory(tmp.path());
  ASSERT_FALSE(context.has_value());
  EXPECT_NE(context.error().message().find(".dockerignore"), std::string::npos);
}

TEST(BuildContextDockerfile, DefaultsToDockerfileAndPrefersContainerfile) {
  TempDir tmp;
  write_text(tmp / "Dockerfile", "FROM x\n");
  auto context = BuildContext::from_directory(tmp.path());
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->dockerfile_path("").value_or(""), tmp / "Dockerfile");
  write_text(tmp / "Containerfile", "FROM x\n");
  EXPECT_EQ(context->dockerfile_path("").value_or(""), tmp / "Containerfile");
}

TEST(BuildContextDockerfile, MissingDockerfileIsAnError) {
  TempDir tmp;
  auto context = BuildContext::from_directory(tmp.path());
  ASSERT_TRUE(context.has_value());
  auto path = context->dockerfile_path("");
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error().message(),
            "no Containerfile or Dockerfile specified or found in context " + tmp.path());
}

TEST(BuildContextDockerfile, GivenFileIsAbsoluteOrRelativeToCurrentDirectory) {
  TempDir tmp;
  auto context = BuildContext::from_directory(tmp.path());
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->dockerfile_path("/abs/Dockerfile.dev").value_or(""), "/abs/Dockerfile.dev");
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(context->dockerfile_path("sub/Dockerfile").value_or(""),
            std::string(cwd) + "/sub/Dockerfile");
}

TEST(BuildContextTar, UnpacksFilesKeepingModesAndMtimesButNotOwners) {
  TempDir tmp;
  ::mkdir((tmp / "parent").c_str(), 0755);
  write_tar(tmp / "ctx.tar", {{"Dockerfile", 'f', "FROM scratch\n", 0644, 1234, 1234, 1500000000},
                              {"bin/", 'd', "", 0750, 0, 0, 1400000000},
                              {"bin/run.sh", 'f', "#!/bin/sh\n", 0755, 1234, 1234},
                              {"bin/link", 'l', "run.sh"},
                              {"bin/hard", 'h', "bin/run.sh"},
                              {".dockerignore", 'f', "*.log\n"}});
  std::string root;
  {
    auto context = context_from_tar_file(tmp / "ctx.tar", tmp / "parent");
    ASSERT_TRUE(context.has_value()) << context.error().message();
    root = context->root();
    EXPECT_EQ(root.rfind(tmp / "parent/", 0), 0u);
    EXPECT_EQ(read_text(root + "/Dockerfile"), "FROM scratch\n");
    struct stat st = lstat_of(root + "/Dockerfile");
    EXPECT_EQ(st.st_uid, ::getuid());
    EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
    EXPECT_EQ(lstat_of(root + "/bin/run.sh").st_mode & 07777, 0755u);
    EXPECT_EQ(lstat_of(root + "/bin").st_mode & 07777, 0750u);
    EXPECT_EQ(lstat_of(root + "/bin").st_mtim.tv_sec, 1400000000);
    EXPECT_TRUE(S_ISLNK(lstat_of(root + "/bin/link").st_mode));
    EXPECT_EQ(lstat_of(root + "/bin/hard").st_ino, lstat_of(root + "/bin/run.sh").st_ino);
    EXPECT_TRUE(context->ignore().excluded("x.log"));
    EXPECT_EQ(context->dockerfile_path("").value_or(""), root + "/Dockerfile");
  }
  EXPECT_FALSE(path_exists(root)) << "the temp context must be removed";
}

TEST(BuildContextTar, CompressedArchivesAreDetected) {
  for (const char* filter : {"gzip", "bzip2", "xz", "zstd"}) {
    TempDir tmp;
    write_tar(tmp / "ctx.tar", {{"a.txt", 'f', "hello"}}, filter);
    auto context = context_from_tar_file(tmp / "ctx.tar", tmp.path());
    ASSERT_TRUE(context.has_value()) << filter << ": " << context.error().message();
    EXPECT_EQ(read_text(context->root() + "/a.txt"), "hello") << filter;
  }
}

TEST(BuildContextTar, ReadsFromAPipeLikeStdin) {
  TempDir tmp;
  write_tar(tmp / "ctx.tar", {{"a.txt", 'f', "piped"}}, "gzip");
  std::string bytes = read_text(tmp / "ctx.tar");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fds[1]);
  UniqueFd read_end(fds[0]);
  auto context = BuildContext::from_tar(read_end.get(), tmp.path());
  ASSERT_TRUE(context.has_value()) << context.error().message();
  EXPECT_EQ(read_text(context->root() + "/a.txt"), "piped");
}

TEST(BuildContextTar, WhiteoutNamesArePlainFiles) {
  TempDir tmp;
  write_tar(tmp / "ctx.tar", {{"a", 'f', "1"}, {".wh.a", 'f', "2"}});
  auto context = context_from_tar_file(tmp / "ctx.tar", tmp.path());
  ASSERT_TRUE(context.has_value()) << context.error().message();
  EXPECT_EQ(read_text(context->root() + "/a"), "1");
  EXPECT_EQ(read_text(context->root() + "/.wh.a"), "2");
}

TEST(BuildContextTar, MovedContextKeepsItsDirectory) {
  TempDir tmp;
  write_tar(tmp / "ctx.tar", {{"a", 'f', "1"}});
  auto context = context_from_tar_file(tmp / "ctx.tar", tmp.path());
  ASSERT_TRUE(context.has_value());
  std::string root = context->root();
  {
    BuildContext moved = std::move(*context);
    EXPECT_EQ(read_text(root + "/a"), "1");
  }
  EXPECT_FALSE(path_exists(root));
}

void expect_tar_refused(const std::vector<TarEntry>& entries, const std::string& named) {
  TempDir tmp;
  ::mkdir((tmp / "parent").c_str(), 0755);
  write_tar(tmp / "ctx.tar", entries);
  auto context = context_from_tar_file(tmp / "ctx.tar", tmp / "parent");
  ASSERT_FALSE(context.has_value()) << named;
  EXPECT_NE(context.error().message().find(named), std::string::npos) << context.error().message();
  EXPECT_TRUE(directory_is_empty(tmp / "parent")) << "the temp directory must be removed";
}

TEST(BuildContextTar, DotDotEntryIsRefused) {
  expect_tar_refused({{"a", 'f', "1"}, {"../escaped", 'f', "x"}}, "../escaped");
}

TEST(BuildContextTar, AbsoluteEntryIsRefused) {
  expect_tar_refused({{"/etc/evil", 'f', "x"}}, "/etc/evil");
}

TEST(BuildContextTar, EntryThroughSymlinkLeadingOutIsRefused) {
  TempDir outside;
  expect_tar_refused({{"link", 'l', outside.path()}, {"link/evil", 'f', "x"}}, "link/evil");
  expect_tar_refused({{"up", 'l', "../../../.."}, {"up/evil", 'f', "x"}}, "up/evil");
  EXPECT_FALSE(path_exists(outside / "evil"));
}

TEST(BuildContextTar, HardlinkOutsideIsRefused) {
  expect_tar_refused({{"passwd", 'h', "../../../../etc/passwd"}}, "passwd");
}

TEST(BuildContextTar, GarbageIsAnError) {
  TempDir tmp;
  write_text(tmp / "ctx.tar", std::string(2000, 'z'));
  auto context = context_from_tar_file(tmp / "ctx.tar", tmp.path());
  ASSERT_FALSE(context.has_value());
  EXPECT_NE(context.error().message().find("context archive"), std::string::npos);
}

}  // namespace
}  // namespace krill::build
