#include "monitor/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace krill::monitor {
namespace {

// ChildReaper blocks SIGCHLD and friends; put the mask back for the other tests.
class SignalMaskGuard {
 public:
  SignalMaskGuard() { ::sigprocmask(SIG_SETMASK, nullptr, &saved_); }
  ~SignalMaskGuard() {
    ::sigprocmask(SIG_SETMASK, &saved_, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
  }

 private:
  sigset_t saved_{};
};

TEST(MonitorChildProcess, ExitCodes) {
  EXPECT_EQ(exit_code_from_status(3 << 8), 3);  // exited with 3
  EXPECT_EQ(exit_code_from_status(SIGKILL), 137);
  EXPECT_EQ(exit_code_from_status(SIGTERM), 143);
}

TEST(MonitorChildProcess, SpawnWithStdioAndWait) {
  SignalMaskGuard guard;
  auto reaper = ChildReaper::open();
  ASSERT_TRUE(reaper) << reaper.error().message();
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  auto pid = spawn_process({"sh", "-c", "echo to-out; echo to-err >&2; read x; exit 5"}, -1, out[1],
                           out[1]);
  ::close(out[1]);
  ASSERT_TRUE(pid) << pid.error().message();
  auto status = reaper->wait_for(*pid, 10000);
  ASSERT_TRUE(status.has_value());
  // stdin was /dev/null, so `read` hit EOF at once.
  EXPECT_EQ(exit_code_from_status(*status), 5);
  std::string text(256, '\0');
  ssize_t n = ::read(out[0], text.data(), text.size());
  ::close(out[0]);
  ASSERT_GT(n, 0);
  text.resize(n);
  EXPECT_EQ(text, "to-out\nto-err\n");
  // The status was taken: nothing left for that pid.
  EXPECT_FALSE(reaper->take_status(*pid).has_value());
}

TEST(MonitorChildProcess, WaitTimesOutAndMissingProgramExits127) {
  SignalMaskGuard guard;
  auto reaper = ChildReaper::open();
  ASSERT_TRUE(reaper);
  auto sleeper = spawn_process({"sleep", "10"}, -1, -1, -1);
  ASSERT_TRUE(sleeper);
  EXPECT_FALSE(reaper->wait_for(*sleeper, 100).has_value());
  ::kill(*sleeper, SIGKILL);
  auto status = reaper->wait_for(*sleeper, 10000);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code_from_status(*status), 137);

  auto missing = spawn_process({"/nonexistent/program"}, -1, -1, -1);
  ASSERT_TRUE(missing);
  status = reaper->wait_for(*missing, 10000);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code_from_status(*status), 127);
}

}  // namespace
}  // namespace krill::monitor
