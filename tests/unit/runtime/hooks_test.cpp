#include "runtime/hooks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "base/file_io.h"

namespace krill::runtime {
namespace {

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-hooks-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }

  // A hook running `script` with /bin/sh -c.
  static oci::Hook shell(const std::string& script, std::vector<std::string> env = {}) {
    oci::Hook hook;
    hook.path = "/bin/sh";
    hook.args = {"sh", "-c", script};
    hook.env = std::move(env);
    return hook;
  }

  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::string contents(const std::string& name) const {
    auto text = read_file(file(name));
    return text ? *text : "<missing>";
  }

  std::string dir_;
};

const std::string kState =
    R"({"ociVersion":"1.3.0","id":"c1","status":"creating","pid":42,"bundle":"/b"})";

TEST_F(HooksTest, StateArrivesOnStdin) {
  ASSERT_TRUE(run_hooks({shell("/bin/cat > " + file("state"))}, kState, "createRuntime", ""));
  EXPECT_EQ(contents("state"), kState);
}

TEST_F(HooksTest, ArgsAndEnvAreExact) {
  oci::Hook hook = shell("/usr/bin/tr '\\0' '\\n' < /proc/$$/cmdline > " + file("argv") +
                             "; /usr/bin/tr '\\0' '\\n' < /proc/$$/environ > " + file("env"),
                         {"A=1", "B=two words", "EMPTY="});
  hook.args[0] = "custom-argv0";
  hook.args.push_back("zero");
  hook.args.push_back("two words");
  ASSERT_TRUE(run_hooks({hook}, kState, "prestart", ""));
  EXPECT_EQ(contents("argv"), "custom-argv0\n-c\n" + hook.args[2] + "\nzero\ntwo words\n");
  EXPECT_EQ(contents("env"), "A=1\nB=two words\nEMPTY=\n");
}

TEST_F(HooksTest, EmptyArgsUseThePathAndEmptyEnvIsEmpty) {
  // A script whose argv[0] comes from the path; it records its environment.
  const std::string script = file("hook.sh");
  ASSERT_TRUE(write_file_atomic(script,
                                "#!/bin/sh\n/usr/bin/tr '\\0' '\\n' < /proc/$$/environ > " +
                                    file("env") + "\necho \"$0\" > " + file("argv0") + "\n",
                                0755));
  oci::Hook hook;
  hook.path = script;
  ASSERT_TRUE(run_hooks({hook}, kState, "poststart", ""));
  EXPECT_EQ(contents("argv0"), script + "\n");
  EXPECT_EQ(contents("env"), "");
}

TEST_F(HooksTest, TimeoutKillsAndReports) {
  oci::Hook hook;
  hook.path = "/bin/sleep";
  hook.args = {"sleep", "30"};
  hook.timeout = 1;
  const auto start = std::chrono::steady_clock::now();
  auto result = run_hooks({hook}, kState, "createRuntime", "");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "createRuntime hook #1 (/bin/sleep) timed out after 1s");
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
}

TEST_F(HooksTest, NonZeroExitReportsLastStderrLineAndStops) {
  oci::Hook ok = shell("exit 0");
  oci::Hook failing = shell("echo first >&2; echo 'last line' >&2; echo out; exit 3");
  oci::Hook never = shell("/usr/bin/touch " + file("ran"));
  auto result = run_hooks({ok, failing, never}, kState, "poststart", "");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "poststart hook #2 (/bin/sh): exit status 3: last line");
  EXPECT_EQ(::access(file("ran").c_str(), F_OK), -1);
}

TEST_F(HooksTest, SignalAndExecFailures) {
  auto killed = run_hooks({shell("kill -9 $$")}, kState, "createContainer", "");
  ASSERT_FALSE(killed);
  EXPECT_EQ(
      killed.error().message().rfind("createContainer hook #1 (/bin/sh): killed by signal 9", 0),
      0u)
      << killed.error().message();

  oci::Hook missing;
  missing.path = file("does-not-exist");
  auto not_found = run_hooks({missing}, kState, "startContainer", "");
  ASSERT_FALSE(not_found);
  EXPECT_EQ(not_found.error().message(),
            "startContainer hook #1 (" + missing.path + "): exec: No such file or directory");
}

