#include "base/program_path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "base/file_io.h"

namespace krill {
namespace {

// Sets $PATH for one test and puts the old value back.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() {
    if (old_)
      ::setenv("PATH", old_->c_str(), 1);
    else
      ::unsetenv("PATH");
  }

 private:
  std::optional<std::string> old_;
};

class ProgramPath : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-program-path-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    ASSERT_EQ(::mkdir((dir_ + "/a").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((dir_ + "/b").c_str(), 0755), 0);
  }
  void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }

  void make_file(const std::string& path, mode_t mode) {
    ASSERT_TRUE(write_file_atomic(path, "#!/bin/sh\n"));
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }

  std::string dir_;
};

TEST_F(ProgramPath, TakesTheFirstExecutableInPathOrder) {
  make_file(dir_ + "/a/tool", 0644);  // not executable: skipped
  make_file(dir_ + "/b/tool", 0755);
  ScopedPath path(dir_ + "/missing::" + dir_ + "/a:" + dir_ + "/b");
  EXPECT_EQ(find_program("tool"), dir_ + "/b/tool");
  make_file(dir_ + "/a/tool", 0755);
  EXPECT_EQ(find_program("tool"), dir_ + "/a/tool");
}

TEST_F(ProgramPath, ANameWithASlashIsTakenAsItIs) {
  EXPECT_EQ(find_program("/no/such/program"), "/no/such/program");
  EXPECT_EQ(find_program("./relative"), "./relative");
}

TEST_F(ProgramPath, MissingProgramsAreEmpty) {
  ScopedPath path(dir_ + "/a");
  EXPECT_EQ(find_program("krill-no-such-program"), "");
  EXPECT_EQ(find_program(""), "");
}

TEST_F(ProgramPath, SbinIsSearchedEvenWhenPathLeavesItOut) {
  // Debian installs iptables, ip and friends in /usr/sbin; a user's PATH often lacks it.
  struct stat st {};
  if (::stat("/usr/sbin/ip", &st) != 0 && ::stat("/sbin/ip", &st) != 0)
    GTEST_SKIP() << "no ip in /usr/sbin or /sbin";
  ScopedPath path(dir_ + "/a");
  std::string found = find_program("ip");
  EXPECT_TRUE(found == "/usr/sbin/ip" || found == "/sbin/ip") << found;
}

TEST_F(ProgramPath, CatatonitIsFoundWhereDebianPutsIt) {
  ScopedPath path(dir_ + "/a");
  std::string found = find_catatonit();
  if (::access("/usr/bin/catatonit", X_OK) == 0 ||
      ::access("/usr/libexec/podman/catatonit", X_OK) == 0)
    EXPECT_FALSE(found.empty());
  else
    EXPECT_EQ(found, "");
  make_file(dir_ + "/a/catatonit", 0755);
  if (found.empty()) EXPECT_EQ(find_catatonit(), dir_ + "/a/catatonit");
}

}  // namespace
}  // namespace krill
