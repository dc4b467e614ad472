#include "image/layer_extract.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstring>

#include "image/layer_compression.h"
#include "layer_test_helpers.h"

namespace krill::image {
namespace {

using test::Attr;
using test::TarBuilder;
using test::TempDir;

std::string compress(const std::string& tar, Compression c) {
  if (c == Compression::kGzip) return test::gzip_bytes(tar);
  if (c == Compression::kZstd) return test::zstd_bytes(tar);
  return tar;
}

Result<ExtractResult> extract_bytes(const std::string& blob, const std::string& dir,
                                    const ExtractOptions& options = {}) {
  UniqueFd fd = test::memfd_with(blob);
  return extract_layer(fd.get(), dir, options);
}

std::string xattr_of(const std::string& path, const std::string& name) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool is_whiteout_device(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

std::string content_of(const std::string& path) {
  auto r = krill::read_file(path);
  return r ? *r : "<unreadable>";
}

// --- compression -------------------------------------------------------------------

TEST(LayerCompression, DetectsMagicNumbers) {
  auto detect = [](std::string bytes) {
    return detect_compression(std::as_bytes(std::span(bytes.data(), bytes.size())));
  };
  EXPECT_EQ(detect(std::string("\x1f\x8b\x08\x00", 4)), Compression::kGzip);
  EXPECT_EQ(detect(std::string("\x28\xb5\x2f\xfd", 4)), Compression::kZstd);
  EXPECT_EQ(detect(std::string("\x50\x2a\x4d\x18", 4)), Compression::kZstd);  // skippable
  EXPECT_EQ(detect("etc/passwd"), Compression::kNone);
  EXPECT_EQ(detect(""), Compression::kNone);
  EXPECT_EQ(detect(std::string("\x28\xb5", 2)), Compression::kNone);
  EXPECT_EQ(detect(test::gzip_bytes("x").substr(0, 4)), Compression::kGzip);
  EXPECT_EQ(detect(test::zstd_bytes("x").substr(0, 4)), Compression::kZstd);
}

// --- round trip --------------------------------------------------------------------

class LayerRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(LayerRoundTrip, PreservesEverythingAndDigests) {
  TempDir dir;
  const std::string tar =
      TarBuilder()
          .dir("./", {.perm = 0751, .mtime = 1600000000})
          .dir("etc", {.perm = 0755, .uid = 0, .gid = 0, .mtime = 1600000001})
          .file("etc/hosts", "127.0.0.1 localhost\n",
                {.perm = 0644, .uid = 1000, .gid = 1001, .mtime = 1600000002, .mtime_nsec = 500})
          .file("/usr/bin/su", "ELF", {.perm = 04755, .mtime = 1600000003})
          .dir("usr/share", {.perm = 02775, .gid = 50, .mtime = 1600000004})
          .dir("tmp", {.perm = 01777, .mtime = 1600000005})
          .symlink("usr/bin/sh", "/bin/busybox", {.uid = 7, .gid = 8, .mtime = 1600000006})
          .hardlink("usr/bin/su2", "usr/bin/su")
          .file("etc/x", "xattrs", {.xattrs = {{"user.krill", "value"}}})
          .file("etc/dup", "first")
          .file("etc/dup", "second")
          .file("./etc/../etc/./dot", "dots")
          .finish();
  const std::string blob = compress(tar, GetParam());
  uint64_t last_progress = 0;
  ExtractOptions options;
  options.progress = [&](uint64_t n) { last_progress = n; };
  auto result = extract_bytes(blob, dir.path(), options);
  ASSERT_TRUE(result) << result.error().message();

  EXPECT_EQ(result->compressed_digest, test::sha256_of_bytes(blob));
  EXPECT_EQ(result->diff_id, test::sha256_of_bytes(tar));
  EXPECT_EQ(result->compressed_size, blob.size());
  EXPECT_EQ(result->uncompressed_size, tar.size());
  EXPECT_EQ(last_progress, blob.size());
  EXPECT_TRUE(result->warnings.empty()) << result->warnings.front();

  struct stat st;
  ASSERT_EQ(lstat((dir / "etc/hosts").c_str(), &st), 0);
  EXPECT_EQ(content_of(dir / "etc/hosts"), "127.0.0.1 localhost\n");
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000002);
  EXPECT_EQ(st.st_mtim.tv_nsec, 500);

  ASSERT_EQ(lstat((dir / "usr/bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_nlink, 2u);
  struct stat st2;
  ASSERT_EQ(lstat((dir / "usr/bin/su2").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);

  ASSERT_EQ(lstat((dir / "usr/share").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02775u);
  EXPECT_EQ(st.st_gid, 50u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000004);
  ASSERT_EQ(lstat((dir / "tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(lstat((dir / "etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000001);  // after its content was written
  ASSERT_EQ(lstat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0751u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  ASSERT_EQ(lstat((dir / "usr").c_str(), &st), 0);  // implicit parent
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  ASSERT_EQ(lstat((dir / "usr/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000006);
  char target[64] = {};
  ASSERT_GT(readlink((dir / "usr/bin/sh").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/bin/busybox");

  EXPECT_EQ(xattr_of(dir / "etc/x", "user.krill"), "value");
  EXPECT_EQ(content_of(dir / "etc/dup"), "second");
  EXPECT_EQ(content_of(dir / "etc/dot"), "dots");
}

INSTANTIATE_TEST_SUITE_P(Layer, LayerRoundTrip,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kZstd),
                         [](const auto& info) {
                           return std::string(compression_name(info.param));
                         });

TEST(LayerExtract, SparseFilesDevicesAndFifos) {
  TempDir dir;
  std::string sparse = "head" + std::string(4 << 20, '\0') + "tail";
  const std::string tar = TarBuilder()
                              .file("sparse", sparse)
                              .device("dev/null", AE_IFCHR, makedev(1, 3), {.perm = 0666})
                              .device("dev/loop9", AE_IFBLK, makedev(7, 9), {.perm = 0660})
                              .fifo("run/fifo", {.perm = 0620, .uid = 5})
                              .finish();
  auto result = extract_bytes(test::gzip_bytes(tar), dir.path());
  ASSERT_TRUE(result) << result.error().message();
  struct stat st;
  ASSERT_EQ(stat((dir / "sparse").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(sparse.size()));
  EXPECT_LT(st.st_blocks * 512, 1 << 20) << "zero blocks should be holes";
  EXPECT_EQ(content_of(dir / "sparse"), sparse);
  ASSERT_EQ(lstat((dir / "dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  ASSERT_EQ(lstat((dir / "dev/loop9").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  ASSERT_EQ(lstat((dir / "run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_EQ(st.st_uid, 5u);
}

TEST(LayerExtract, RootlessSkipsDevicesWithAWarning) {
  TempDir dir;
  const std::string tar = TarBuilder()
                              .device("dev/null", AE_IFCHR, makedev(1, 3))
                              .fifo("fifo")
                              .dir("d")
                              .file("d/.wh..wh..opq", "")
                              .finish();
  ExtractOptions options;
  options.rootless = true;
  auto result = extract_bytes(tar, dir.path(), options);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_FALSE(exists(dir / "dev/null"));
  EXPECT_TRUE(exists(dir / "fifo"));
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_NE(result->warnings[0].find("\"dev/null\": device node skipped"), std::string::npos)
      << result->warnings[0];
  EXPECT_EQ(xattr_of(dir / "d", "user.overlay.opaque"), "y");
  EXPECT_EQ(xattr_of(dir / "d", "trusted.overlay.opaque"), "<none>");
}

TEST(LayerExtract, OverlayXattrsFromTheTarAreRefused) {
  TempDir dir;
  const std::string tar =
      TarBuilder()
          .dir("d", {.perm = 0755, .xattrs = {{"trusted.overlay.redirect", "/etc"}}})
          .finish();
  auto result = extract_bytes(tar, dir.path());
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(xattr_of(dir / "d", "trusted.overlay.redirect"), "<none>");
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_NE(result->warnings[0].find("trusted.overlay.redirect ignored"), std::string::npos);
}

TEST(LayerExtract, GnuTarAndGzipFromTheCommandLine) {
  TempDir base;
  const std::string src = base / "src", dst = base / "dst", blob = base / "layer.tgz";
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(dst.c_str(), 0755), 0);
  ASSERT_TRUE(krill::write_file_atomic(src + "/f", std::string(100000, 'q'), 0640));
  ASSERT_EQ(symlink("f", (src + "/l").c_str()), 0);
  ASSERT_EQ(link((src + "/f").c_str(), (src + "/h").c_str()), 0);
  const std::string command =
      "tar --format=gnu --numeric-owner -C " + src + " -cf - . | gzip -9 > " + blob;
  ASSERT_EQ(std::system(command.c_str()), 0);
  UniqueFd fd(open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  auto result = extract_layer(fd.get(), dst, {});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->compressed_digest, test::sha256_of_bytes(content_of(blob)));
  EXPECT_EQ(content_of(dst + "/f"), std::string(100000, 'q'));
  EXPECT_EQ(content_of(dst + "/l"), std::string(100000, 'q'));
  struct stat st;
  ASSERT_EQ(lstat((dst + "/h").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

// --- malicious layers --------------------------------------------------------------

class LayerMalicious : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(krill::write_file_atomic(base_ / "sentinel", "original", 0644));
    ASSERT_EQ(mkdir(target_.c_str(), 0755), 0);
    passwd_before_ = content_of("/etc/passwd");
  }
  // The host is untouched: the sentinel and /etc/passwd are as they were, and the
  // base directory holds only the sentinel and the layer dir.
  void ExpectHostUntouched() {
    EXPECT_EQ(content_of(base_ / "sentinel"), "original");
    // Other tests running meanwhile may add or remove their test user (a last line): what a
    // layer would write through an escape is neither.
    const std::string passwd_now = content_of("/etc/passwd");
    EXPECT_TRUE(passwd_now.starts_with(passwd_before_) || passwd_before_.starts_with(passwd_now))
        << passwd_now;
    EXPECT_FALSE(exists(base_ / "x"));
    EXPECT_FALSE(exists(base_ / ".wh.sentinel"));
    EXPECT_FALSE(exists("/x-krill-layer-test"));
  }
  std::string Fails(const std::string& blob, ExtractOptions options = {}) {
    auto result = extract_bytes(blob, target_, options);
    if (result) return "<succeeded>";
    return result.error().message();
  }
  TempDir base_;
  std::string target_ = base_ / "layer";
  std::string passwd_before_;
};

TEST_F(LayerMalicious, DotDotEscape) {
  auto error = Fails(TarBuilder().file("../x", "evil").finish());
  EXPECT_NE(error.find("layer entry \"../x\": path escapes the layer"), std::string::npos) << error;
  error = Fails(TarBuilder().file("a/../../sentinel", "evil").finish());
  EXPECT_NE(error.find("path escapes the layer"), std::string::npos) << error;
  ExpectHostUntouched();
}

TEST_F(LayerMalicious, AbsolutePathsAreMadeRelative) {
  auto error = Fails(TarBuilder().file("/abs/../../x", "evil").finish());
  EXPECT_NE(error.find("layer entry \"/abs/../../x\": path escapes the layer"), std::string::npos)
      << error;
  auto ok = extract_bytes(TarBuilder().file("/x-krill-layer-test", "inside").finish(), target_);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(content_of(target_ + "/x-krill-layer-test"), "inside");
  ExpectHostUntouched();
}

TEST_F(LayerMalicious, SymlinkParentsAreNeverFollowed) {
  auto error =
      Fails(TarBuilder().symlink("a", "/etc").file("a/passwd", "root::0:0::/:/bin/sh\n").finish());
  EXPECT_NE(error.find("layer entry \"a/passwd\": parent \"a\" is a symlink"), std::string::npos)
      << error;
  error = Fails(TarBuilder().symlink("b", base_.path()).file("b/sentinel", "evil").finish());
  EXPECT_NE(error.find("is a symlink"), std::string::npos) << error;
  // A chain of relative symlinks climbing out.
  error = Fails(TarBuilder()
                    .dir("d")
                    .symlink("d/up", "..")
                    .symlink("d/up2", "up/..")
                    .file("d/up2/sentinel", "evil")
                    .finish());
  EXPECT_NE(error.find("parent \"d/up2\" is a symlink"), std::string::npos) << error;
  error = Fails(TarBuilder().symlink("l", "..").file("l/x", "evil").finish());
  EXPECT_NE(error.find("is a symlink"), std::string::npos) << error;
  // A symlink replacing a directory does not redirect later entries either.
  error =
      Fails(TarBuilder().dir("e").symlink("e", "/").file("e/x-krill-layer-test", "evil").finish());
  EXPECT_NE(error.find("is a symlink"), std::string::npos) << error;
  ExpectHostUntouched();
}

TEST_F(LayerMalicious, SymlinksThemselvesAreCreatedAsIs) {
  // Replacing a symlink with a file writes the file, not through the link.
  auto ok = extract_bytes(
      TarBuilder().symlink("s", base_ / "sentinel").file("s", "replaced").finish(), target_);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(content_of(target_ + "/s"), "replaced");
  ExpectHostUntouched();
}

TEST_F(LayerMalicious, HardlinksToOutside) {
  auto error = Fails(TarBuilder().hardlink("p", "/etc/passwd").finish());
  EXPECT_NE(error.find("layer entry \"p\": hardlink target \"/etc/passwd\" is not in the layer"),
            std::string::npos)
      << error;
  error = Fails(TarBuilder().hardlink("q", "../sentinel").finish());
  EXPECT_NE(error.find("hardlink target \"../sentinel\" escapes the layer"), std::string::npos)
      << error;
  error = Fails(TarBuilder().symlink("l", "/etc").hardlink("r", "l/passwd").finish());
  EXPECT_NE(error.find("is not in the layer"), std::string::npos) << error;
  ExpectHostUntouched();
}

TEST_F(LayerMalicious, WhiteoutsNamingOutsidePaths) {
  auto error = Fails(TarBuilder().file("../.wh.sentinel", "").finish());
  EXPECT_NE(error.find("layer entry \"../.wh.sentinel\": path escapes the layer"),
            std::string::npos)
      << error;
  error = Fails(TarBuilder().file("../x/.wh.y", "").finish());
  EXPECT_NE(error.find("path escapes the layer"), std::string::npos) << error;
  error = Fails(TarBuilder().file(".wh...", "").finish());
  EXPECT_NE(error.find("path escapes the layer"), std::string::npos) << error;
  ExpectHostUntouched();
}

TEST_F(LayerMalicious, DecompressionBomb) {
  const std::string tar = TarBuilder().file("big", std::string(8 << 20, 'a')).finish();
  ExtractOptions options;
  options.max_uncompressed_bytes = 1 << 20;
  for (auto c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    TempDir fresh;
    auto result = extract_bytes(compress(tar, c), fresh.path(), options);
    ASSERT_FALSE(result);
    EXPECT_NE(
        result.error().message().find("layer exceeds the limit of 1048576 bytes uncompressed"),
        std::string::npos)
        << result.error().message();
  }
  options.max_uncompressed_bytes = 9 << 20;
  EXPECT_EQ(Fails(test::gzip_bytes(tar), options), "<succeeded>");
  ExpectHostUntouched();
}

TEST(LayerExtract, TruncatedInputIsAClearError) {
  const std::string tar = TarBuilder().file("a", std::string(200000, 'x')).file("b", "b").finish();
  const std::string gz = test::gzip_bytes(tar);
  const std::string zst = test::zstd_bytes(tar);
  struct Case {
    std::string blob, expected;
  } cases[] = {
      {gz.substr(0, gz.size() / 2), "truncated gzip layer"},
      {gz.substr(0, gz.size() - 4), "truncated gzip layer"},
      {zst.substr(0, zst.size() / 2), "truncated zstd layer"},
      {zst.substr(0, zst.size() - 1), "truncated zstd layer"},
      {tar.substr(0, 100000), "Truncated tar archive"},
      {"", "layer is empty"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    auto result = extract_bytes(c.blob, dir.path());
    ASSERT_FALSE(result) << c.expected;
    EXPECT_NE(result.error().message().find(c.expected), std::string::npos)
        << result.error().message();
  }
}

// --- whiteouts ---------------------------------------------------------------------

TEST(LayerWhiteouts, BecomeOverlayWhiteoutsAndHideLowerFiles) {
  TempDir base;
  const std::string l1 = base / "l1", l2 = base / "l2", mnt = base / "mnt";
  for (const auto& d : {l1, l2, mnt}) ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  auto r1 = extract_bytes(test::gzip_bytes(TarBuilder()
                                               .file("a/file1", "1")
                                               .file("a/file2", "2")
                                               .file("b/c", "c")
                                               .file("d/x", "x")
                                               .file("e/old", "old")
                                               .finish()),
                          l1);
  ASSERT_TRUE(r1) << r1.error().message();
  auto r2 = extract_bytes(test::zstd_bytes(TarBuilder()
                                               .file("a/.wh.file1", "")
                                               .file(".wh.b", "")
                                               .file("d/y", "y")
                                               .file("d/.wh..wh..opq", "")
                                               .file("f", "same layer")
                                               .file(".wh.f", "")
                                               .file(".wh.e", "")
                                               .file("e/new", "new")
                                               .finish()),
                          l2);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_TRUE(is_whiteout_device(l2 + "/a/file1"));
  EXPECT_TRUE(is_whiteout_device(l2 + "/b"));
  EXPECT_FALSE(exists(l2 + "/a/.wh.file1"));
  EXPECT_FALSE(exists(l2 + "/.wh.b"));
  EXPECT_EQ(xattr_of(l2 + "/d", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(exists(l2 + "/d/.wh..wh..opq"));
  EXPECT_EQ(content_of(l2 + "/f"), "same layer");  // a whiteout applies to lower layers only
  EXPECT_EQ(xattr_of(l2 + "/e", "trusted.overlay.opaque"), "y");  // deleted, then recreated

  const std::string visible = test::overlay_visibility(
      {l2, l1}, {"a/file1", "a/file2", "b", "b/c", "d/x", "d/y", "f", "e/old", "e/new"}, mnt);
  EXPECT_EQ(visible, "010001101");
}

TEST(LayerWhiteouts, RootlessWhiteoutsWorkWithUserxattrOverlay) {
  TempDir base;
  const std::string l1 = base / "l1", l2 = base / "l2", mnt = base / "mnt";
  for (const auto& d : {l1, l2, mnt}) ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  ExtractOptions rootless;
  rootless.rootless = true;
  ASSERT_TRUE(extract_bytes(
      TarBuilder().file("a/1", "1").file("a/2", "2").file("d/x", "x").finish(), l1, rootless));
  auto r2 = extract_bytes(
      TarBuilder().file("a/.wh.1", "").file("d/.wh..wh..opq", "").file("d/y", "y").finish(), l2,
      rootless);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(xattr_of(l2 + "/d", "user.overlay.opaque"), "y");
  EXPECT_EQ(test::overlay_visibility({l2, l1}, {"a/1", "a/2", "d/x", "d/y"}, mnt, true), "0101");
}

TEST(LayerWhiteouts, XattrWhiteoutFormHidesLowerFiles) {
  // The form used rootless when mknod 0:0 is refused, built directly.
  TempDir base;
  const std::string l1 = base / "l1", l2 = base / "l2", mnt = base / "mnt";
  for (const auto& d : {l1, l2, l2 + "/a", mnt}) ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  ASSERT_TRUE(extract_bytes(TarBuilder().file("a/1", "1").file("a/2", "2").finish(), l1));
  UniqueFd a(open((l2 + "/a").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(mknodat(a.get(), "1", S_IFREG | 0644, 0), 0);
  ASSERT_EQ(fsetxattr(a.get(), "user.overlay.opaque", "x", 1, 0), 0);
  UniqueFd one(openat(a.get(), "1", O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(fsetxattr(one.get(), "user.overlay.whiteout", "y", 1, 0), 0);
  EXPECT_EQ(test::overlay_visibility({l2, l1}, {"a/1", "a/2"}, mnt, true), "01");
}

// --- streaming ---------------------------------------------------------------------

TEST(LayerStreaming, PipeFromAWriterChildWithBoundedMemory) {
  TempDir dir;
  constexpr size_t kFileSize = 50 << 20;  // 4 files: 200 MiB of tar
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_filter_option(a, "gzip", "compression-level", "1");
    archive_write_set_format_pax_restricted(a);
    archive_write_open_fd(a, fds[1]);
    std::string chunk(1 << 20, '\0');
    for (int f = 0; f < 4; ++f) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, ("big" + std::to_string(f)).c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, kFileSize);
      archive_write_header(a, e);
      archive_entry_free(e);
      for (size_t off = 0; off < kFileSize; off += chunk.size()) {
        std::snprintf(chunk.data(), 32, "file %d offset %zu", f, off);  // sparse-ish
        archive_write_data(a, chunk.data(), chunk.size());
      }
    }
    archive_write_close(a);
    archive_write_free(a);
    _exit(0);
  }
  close(fds[1]);
  UniqueFd read_end(fds[0]);
  // Extract in a second child, so that its peak RSS is its own, not the test runner's.
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  pid_t extractor = fork();
  ASSERT_GE(extractor, 0);
  if (extractor == 0) {
    close(report[0]);
    ExtractOptions options;
    uint64_t progress_calls = 0;
    options.progress = [&](uint64_t) { ++progress_calls; };
    auto result = extract_layer(read_end.get(), dir.path(), options);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    std::string line = result ? "ok " + std::to_string(result->uncompressed_size) + " " +
                                    std::to_string(progress_calls) + " " +
                                    std::to_string(usage.ru_maxrss)
                              : "error " + result.error().message();
    (void)!write(report[1], line.data(), line.size());
    _exit(0);
  }
  close(report[1]);
  read_end.reset();
  UniqueFd report_fd(report[0]);
  const std::string line = test::read_fd_all(report_fd.get());
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(status, 0);
  waitpid(extractor, &status, 0);
  unsigned long long size = 0, calls = 0, maxrss_kib = 0;
  ASSERT_EQ(std::sscanf(line.c_str(), "ok %llu %llu %llu", &size, &calls, &maxrss_kib), 3) << line;
  EXPECT_GT(size, 4 * kFileSize);
  EXPECT_GT(calls, 1u);
  EXPECT_LT(maxrss_kib, 50u * 1024) << "peak RSS of the extraction in KiB";
  struct stat st;
  ASSERT_EQ(stat((dir / "big3").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kFileSize));
  std::printf("streamed %llu bytes, peak RSS %llu KiB\n", size, maxrss_kib);
}

}  // namespace
}  // namespace krill::image
