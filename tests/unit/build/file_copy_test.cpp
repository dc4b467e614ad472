#include "build/file_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "file_copy_test_helpers.h"

namespace krill::build {
namespace {

using test::lstat_of;
using test::path_exists;
using test::read_text;
using test::TempDir;
using test::write_tar;
using test::write_text;

// A context directory and an empty rootfs, each in the test's own temp dir.
class FileCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(ctx().c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(rootfs().c_str(), 0755), 0);
  }
  std::string ctx() const { return tmp_ / "ctx"; }
  std::string rootfs() const { return tmp_ / "rootfs"; }
  std::string in_ctx(const std::string& rel) const { return ctx() + "/" + rel; }
  std::string in_rootfs(const std::string& rel) const { return rootfs() + "/" + rel; }

  CopyRequest request(std::vector<std::string> sources, std::string destination) const {
    CopyRequest r;
    r.source_root = ctx();
    r.sources = std::move(sources);
    r.destination = std::move(destination);
    return r;
  }

  Result<void> copy(const CopyRequest& r) { return copy_into_rootfs(r, rootfs()); }

  std::string copy_error(const CopyRequest& r) {
    auto result = copy(r);
    return result ? std::string("<no error>") : result.error().message();
  }

  TempDir tmp_;
};

void set_mtime(const std::string& path, time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

TEST_F(FileCopy, FileToFilePathCreatesParents) {
  write_text(in_ctx("a.txt"), "hello");
  ASSERT_TRUE(copy(request({"a.txt"}, "/opt/app/b.txt")));
  EXPECT_EQ(read_text(in_rootfs("opt/app/b.txt")), "hello");
  struct stat parent = lstat_of(in_rootfs("opt/app"));
  EXPECT_EQ(parent.st_mode & 07777, 0755u);
  EXPECT_EQ(parent.st_uid, 0u);
}

TEST_F(FileCopy, FileToDirectoryWithTrailingSlashKeepsBasename) {
  write_text(in_ctx("a.txt"), "hello");
  ASSERT_TRUE(copy(request({"a.txt"}, "/dest/")));
  EXPECT_EQ(read_text(in_rootfs("dest/a.txt")), "hello");
}

TEST_F(FileCopy, FileToExistingDirectoryGoesInside) {
  write_text(in_ctx("a.txt"), "hello");
  ASSERT_EQ(::mkdir(in_rootfs("existing").c_str(), 0755), 0);
  ASSERT_TRUE(copy(request({"a.txt"}, "/existing")));
  EXPECT_EQ(read_text(in_rootfs("existing/a.txt")), "hello");
}

TEST_F(FileCopy, RelativeDestinationIsRelativeToWorkdir) {
  write_text(in_ctx("a.txt"), "hello");
  CopyRequest r = request({"a.txt"}, ".");
  r.workdir = "/app";
  ASSERT_TRUE(copy(r));
  EXPECT_EQ(read_text(in_rootfs("app/a.txt")), "hello");
  r.destination = "sub/b.txt";
  ASSERT_TRUE(copy(r));
  EXPECT_EQ(read_text(in_rootfs("app/sub/b.txt")), "hello");
}

TEST_F(FileCopy, DirectorySourceCopiesItsContents) {
  write_text(in_ctx("src/a.txt"), "a");
  write_text(in_ctx("src/deep/b.txt"), "b");
  ASSERT_TRUE(copy(request({"src"}, "/app")));
  EXPECT_EQ(read_text(in_rootfs("app/a.txt")), "a");
  EXPECT_EQ(read_text(in_rootfs("app/deep/b.txt")), "b");
  EXPECT_FALSE(path_exists(in_rootfs("app/src")));
}

TEST_F(FileCopy, WholeContextWithDot) {
  write_text(in_ctx("a.txt"), "a");
  write_text(in_ctx("d/b.txt"), "b");
  ASSERT_TRUE(copy(request({"."}, "/")));
  EXPECT_EQ(read_text(in_rootfs("a.txt")), "a");
  EXPECT_EQ(read_text(in_rootfs("d/b.txt")), "b");
}

TEST_F(FileCopy, OwnershipIsRootByDefaultAndChownWhenGiven) {
  write_text(in_ctx("a.txt"), "a");
  ASSERT_EQ(::chown(in_ctx("a.txt").c_str(), 1000, 1000), 0);
  ASSERT_TRUE(copy(request({"a.txt"}, "/a.txt")));
  EXPECT_EQ(lstat_of(in_rootfs("a.txt")).st_uid, 0u);
  EXPECT_EQ(lstat_of(in_rootfs("a.txt")).st_gid, 0u);
  CopyRequest r = request({"a.txt"}, "/owned/a.txt");
  r.uid = 1234;
  r.gid = 5678;
  ASSERT_TRUE(copy(r));
  EXPECT_EQ(lstat_of(in_rootfs("owned/a.txt")).st_uid, 1234u);
  EXPECT_EQ(lstat_of(in_rootfs("owned/a.txt")).st_gid, 5678u);
  EXPECT_EQ(lstat_of(in_rootfs("owned")).st_uid, 1234u) << "parents created belong to --chown";
}

TEST_F(FileCopy, ModesAndMtimesAreKept) {
  write_text(in_ctx("d/run.sh"), "#!/bin/sh", 04755);
  ASSERT_EQ(::chmod(in_ctx("d/run.sh").c_str(), 04755), 0);
  ASSERT_EQ(::chmod(in_ctx("d").c_str(), 0710), 0);
  set_mtime(in_ctx("d/run.sh"), 1500000000);
  set_mtime(in_ctx("d"), 1400000000);
  ASSERT_TRUE(copy(request({"."}, "/x/")));
  EXPECT_EQ(lstat_of(in_rootfs("x/d/run.sh")).st_mode & 07777, 04755u);
  EXPECT_EQ(lstat_of(in_rootfs("x/d/run.sh")).st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(lstat_of(in_rootfs("x/d")).st_mode & 07777, 0710u);
  EXPECT_EQ(lstat_of(in_rootfs("x/d")).st_mtim.tv_sec, 1400000000);
}

TEST_F(FileCopy, ChmodAppliesToFilesAndDirectories) {
  write_text(in_ctx("d/a.txt"), "a", 0600);
  CopyRequest r = request({"."}, "/x/");
  r.mode = 0750;
  ASSERT_TRUE(copy(r));
  EXPECT_EQ(lstat_of(in_rootfs("x/d/a.txt")).st_mode & 07777, 0750u);
  EXPECT_EQ(lstat_of(in_rootfs("x/d")).st_mode & 07777, 0750u);
}

TEST_F(FileCopy, HardlinksStayHardlinks) {
  write_text(in_ctx("d/a"), "same");
  ASSERT_EQ(::link(in_ctx("d/a").c_str(), in_ctx("d/b").c_str()), 0);
  ASSERT_TRUE(copy(request({"d"}, "/x")));
  EXPECT_EQ(lstat_of(in_rootfs("x/a")).st_ino, lstat_of(in_rootfs("x/b")).st_ino);
  EXPECT_EQ(read_text(in_rootfs("x/b")), "same");
}

TEST_F(FileCopy, SymlinksInsideDirectoriesAreCopiedAsSymlinks) {
  write_text(in_ctx("d/a"), "a");
  ASSERT_EQ(::symlink("a", in_ctx("d/link").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", in_ctx("d/abs").c_str()), 0);
  ASSERT_TRUE(copy(request({"d"}, "/x")));
  char target[256] = {};
  ASSERT_GT(::readlink(in_rootfs("x/link").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "a");
  EXPECT_TRUE(S_ISLNK(lstat_of(in_rootfs("x/abs")).st_mode));
}

TEST_F(FileCopy, SymlinkGivenAsSourceIsFollowedInsideTheContext) {
  write_text(in_ctx("real.txt"), "real");
  ASSERT_EQ(::symlink("real.txt", in_ctx("link.txt").c_str()), 0);
  ASSERT_EQ(::symlink("/real.txt", in_ctx("abslink.txt").c_str()), 0);
  ASSERT_TRUE(copy(request({"link.txt", "abslink.txt"}, "/x/")));
  EXPECT_TRUE(S_ISREG(lstat_of(in_rootfs("x/link.txt")).st_mode));
  EXPECT_EQ(read_text(in_rootfs("x/link.txt")), "real");
  EXPECT_EQ(read_text(in_rootfs("x/abslink.txt")), "real") << "absolute links resolve in root";
}

TEST_F(FileCopy, WildcardsMatchPerSegment) {
  write_text(in_ctx("a.txt"), "a");
  write_text(in_ctx("b.txt"), "b");
  write_text(in_ctx("c.md"), "c");
  write_text(in_ctx("sub/d.txt"), "d");
  ASSERT_TRUE(copy(request({"*.txt"}, "/w/")));
  EXPECT_EQ(read_text(in_rootfs("w/a.txt")), "a");
  EXPECT_EQ(read_text(in_rootfs("w/b.txt")), "b");
  EXPECT_FALSE(path_exists(in_rootfs("w/c.md")));
  EXPECT_FALSE(path_exists(in_rootfs("w/d.txt")));
  ASSERT_TRUE(copy(request({"s?b/*.txt"}, "/w2/")));
  EXPECT_EQ(read_text(in_rootfs("w2/d.txt")), "d");
}

TEST_F(FileCopy, WildcardMatchingSeveralFilesMakesTheDestinationADirectory) {
  write_text(in_ctx("a.txt"), "a");
  write_text(in_ctx("b.txt"), "b");
  ASSERT_TRUE(copy(request({"*.txt"}, "/w")));
  EXPECT_EQ(read_text(in_rootfs("w/a.txt")), "a");
}

TEST_F(FileCopy, WildcardMatchingNothingIsAnError) {
  EXPECT_EQ(copy_error(request({"*.none"}, "/w/")), "COPY failed: no source files were specified");
}

TEST_F(FileCopy, MissingSourceIsAnError) {
  EXPECT_EQ(copy_error(request({"a.txt"}, "/")),
            "COPY failed: file not found in build context or excluded by .dockerignore: stat "
            "a.txt: file does not exist");
}

TEST_F(FileCopy, InstructionNameIsUsedInMessages) {
  CopyRequest r = request({"a.txt"}, "/");
  r.instruction = "ADD";
  EXPECT_EQ(copy_error(r).rfind("ADD failed: ", 0), 0u);
}

TEST_F(FileCopy, SeveralSourcesNeedADirectoryDestination) {
  write_text(in_ctx("a"), "a");
  write_text(in_ctx("b"), "b");
  EXPECT_EQ(copy_error(request({"a", "b"}, "/d")),
            "COPY failed: copying several sources requires the destination /d to end with /");
  EXPECT_FALSE(path_exists(in_rootfs("d")));
  ASSERT_TRUE(copy(request({"a", "b"}, "/d/")));
  EXPECT_EQ(read_text(in_rootfs("d/b")), "b");
}

TEST_F(FileCopy, IgnoredSourceIsNotFound) {
  write_text(in_ctx("secret.key"), "k");
  IgnoreMatcher ignore = IgnoreMatcher::parse("*.key\n").value();
  CopyRequest r = request({"secret.key"}, "/");
  r.ignore = &ignore;
  EXPECT_NE(copy_error(r).find("excluded by .dockerignore: stat secret.key"), std::string::npos);
}

TEST_F(FileCopy, IgnoredFilesInsideDirectoriesAreSkipped) {
  write_text(in_ctx("app/main.py"), "m");
  write_text(in_ctx("app/debug.log"), "l");
  write_text(in_ctx("docs/a.md"), "a");
  write_text(in_ctx("docs/keep.md"), "k");
  IgnoreMatcher ignore = IgnoreMatcher::parse("**/*.log\ndocs\n!docs/keep.md\n").value();
  CopyRequest r = request({"."}, "/x/");
  r.ignore = &ignore;
  ASSERT_TRUE(copy(r));
  EXPECT_TRUE(path_exists(in_rootfs("x/app/main.py")));
  EXPECT_FALSE(path_exists(in_rootfs("x/app/debug.log")));
  EXPECT_FALSE(path_exists(in_rootfs("x/docs/a.md")));
  EXPECT_EQ(read_text(in_rootfs("x/docs/keep.md")), "k");
}

TEST_F(FileCopy, ExcludedDirectoryWithReincludedFileCanBeASource) {
  write_text(in_ctx("docs/a.md"), "a");
  write_text(in_ctx("docs/keep.md"), "k");
  write_text(in_ctx("other/x.md"), "x");
  IgnoreMatcher ignore = IgnoreMatcher::parse("docs\nother\n!docs/keep.md\n").value();
  CopyRequest r = request({"docs"}, "/d/");
  r.ignore = &ignore;
  ASSERT_TRUE(copy(r)) << copy_error(r);
  EXPECT_EQ(read_text(in_rootfs("d/keep.md")), "k");
  EXPECT_FALSE(path_exists(in_rootfs("d/a.md")));
  r.sources = {"other"};
  EXPECT_NE(copy_error(r).find("excluded by .dockerignore"), std::string::npos);
}

TEST_F(FileCopy, ExcludeFlagSkipsMatchingFiles) {
  write_text(in_ctx("a.txt"), "a");
  write_text(in_ctx("b.tmp"), "b");
  write_text(in_ctx("sub/c.tmp"), "c");
  CopyRequest r = request({"."}, "/x/");
  r.excludes = {"*.tmp", "sub"};
  ASSERT_TRUE(copy(r));
  EXPECT_TRUE(path_exists(in_rootfs("x/a.txt")));
  EXPECT_FALSE(path_exists(in_rootfs("x/b.tmp")));
  EXPECT_FALSE(path_exists(in_rootfs("x/sub")));
}

TEST_F(FileCopy, AbsoluteSymlinkInContextIsResolvedInsideIt) {
  ASSERT_EQ(::symlink("/etc", in_ctx("escape").c_str()), 0);
  std::string error = copy_error(request({"escape/passwd"}, "/x"));
  EXPECT_NE(error.find("file not found"), std::string::npos) << error;
  EXPECT_FALSE(path_exists(in_rootfs("x")));
  ASSERT_EQ(::mkdir(in_ctx("etc").c_str(), 0755), 0);
  write_text(in_ctx("etc/passwd"), "context passwd");
  ASSERT_TRUE(copy(request({"escape/passwd"}, "/x")));
  EXPECT_EQ(read_text(in_rootfs("x")), "context passwd");
}

TEST_F(FileCopy, RelativeSymlinkLeadingOutIsAnError) {
  ASSERT_EQ(::symlink("../../..", in_ctx("up").c_str()), 0);
  EXPECT_EQ(copy_error(request({"up"}, "/x/")),
            "COPY failed: source up escapes the build context through a symlink");
  EXPECT_EQ(copy_error(request({"up/etc/passwd"}, "/x/")),
            "COPY failed: source up/etc/passwd escapes the build context through a symlink");
  EXPECT_FALSE(path_exists(in_rootfs("x")));
}

TEST_F(FileCopy, SymlinksOutInsideCopiedDirectoriesAreNotFollowed) {
  ASSERT_EQ(::mkdir(in_ctx("d").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/etc", in_ctx("d/etc").c_str()), 0);
  ASSERT_EQ(::symlink("../../..", in_ctx("d/up").c_str()), 0);
  ASSERT_TRUE(copy(request({"d"}, "/x")));
  EXPECT_TRUE(S_ISLNK(lstat_of(in_rootfs("x/etc")).st_mode));
  EXPECT_TRUE(S_ISLNK(lstat_of(in_rootfs("x/up")).st_mode));
}

TEST_F(FileCopy, DestinationSymlinkToHostIsContainedInRootfs) {
  TempDir host;
  write_text(in_ctx("a.txt"), "payload");
  // An image whose /etc points to a host path, absolutely and relatively.
  ASSERT_EQ(::symlink(host.path().c_str(), in_rootfs("abs").c_str()), 0);
  ASSERT_EQ(::symlink(("../../../../../.." + host.path()).c_str(), in_rootfs("rel").c_str()), 0);
  ASSERT_TRUE(copy(request({"a.txt"}, "/abs/")));
  ASSERT_TRUE(copy(request({"a.txt"}, "/rel/b.txt")));
  EXPECT_FALSE(path_exists(host / "a.txt"));
  EXPECT_FALSE(path_exists(host / "b.txt"));
  EXPECT_EQ(read_text(in_rootfs(host.path().substr(1) + "/a.txt")), "payload");
  EXPECT_EQ(read_text(in_rootfs(host.path().substr(1) + "/b.txt")), "payload");
}

TEST_F(FileCopy, DestinationFileThatIsASymlinkToHostIsReplacedNotFollowed) {
  TempDir host;
  write_text(host / "victim", "original");
  write_text(in_ctx("a.txt"), "payload");
  ASSERT_EQ(::symlink((host / "victim").c_str(), in_rootfs("target").c_str()), 0);
  ASSERT_TRUE(copy(request({"a.txt"}, "/target")));
  EXPECT_EQ(read_text(host / "victim"), "original");
}

TEST_F(FileCopy, ExistingFileIsReplaced) {
  write_text(in_rootfs("a.txt"), "old");
  write_text(in_ctx("a.txt"), "new");
  ASSERT_TRUE(copy(request({"a.txt"}, "/a.txt")));
  EXPECT_EQ(read_text(in_rootfs("a.txt")), "new");
}

TEST_F(FileCopy, AddExtractsLocalArchives) {
  write_tar(in_ctx("app.tar.gz"),
            {{"top/", 'd', "", 0755}, {"top/f.txt", 'f', "inside", 0640, 42, 43}}, "gzip");
  CopyRequest r = request({"app.tar.gz"}, "/opt/");
  r.instruction = "ADD";
  r.extract_archives = true;
  ASSERT_TRUE(copy(r)) << copy_error(r);
  EXPECT_EQ(read_text(in_rootfs("opt/top/f.txt")), "inside");
  EXPECT_EQ(lstat_of(in_rootfs("opt/top/f.txt")).st_mode & 07777, 0640u);
  EXPECT_EQ(lstat_of(in_rootfs("opt/top/f.txt")).st_uid, 42u) << "the tar's owners are kept";
  EXPECT_FALSE(path_exists(in_rootfs("opt/app.tar.gz")));
}

TEST_F(FileCopy, AddArchiveCannotEscapeTheRootfs) {
  TempDir host;
  write_tar(in_ctx("evil.tar"),
            {{"../../../../../../../../" + host.path().substr(1) + "/dotdot", 'f', "x"}});
  CopyRequest r = request({"evil.tar"}, "/");
  r.extract_archives = true;
  EXPECT_FALSE(copy(r));
  ASSERT_EQ(::symlink(host.path().c_str(), in_rootfs("hostlink").c_str()), 0);
  write_tar(in_ctx("link.tar"), {{"hostlink/through", 'f', "x"}});
  r.sources = {"link.tar"};
  (void)copy(r);  // resolved inside the rootfs: lands below rootfs/<host path>
  EXPECT_FALSE(path_exists(host / "dotdot"));
  EXPECT_FALSE(path_exists(host / "through"));
}

TEST_F(FileCopy, CopyDoesNotExtractArchives) {
  write_tar(in_ctx("app.tar"), {{"f.txt", 'f', "inside"}});
  ASSERT_TRUE(copy(request({"app.tar"}, "/opt/")));
  EXPECT_TRUE(path_exists(in_rootfs("opt/app.tar")));
  EXPECT_FALSE(path_exists(in_rootfs("opt/f.txt")));
}

TEST_F(FileCopy, AddOfANonArchiveCopiesTheFile) {
  write_text(in_ctx("plain.gz"), "not really gzip");
  CopyRequest r = request({"plain.gz"}, "/opt/");
  r.extract_archives = true;
  ASSERT_TRUE(copy(r));
  EXPECT_EQ(read_text(in_rootfs("opt/plain.gz")), "not really gzip");
}

TEST_F(FileCopy, SourceRootOfAnotherStageResolvesLeadingSlash) {
  write_text(in_ctx("usr/lib/tool"), "binary");
  ASSERT_EQ(::mkdir(in_ctx("usr/bin").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/usr/lib/tool", in_ctx("usr/bin/tool").c_str()), 0);
  ASSERT_TRUE(copy(request({"/usr/bin/tool"}, "/bin/")));
  EXPECT_EQ(read_text(in_rootfs("bin/tool")), "binary");
}

TEST(FileCopyDigest, SameContentSameDigestChangesWithContentNotMtime) {
  TempDir tmp;
  write_text(tmp / "ctx/a.txt", "a");
  write_text(tmp / "ctx/d/b.txt", "b");
  CopyRequest r;
  r.source_root = tmp / "ctx";
  r.sources = {"a.txt", "d"};
  r.destination = "/x/";
  auto first = sources_digest(r);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->rfind("sha256:", 0), 0u);
  EXPECT_EQ(first->size(), 7u + 64u);
  set_mtime(tmp / "ctx/d/b.txt", 1000);
  EXPECT_EQ(sources_digest(r).value_or(""), *first);
  write_text(tmp / "ctx/d/b.txt", "B");
  EXPECT_NE(sources_digest(r).value_or(""), *first);
}

TEST(FileCopyDigest, ModeChangeChangesDigestAndMissingSourceIsAnError) {
  TempDir tmp;
  write_text(tmp / "ctx/a.txt", "a");
  CopyRequest r;
  r.source_root = tmp / "ctx";
  r.sources = {"a.txt"};
  auto first = sources_digest(r);
  ASSERT_TRUE(first.has_value());
  ::chmod((tmp / "ctx/a.txt").c_str(), 0600);
  EXPECT_NE(sources_digest(r).value_or(""), *first);
  r.sources = {"missing"};
  EXPECT_FALSE(sources_digest(r).has_value());
}

// `python3 -m http.server` on 127.0.0.1 and an ephemeral port, serving `dir`.
class LocalHttpServer {
 public:
  explicit LocalHttpServer(const std::string& dir) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      if (::chdir(dir.c_str()) != 0) ::_exit(127);
      ::execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    port_ = read_port(out[0]);
    ::close(out[0]);
  }
  ~LocalHttpServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }

 private:
  // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
  static int read_port(int fd) {
    std::string text;
    char c;
    while (text.find(" (") == std::string::npos && ::read(fd, &c, 1) == 1) text += c;
    size_t at = text.find(" port ");
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 6);
  }
  pid_t pid_ = -1;
  int port_ = 0;
};

class FileCopyDownload : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("no_proxy", "127.0.0.1", 1);
    ::setenv("NO_PROXY", "127.0.0.1", 1);
    write_text(tmp_ / "www/file.txt", "downloaded content");
    set_mtime(tmp_ / "www/file.txt", 1600000000);
    server_ = std::make_unique<LocalHttpServer>(tmp_ / "www");
    ASSERT_GT(server_->port(), 0);
  }
  TempDir tmp_;
  std::unique_ptr<LocalHttpServer> server_;
};

TEST_F(FileCopyDownload, DownloadsIntoA0600FileAndReturnsLastModified) {
  std::string target = tmp_ / "out";
  auto modified = download_url(server_->url("file.txt"), target, "");
  ASSERT_TRUE(modified.has_value()) << modified.error().message();
  EXPECT_EQ(read_text(target), "downloaded content");
  EXPECT_EQ(lstat_of(target).st_mode & 07777, 0600u);
  ASSERT_TRUE(modified->has_value());
  EXPECT_EQ(**modified, 1600000000);
}

TEST_F(FileCopyDownload, MatchingChecksumIsAccepted) {
  std::string target = tmp_ / "out";
  // sha256("downloaded content")
  FILE* pipe = ::popen("printf 'downloaded content' | sha256sum", "r");
  ASSERT_NE(pipe, nullptr);
  char hex[65] = {};
  ASSERT_EQ(::fread(hex, 1, 64, pipe), 64u);
  ::pclose(pipe);
  auto result = download_url(server_->url("file.txt"), target, "sha256:" + std::string(hex));
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(read_text(target), "downloaded content");
}

TEST_F(FileCopyDownload, ChecksumMismatchIsAnErrorAndRemovesTheFile) {
  std::string target = tmp_ / "out";
  auto result = download_url(server_->url("file.txt"), target, "sha256:" + std::string(64, '0'));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("checksum mismatch"), std::string::npos);
  EXPECT_NE(result.error().message().find(server_->url("file.txt")), std::string::npos);
  EXPECT_FALSE(path_exists(target));
}

TEST_F(FileCopyDownload, HttpErrorStatusIsAnErrorAndRemovesTheFile) {
  std::string target = tmp_ / "out";
  auto result = download_url(server_->url("missing.txt"), target, "");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("HTTP status 404"), std::string::npos);
  EXPECT_FALSE(path_exists(target));
}

}  // namespace
}  // namespace krill::build