TEST_F(HooksTest, HookThatIgnoresALargeStateDoesNotHurtTheRuntime) {
  const std::string big_state(4 * 1024 * 1024, 'x');
  ASSERT_TRUE(run_hooks({shell("exit 0")}, big_state, "prestart", ""));
  // And one that reads only part of it.
  ASSERT_TRUE(run_hooks({shell("/usr/bin/head -c 10 > /dev/null")}, big_state, "prestart", ""));
}

TEST_F(HooksTest, BackgroundChildHoldingOutputDoesNotBlock) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_hooks({shell("/bin/sleep 3 & exit 0")}, kState, "poststop", ""));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(HooksTest, ReapsOnlyItsOwnChild) {
  pid_t other = ::fork();
  ASSERT_GE(other, 0);
  if (other == 0) ::_exit(7);
  ::usleep(50 * 1000);  // let it become a zombie
  ASSERT_TRUE(run_hooks({shell("exit 0"), shell("exit 0")}, kState, "createRuntime", ""));
  int status = 0;
  ASSERT_EQ(::waitpid(other, &status, 0), other);
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST_F(HooksTest, OnlyStandardFdsReachTheHook) {
  // Deliberately not O_CLOEXEC, at a number the shell will not use itself.
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null_fd, 0);
  int leaky = ::fcntl(null_fd, F_DUPFD, 77);
  ::close(null_fd);
  ASSERT_EQ(leaky, 77);
  ASSERT_TRUE(run_hooks({shell("/bin/ls /proc/self/fd/ > " + file("fds") + "; exit 0")}, kState,
                        "prestart", ""));
  ::close(leaky);
  const std::string fds = contents("fds");
  EXPECT_EQ(fds.rfind("0\n1\n2\n", 0), 0u) << fds;
  EXPECT_EQ(fds.find("77"), std::string::npos) << fds;
}

TEST_F(HooksTest, BestEffortRunsAllAndCollectsWarnings) {
  auto warnings = run_hooks_best_effort(
      {shell("echo boom >&2; exit 1"), shell("/usr/bin/touch " + file("second")), shell("exit 2")},
      kState, "poststop", "");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], "poststop hook #1 (/bin/sh): exit status 1: boom");
  EXPECT_EQ(warnings[1], "poststop hook #3 (/bin/sh): exit status 2");
  EXPECT_EQ(::access(file("second").c_str(), F_OK), 0);
  EXPECT_TRUE(run_hooks_best_effort({}, kState, "poststop", "").empty());
}

TEST_F(HooksTest, RunsInTheGivenDirectory) {
  ASSERT_TRUE(run_hooks({shell("/bin/pwd > " + file("cwd"))}, kState, "prestart", dir_));
  EXPECT_EQ(contents("cwd"), dir_ + "\n");
  // Empty: the caller's directory.
  char own[4096];
  ASSERT_NE(::getcwd(own, sizeof own), nullptr);
  ASSERT_TRUE(run_hooks({shell("/bin/pwd > " + file("cwd"))}, kState, "prestart", ""));
  EXPECT_EQ(contents("cwd"), std::string(own) + "\n");
}

TEST_F(HooksTest, MissingDirectoryIsAnErrorAndNothingRuns) {
  auto result = run_hooks({shell("/usr/bin/touch " + file("ran"))}, kState, "poststart",
                          dir_ + "/missing");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(),
            "poststart hook #1 (/bin/sh): chdir to " + dir_ + "/missing: No such file or directory");
  EXPECT_NE(::access(file("ran").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace krill::runtime
