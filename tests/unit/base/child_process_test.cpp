#include "base/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace krill {
namespace {

ChildSpec shell(const std::string& script) {
  ChildSpec spec;
  spec.path = "/bin/sh";
  spec.argv = {"sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  return spec;
}

TEST(ChildProcess, EchoesStdinAndSeesOnlyItsEnvironment) {
  ChildSpec spec = shell("cat; printf '[%s]' \"$FOO\"; echo to-stderr >&2");
  spec.env.push_back("FOO=bar");
  spec.stdin_data = "state json\n";
  auto outcome = run_child(spec);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->succeeded()) << outcome->describe();
  EXPECT_EQ(outcome->stdout_text, "state json\n[bar]");
  EXPECT_EQ(outcome->stderr_text, "to-stderr\n");
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_EQ(outcome->exec_errno, 0);
}

TEST(ChildProcess, AChildThatDoesNotReadStdinIsNoError) {
  ChildSpec spec = shell("exec 0<&-; echo done");
  const std::string big(4 << 20, 'x');  // more than a pipe holds
  spec.stdin_data = big;
  auto outcome = run_child(spec);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->succeeded()) << outcome->describe();
  EXPECT_EQ(outcome->stdout_text, "done\n");
}

TEST(ChildProcess, LargeStdinStdoutAndStderrTogetherDoNotDeadlock) {
  // Reads all of stdin while writing megabytes to both outputs (tee: stdin to stdout and stderr).
  ChildSpec spec = shell("tee /dev/stderr; head -c 3000000 /dev/zero >&2");
  const std::string input(2 << 20, 'a');
  spec.stdin_data = input;
  spec.stdout_cap = {16 << 20, OutputCap::Keep::kHead};
  spec.stderr_cap = {64 * 1024, OutputCap::Keep::kTail};
  spec.timeout = std::chrono::seconds(30);
  auto outcome = run_child(spec);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->succeeded()) << outcome->describe();
  EXPECT_EQ(outcome->stdout_text, input);
  EXPECT_FALSE(outcome->stdout_truncated);
  // The tail is kept: at least the limit, at most twice it, all of it the zeros written last.
  EXPECT_GE(outcome->stderr_text.size(), 64u * 1024);
  EXPECT_LE(outcome->stderr_text.size(), 2u * 64 * 1024);
  EXPECT_EQ(outcome->stderr_text.find_first_not_of('\0'), std::string::npos);
}

TEST(ChildProcess, HeadCapTruncates) {
  ChildSpec spec = shell("head -c 100000 /dev/zero");
  spec.stdout_cap = {1000, OutputCap::Keep::kHead};
  auto outcome = run_child(spec);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->succeeded());
  EXPECT_EQ(outcome->stdout_text.size(), 1000u);
  EXPECT_TRUE(outcome->stdout_truncated);
}

TEST(ChildProcess, NonZeroExit) {
  auto outcome = run_child(shell("echo oops >&2; exit 3"));
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->succeeded());
  ASSERT_TRUE(WIFEXITED(outcome->wait_status));
  EXPECT_EQ(WEXITSTATUS(outcome->wait_status), 3);
  EXPECT_EQ(outcome->describe(), "exit status 3");
  EXPECT_EQ(outcome->stderr_text, "oops\n");
}

TEST(ChildProcess, DeathBySignal) {
  auto outcome = run_child(shell("kill -9 $$"));
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->succeeded());
  ASSERT_TRUE(WIFSIGNALED(outcome->wait_status));
  EXPECT_EQ(WTERMSIG(outcome->wait_status), SIGKILL);
  EXPECT_EQ(outcome->describe().rfind("killed by signal 9", 0), 0u) << outcome->describe();
}

TEST(ChildProcess, SignalsAreResetInTheChild) {
  // An ignored SIGTERM here must not stay ignored in the child.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGTERM, &ignore, &old), 0);
  auto outcome = run_child(shell("kill -TERM $$; sleep 5"));
  ::sigaction(SIGTERM, &old, nullptr);
  ASSERT_TRUE(outcome) << outcome.error().message();
  ASSERT_TRUE(WIFSIGNALED(outcome->wait_status)) << outcome->describe();
  EXPECT_EQ(WTERMSIG(outcome->wait_status), SIGTERM);
}

TEST(ChildProcess, TimeoutKills) {
  ChildSpec spec = shell("echo started; exec sleep 30");
  spec.timeout = std::chrono::milliseconds(1500);
  const auto start = std::chrono::steady_clock::now();
  auto outcome = run_child(spec);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_FALSE(outcome->succeeded());
  EXPECT_TRUE(WIFSIGNALED(outcome->wait_status));
  EXPECT_EQ(outcome->stdout_text, "started\n");
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(ChildProcess, AnExitedChildIsNotHeldUpByAnOpenPipe) {
  // A background process keeps stdout open; the child itself exits at once.
  ChildSpec spec = shell("sleep 3 & echo bye");
  const auto start = std::chrono::steady_clock::now();
  auto outcome = run_child(spec);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->succeeded());
  EXPECT_EQ(outcome->stdout_text, "bye\n");
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(ChildProcess, MissingExecutable) {
  ChildSpec spec;
  spec.path = "/nonexistent/krill-no-such-program";
  auto outcome = run_child(spec);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->exec_errno, ENOENT);
  EXPECT_FALSE(outcome->succeeded());
  EXPECT_EQ(outcome->describe(), "exec: No such file or directory");
}

TEST(ChildProcess, OtherFdsDoNotReachTheChild) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int leaky = ::fcntl(fds[0], F_DUPFD, 200);  // no FD_CLOEXEC on purpose
  ASSERT_GE(leaky, 200);
  auto outcome = run_child(shell("ls /proc/self/fd"));
  for (int fd : {fds[0], fds[1], leaky}) ::close(fd);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_NE(outcome->stdout_text.find("2\n"), std::string::npos) << outcome->stdout_text;
  EXPECT_EQ(outcome->stdout_text.find(std::to_string(leaky) + "\n"), std::string::npos)
      << outcome->stdout_text;
}

}  // namespace
}  // namespace krill
