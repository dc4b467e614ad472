#include "runtime/process/environment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace krill::process {
namespace {

using ::testing::ElementsAre;

class EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krill-process-passwd-XXXXXX";
    int fd = ::mkstemp(pattern);
    ASSERT_GE(fd, 0);
    passwd_ = pattern;
    std::string content =
        "root:x:0:0:root:/root:/bin/sh\n"
        "# a comment\n"
        "broken-line\n"
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
        "shadow-alice:x:1000:1000::/home/other:/bin/sh\n"
        "nohome:x:1001:1001::";
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  void TearDown() override {
    if (!passwd_.empty()) ::unlink(passwd_.c_str());
  }
  std::string passwd_;
};

TEST_F(EnvironmentTest, KeepsOrderAndAddsHomeFromPasswd) {
  auto env = build_environment({"PATH=/usr/bin:/bin", "TERM=xterm"}, 1000, passwd_);
  ASSERT_TRUE(env) << env.error().message();
  EXPECT_THAT(*env, ElementsAre("PATH=/usr/bin:/bin", "TERM=xterm", "HOME=/home/alice"));
}

TEST_F(EnvironmentTest, ExistingHomeIsKept) {
  auto env = build_environment({"HOME=/custom", "A=1"}, 0, passwd_);
  ASSERT_TRUE(env);
  EXPECT_THAT(*env, ElementsAre("HOME=/custom", "A=1"));
}

TEST_F(EnvironmentTest, HomeFallsBackToRoot) {
  EXPECT_THAT(*build_environment({}, 4242, passwd_), ElementsAre("HOME=/"));
  EXPECT_THAT(*build_environment({}, 1001, passwd_), ElementsAre("HOME=/"));  // empty field
  EXPECT_THAT(*build_environment({}, 0, "/nonexistent/passwd"), ElementsAre("HOME=/"));
  EXPECT_THAT(*build_environment({}, 0, passwd_), ElementsAre("HOME=/root"));
}

TEST_F(EnvironmentTest, LaterDuplicatesWinInTheFirstPosition) {
  auto env = build_environment({"A=1", "B=2", "A=3", "C=", "B=4"}, 0, passwd_);
  ASSERT_TRUE(env);
  EXPECT_THAT(*env, ElementsAre("A=3", "B=4", "C=", "HOME=/root"));
}

TEST_F(EnvironmentTest, ValuesMayContainEquals) {
  auto env = build_environment({"OPTS=a=b=c", "HOME=/h"}, 0, passwd_);
  ASSERT_TRUE(env);
  EXPECT_THAT(*env, ElementsAre("OPTS=a=b=c", "HOME=/h"));
}

TEST_F(EnvironmentTest, RejectsMalformedEntries) {
  EXPECT_EQ(build_environment({"A=1", "NOVALUE"}, 0, passwd_).error().message(),
            "invalid environment variable \"NOVALUE\": missing '='");
  EXPECT_EQ(build_environment({"=x"}, 0, passwd_).error().message(),
            "invalid environment variable \"=x\": name cannot be empty");
  EXPECT_EQ(build_environment({std::string("A=b\0c", 5)}, 0, passwd_).error().message(),
            "invalid environment variable \"A\": contains a NUL byte");
}

TEST_F(EnvironmentTest, HomeFromPasswdTakesTheFirstEntry) {
  EXPECT_EQ(home_from_passwd(1000, passwd_), "/home/alice");
  EXPECT_EQ(home_from_passwd(1, passwd_), "/usr/sbin");
  EXPECT_EQ(home_from_passwd(77, passwd_), "");
}

TEST_F(EnvironmentTest, NameFromPasswdTakesTheFirstEntry) {
  EXPECT_EQ(name_from_passwd(0, passwd_), "root");
  EXPECT_EQ(name_from_passwd(1000, passwd_), "alice");
  EXPECT_EQ(name_from_passwd(77, passwd_), std::nullopt);
  EXPECT_EQ(name_from_passwd(0, passwd_ + ".missing"), std::nullopt);
}

}  // namespace
}  // namespace krill::process
