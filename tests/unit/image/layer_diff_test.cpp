#include "image/layer_diff.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image/layer_extract.h"
#include "layer_test_helpers.h"

namespace krill::image {
namespace {

using test::TempDir;

struct TarEntry {
  std::string path;
  mode_t type;
  int64_t mtime;
  std::string hardlink;
  std::vector<std::string> xattrs;
};

std::vector<TarEntry> list_tar(const std::string& tar) {
  std::vector<TarEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry entry{archive_entry_pathname(e),
                   archive_entry_filetype(e),
                   archive_entry_mtime(e),
                   archive_entry_hardlink(e) ? archive_entry_hardlink(e) : "",
                   {}};
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      entry.xattrs.push_back(name);
    }
    out.push_back(entry);
  }
  archive_read_free(a);
  return out;
}

std::vector<std::string> paths_of(const std::vector<TarEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.path);
  return out;
}

void write(const std::string& path, const std::string& content) {
  ASSERT_TRUE(krill::write_file_atomic(path, content, 0644));
}

// An overlay upper dir: a new file, a modified dir with a deleted file (char 0:0), an
// xattr whiteout, an opaque dir, a symlink, a hardlink pair, a user xattr.
void make_upper(const std::string& upper) {
  ASSERT_EQ(mkdir((upper + "/etc").c_str(), 0755), 0);
  write(upper + "/etc/new.conf", "new");
  ASSERT_EQ(mknod((upper + "/etc/deleted").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  write(upper + "/etc/xwhiteout", "");
  ASSERT_EQ(setxattr((upper + "/etc/xwhiteout").c_str(), "user.overlay.whiteout", "y", 1, 0), 0);
  ASSERT_EQ(mkdir((upper + "/opq").c_str(), 0700), 0);
  ASSERT_EQ(setxattr((upper + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  write(upper + "/opq/only", "only");
  ASSERT_EQ(symlink("../etc/new.conf", (upper + "/opq/link").c_str()), 0);
  write(upper + "/a", "hard");
  ASSERT_EQ(link((upper + "/a").c_str(), (upper + "/b").c_str()), 0);
  ASSERT_EQ(setxattr((upper + "/a").c_str(), "user.note", "n", 1, 0), 0);
  ASSERT_EQ(mknod((upper + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
}

TEST(LayerDiff, UpperDirBecomesALayerWithWhiteouts) {
  TempDir base;
  const std::string upper = base / "upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  make_upper(upper);
  UniqueFd out(memfd_create("layer", MFD_CLOEXEC));
  auto result = write_layer_from_upper(upper, out.get(), {.timestamp = 1234567890});
  ASSERT_TRUE(result) << result.error().message();
  const std::string tar = test::read_fd_all(out.get());
  EXPECT_EQ(result->diff_id, test::sha256_of_bytes(tar));
  EXPECT_EQ(result->compressed_digest, result->diff_id);
  EXPECT_EQ(result->uncompressed_size, tar.size());
  EXPECT_EQ(result->compressed_size, tar.size());

  const auto entries = list_tar(tar);
  EXPECT_EQ(paths_of(entries),
            (std::vector<std::string>{".wh.gone", "a", "b", "etc/", "etc/.wh.deleted",
                                      "etc/.wh.xwhiteout", "etc/new.conf", "opq/",
                                      "opq/.wh..wh..opq", "opq/link", "opq/only"}));
  for (const auto& e : entries) {
    EXPECT_EQ(e.mtime, 1234567890) << e.path;
    for (const auto& x : e.xattrs) EXPECT_EQ(x.find("overlay."), std::string::npos) << e.path;
  }
  EXPECT_EQ(entries[2].hardlink, "a");
  EXPECT_EQ(entries[1].xattrs, std::vector<std::string>{"user.note"});
}

TEST(LayerDiff, GzipDeterministicAndRoundTrips) {
  TempDir base;
  const std::string upper = base / "upper", layer = base / "layer";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(layer.c_str(), 0755), 0);
  make_upper(upper);
  UniqueFd first(memfd_create("layer", MFD_CLOEXEC));
  auto r1 = write_layer_from_upper(upper, first.get(), {.gzip = true, .timestamp = 0});
  ASSERT_TRUE(r1) << r1.error().message();
  // Touch everything: with a fixed timestamp the bytes do not change.
  struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  utimensat(AT_FDCWD, (upper + "/etc/new.conf").c_str(), now, 0);
  utimensat(AT_FDCWD, (upper + "/opq").c_str(), now, 0);
  UniqueFd second(memfd_create("layer", MFD_CLOEXEC));
  auto r2 = write_layer_from_upper(upper, second.get(), {.gzip = true, .timestamp = 0});
  ASSERT_TRUE(r2) << r2.error().message();
  const std::string gz = test::read_fd_all(first.get());
  EXPECT_EQ(gz, test::read_fd_all(second.get()));
  EXPECT_EQ(r1->compressed_digest, r2->compressed_digest);
  EXPECT_EQ(r1->compressed_digest, test::sha256_of_bytes(gz));
  EXPECT_EQ(r1->compressed_size, gz.size());
  const std::string tar = test::gunzip_bytes(gz);
  EXPECT_EQ(r1->diff_id, test::sha256_of_bytes(tar));
  EXPECT_EQ(r1->uncompressed_size, tar.size());

  // Extracting it gives the overlay forms back.
  lseek(first.get(), 0, SEEK_SET);
  auto extracted = extract_layer(first.get(), layer, {});
  ASSERT_TRUE(extracted) << extracted.error().message();
  EXPECT_EQ(extracted->diff_id, r1->diff_id);
  EXPECT_EQ(extracted->compressed_digest, r1->compressed_digest);
  struct stat st;
  ASSERT_EQ(lstat((layer + "/etc/deleted").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  ASSERT_EQ(lstat((layer + "/etc/xwhiteout").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  char value[4] = {};
  EXPECT_EQ(getxattr((layer + "/opq").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
  EXPECT_EQ(value[0], 'y');
  ASSERT_EQ(lstat((layer + "/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  ASSERT_EQ(lstat((layer + "/opq").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_mtim.tv_sec, 0);
}

TEST(LayerDiff, GzipOutputIsCleanForGzipAndGnuTar) {
  TempDir base;
  const std::string upper = base / "upper", blob = base / "layer.tgz";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  make_upper(upper);
  UniqueFd out(open(blob.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(write_layer_from_upper(upper, out.get(), {.gzip = true}));
  // gzip -t fails on trailing garbage; tar lists the whiteouts.
  const std::string command =
      "gzip -t " + blob + " && tar -tzf " + blob + " | grep -qx 'opq/.wh..wh..opq'";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(LayerDiff, WithoutTimestampKeepsMtimes) {
  TempDir base;
  const std::string upper = base / "upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  write(upper + "/f", "f");
  struct timespec times[2] = {{1500000000, 0}, {1500000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (upper + "/f").c_str(), times, 0), 0);
  UniqueFd out(memfd_create("layer", MFD_CLOEXEC));
  auto result = write_layer_from_upper(upper, out.get(), {});
  ASSERT_TRUE(result) << result.error().message();
  const auto entries = list_tar(test::read_fd_all(out.get()));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].mtime, 1500000000);
}

TEST(LayerDiff, MissingUpperDirIsAnError) {
  UniqueFd out(memfd_create("layer", MFD_CLOEXEC));
  auto result = write_layer_from_upper("/nonexistent-krill-upper", out.get(), {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("open upper directory /nonexistent-krill-upper"),
            std::string::npos);
}

}  // namespace
}  // namespace krill::image
