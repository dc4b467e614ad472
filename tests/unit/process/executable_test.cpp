#include "runtime/process/executable.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "in_child.h"

namespace krill::process {
namespace {

using testing::run_in_child;

// A temporary tree:  bin/tool (0755)  bin/plain (0644)  bin/subdir/  other/tool (0755)
class FindExecutableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krill-process-exec-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);  // other users may traverse it
    ASSERT_EQ(::mkdir((root_ + "/bin").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/bin/subdir").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/other").c_str(), 0755), 0);
    make_file("/bin/tool", 0755);
    make_file("/bin/plain", 0644);
    make_file("/other/tool", 0755);
    make_file("/other/plain", 0755);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!root_.empty()) std::filesystem::remove_all(root_, ignored);
  }
  void make_file(const std::string& relative, mode_t mode) {
    int fd = ::open((root_ + relative).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0);
    ::write(fd, "#!/bin/sh\n", 10);
    ::close(fd);
    ASSERT_EQ(::chmod((root_ + relative).c_str(), mode), 0);
  }
  std::string root_;
};

TEST_F(FindExecutableTest, SearchesPathInOrder) {
  std::vector<std::string> env = {"PATH=/nonexistent:" + root_ + "/bin:" + root_ + "/other"};
  EXPECT_EQ(*find_executable("tool", env, "/"), root_ + "/bin/tool");
  // bin/plain is not executable: the search goes on to other/plain.
  EXPECT_EQ(*find_executable("plain", env, "/"), root_ + "/other/plain");
  // bin/subdir is a directory: skipped, nothing else matches.
  EXPECT_EQ(find_executable("subdir", env, "/").error().message(),
            "exec: \"subdir\": executable file not found in $PATH");
}

TEST_F(FindExecutableTest, TheLastPathEntryInEnvWins) {
  std::vector<std::string> env = {"PATH=" + root_ + "/bin", "TERM=xterm",
                                  "PATH=" + root_ + "/other"};
  EXPECT_EQ(*find_executable("tool", env, "/"), root_ + "/other/tool");
}

TEST_F(FindExecutableTest, NotFoundInPath) {
  std::vector<std::string> env = {"PATH=" + root_ + "/bin"};
  EXPECT_EQ(find_executable("missing", env, "/").error().message(),
            "exec: \"missing\": executable file not found in $PATH");
  EXPECT_EQ(find_executable("plain", env, "/").error().message(),
            "exec: \"plain\": executable file not found in $PATH");
  EXPECT_EQ(find_executable("tool", {"PATH="}, "/").error().message(),
            "exec: \"tool\": executable file not found in $PATH");
  EXPECT_EQ(find_executable("", env, "/").error().message(),
            "exec: \"\": executable file not found in $PATH");
}

TEST_F(FindExecutableTest, PathsWithASlashAreCheckedAsIs) {
  EXPECT_EQ(*find_executable(root_ + "/bin/tool", {}, "/"), root_ + "/bin/tool");
  EXPECT_EQ(find_executable(root_ + "/bin/missing", {}, "/").error().message(),
            "exec: \"" + root_ + "/bin/missing\": stat " + root_ +
                "/bin/missing: no such file or directory");
  EXPECT_EQ(find_executable(root_ + "/bin/plain", {}, "/").error().message(),
            "exec: \"" + root_ + "/bin/plain\": permission denied");
  EXPECT_EQ(find_executable(root_ + "/bin", {}, "/").error().message(),
            "exec: \"" + root_ + "/bin\": permission denied");
  EXPECT_EQ(find_executable("/etc", {}, "/").error().message(),
            "exec: \"/etc\": permission denied");
  EXPECT_EQ(find_executable(root_ + "/bin/tool/x", {}, "/").error().message(),
            "exec: \"" + root_ + "/bin/tool/x\": stat " + root_ + "/bin/tool/x: not a directory");
}

TEST_F(FindExecutableTest, RelativePathsResolveAgainstCwd) {
  EXPECT_EQ(*find_executable("./bin/tool", {}, root_), "./bin/tool");
  EXPECT_EQ(*find_executable("bin/tool", {}, root_), "bin/tool");
  EXPECT_EQ(find_executable("./bin/tool", {}, root_ + "/other").error().message(),
            "exec: \"./bin/tool\": stat ./bin/tool: no such file or directory");
  // Relative and empty PATH entries are relative to cwd too.
  EXPECT_EQ(*find_executable("tool", {"PATH=bin"}, root_), root_ + "/bin/tool");
  EXPECT_EQ(*find_executable("tool", {"PATH=/nonexistent:"}, root_ + "/other"),
            root_ + "/other/./tool");
}

TEST(FindExecutable, DefaultPathWhenEnvHasNone) {
  auto sh = find_executable("sh", {"TERM=xterm"}, "/");
  ASSERT_TRUE(sh) << sh.error().message();
  EXPECT_TRUE(sh->starts_with("/")) << *sh;
  EXPECT_TRUE(sh->ends_with("/sh")) << *sh;
}

TEST_F(FindExecutableTest, NonRootNeedsItsOwnExecuteBit) {
  make_file("/bin/owner-only", 0700);
  std::string root = root_;
  EXPECT_EQ(run_in_child([root] {
              if (::setresuid(1000, 1000, 1000) != 0) return std::string("setresuid");
              auto r = find_executable(root + "/bin/owner-only", {}, "/");
              if (r) return std::string("uid 1000 may run a root-only file");
              return r.error().message() ==
                             "exec: \"" + root + "/bin/owner-only\": permission denied"
                         ? std::string()
                         : "got: " + r.error().message();
            }),
            "");
}

class WorkingDirectoryTest : public FindExecutableTest {};

TEST_F(WorkingDirectoryTest, EntersADirectory) {
  std::string root = root_;
  EXPECT_EQ(run_in_child([root] {
              if (auto r = enter_working_directory(root + "/bin"); !r) return r.error().message();
              char buffer[4096];
              if (::getcwd(buffer, sizeof(buffer)) == nullptr) return std::string("getcwd");
              return std::string(buffer) == root + "/bin" ? std::string() : std::string(buffer);
            }),
            "");
}

TEST_F(WorkingDirectoryTest, ErrorsUseRuncWords) {
  std::string root = root_;
  EXPECT_EQ(run_in_child([root] {
              auto missing = enter_working_directory("/nope");
              if (missing) return std::string("entered /nope");
              if (missing.error().message() !=
                  "chdir to cwd (\"/nope\") set in config.json failed: no such file or directory")
                return "got: " + missing.error().message();
              if (missing.error().errno_value() != ENOENT) return std::string("errno");
              auto file = enter_working_directory(root + "/bin/tool");
              if (file) return std::string("entered a file");
              if (file.error().message() != "chdir to cwd (\"" + root +
                                                "/bin/tool\") set in config.json failed: not a "
                                                "directory")
                return "got: " + file.error().message();
              return std::string();
            }),
            "");
}

}  // namespace
}  // namespace krill::process
