#include "base/file_io.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

namespace krill {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-fileio-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }

  std::vector<std::string> entries() {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    return names;
  }

  std::string dir_;
};

TEST_F(TempDir, AtomicWriteThenRead) {
  const std::string path = dir_ + "/state.json";
  ASSERT_TRUE(write_file_atomic(path, "{\"a\":1}"));
  auto content = read_file(path);
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, "{\"a\":1}");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  ASSERT_TRUE(write_file_atomic(path, "second", 0644));
  EXPECT_EQ(*read_file(path), "second");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(entries(), std::vector<std::string>{"state.json"});  // no temporary left
}

TEST_F(TempDir, VolatileAtomicWriteReplacesWithoutTempFiles) {
  const std::string path = dir_ + "/state.json";
  ASSERT_TRUE(write_file_atomic(path, "first", 0600, Durability::kVolatile));
  ASSERT_TRUE(write_file_atomic(path, "second", 0640, Durability::kVolatile));
  EXPECT_EQ(*read_file(path), "second");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(entries(), std::vector<std::string>{"state.json"});
}

TEST_F(TempDir, AtomicWriteFailureLeavesNoTempFileAndKeepsTarget) {
  // The rename fails because the target is a non-empty directory.
  const std::string target = dir_ + "/target";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  ASSERT_TRUE(write_file_atomic(target + "/inner", "x"));
  auto result = write_file_atomic(target, "data");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("rename"), std::string::npos);
  EXPECT_EQ(entries(), std::vector<std::string>{"target"});
}

TEST_F(TempDir, AtomicWriteIntoMissingDirectoryFails) {
  auto result = write_file_atomic(dir_ + "/missing/state.json", "x");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().errno_value(), ENOENT);
  EXPECT_NE(result.error().message().find(dir_ + "/missing/state.json"), std::string::npos);
}

TEST_F(TempDir, ReadMissingFileNamesThePath) {
  auto result = read_file(dir_ + "/nope");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "read " + dir_ + "/nope: No such file or directory");
  EXPECT_EQ(result.error().errno_value(), ENOENT);
}

TEST(FileIo, ReadsProcFilesWithZeroSize) {
  auto content = read_file("/proc/self/stat");
  ASSERT_TRUE(content);
  EXPECT_FALSE(content->empty());
}

TEST_F(TempDir, WriteFileDoesNotCreate) {
  auto result = write_file(dir_ + "/pids.max", "max");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(),
            "write \"max\" to " + dir_ + "/pids.max: No such file or directory");
  ASSERT_TRUE(write_file_atomic(dir_ + "/pids.max", "10"));
  ASSERT_TRUE(write_file(dir_ + "/pids.max", "20"));
  EXPECT_EQ(*read_file(dir_ + "/pids.max"), "20");
}

TEST_F(TempDir, MkdirAllAndRemoveAll) {
  const std::string deep = dir_ + "/a/b/c";
  ASSERT_TRUE(mkdir_all(deep, 0755));
  ASSERT_TRUE(mkdir_all(deep, 0755));  // idempotent
  ASSERT_TRUE(mkdir_all(deep + "/", 0755));
  ASSERT_TRUE(write_file_atomic(deep + "/f", "x"));
  ASSERT_EQ(::symlink("/etc", (dir_ + "/a/link").c_str()), 0);

  auto not_dir = mkdir_all(deep + "/f/g", 0755);
  ASSERT_FALSE(not_dir);
  EXPECT_EQ(not_dir.error().errno_value(), ENOTDIR);

  ASSERT_TRUE(remove_all(dir_ + "/a"));
  EXPECT_TRUE(entries().empty());
  EXPECT_EQ(::access("/etc", F_OK), 0);  // the symlink was removed, not followed
  ASSERT_TRUE(remove_all(dir_ + "/a"));  // already gone
}

TEST(FileIo, Rfc3339NanoLikeGo) {
  EXPECT_EQ(format_rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_nano(1714564984, 123456789), "2024-05-01T12:03:04.123456789Z");
  EXPECT_EQ(format_rfc3339_nano(1714564984, 120000000), "2024-05-01T12:03:04.12Z");
  EXPECT_EQ(format_rfc3339_nano(1714564984, 1), "2024-05-01T12:03:04.000000001Z");
  EXPECT_EQ(format_rfc3339_nano(-1, 0), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339_nano(951782400, 0), "2000-02-29T00:00:00Z");
  const std::string now = rfc3339_nano_now();
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)")))
      << now;
}

TEST(FileIo, ParseRfc3339NanoCarriesLikeTimegm) {
  EXPECT_EQ(parse_rfc3339_nano("2024-05-01T12:03:04.5Z").value(), 1714564984500000000LL);
  EXPECT_EQ(parse_rfc3339_nano("1969-12-31T23:59:59Z").value(), -1000000000LL);
  EXPECT_EQ(parse_rfc3339_nano("2023-02-29T00:00:00Z").value(),
            parse_rfc3339_nano("2023-03-01T00:00:00Z").value());
  EXPECT_EQ(parse_rfc3339_nano("2024-05-01T12:03:60Z").value(),
            parse_rfc3339_nano("2024-05-01T12:04:00Z").value());
}

TEST_F(TempDir, ListDirectoryNamesEveryEntryButDotAndDotDot) {
  ASSERT_TRUE(write_file_atomic(dir_ + "/a", "x"));
  ASSERT_EQ(::mkdir((dir_ + "/sub").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("a", (dir_ + "/link").c_str()), 0);
  auto names = list_directory(dir_);
  ASSERT_TRUE(names) << names.error().message();
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "link", "sub"}));
  auto empty = list_directory(dir_ + "/sub");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_F(TempDir, ListDirectoryOfAMissingOrNonDirectoryPathSaysWhich) {
  auto missing = list_directory(dir_ + "/none");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find(dir_ + "/none"), std::string::npos);
  EXPECT_NE(missing.error().message().find("No such file"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(dir_ + "/file", "x"));
  auto file = list_directory(dir_ + "/file");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("Not a directory"), std::string::npos);
}

}  // namespace
}  // namespace krill
