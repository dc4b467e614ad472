// The interactive verbs through a real pseudo-terminal, as a user at a terminal types them:
// `attach` and its detach keys, `run -it` detached and re-attached, `exec -it`; then `logs -f`,
// `--since` and `--tail`, and `run --rm` clients that go away before their container ends.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "engine_test_support.h"
#include "ship_harness.h"

namespace krill::it {
namespace {

using namespace std::chrono_literals;
using Args = std::vector<std::string>;

// `krill ARGS...` on the slave side of a new pty, read and written through the master.
class PtyClient {
 public:
  PtyClient(const EngineEnv& env, const Args& args) {
    Args argv = env.global_args();  // krill and its --root and --runroot
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    struct winsize size = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      ::execv(c_argv[0], c_argv.data());
      ::_exit(127);
    }
    if (pid_ > 0) ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  }
  ~PtyClient() {
    if (pid_ > 0 && exit_code_ == kRunning) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  PtyClient(const PtyClient&) = delete;
  PtyClient& operator=(const PtyClient&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void type(const std::string& keys) const {
    ssize_t written = ::write(master_, keys.data(), keys.size());
    EXPECT_EQ(written, static_cast<ssize_t>(keys.size()));
  }
  // Reads until `text` has appeared in everything read so far (true), or the timeout.
  bool expect(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !read_some(left)) return output_.find(text) != std::string::npos;
    }
    return true;
  }
  // Waits for the client to exit; its exit code (128+N for a signal), -1 on timeout.
  int wait(std::chrono::milliseconds timeout = 15s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (exit_code_ == kRunning && std::chrono::steady_clock::now() < deadline) {
      read_some(50ms);  // keep the pty drained so that the client never blocks writing
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_)
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    while (read_some(0ms)) {
    }
    return exit_code_ == kRunning ? -1 : exit_code_;
  }
  const std::string& output() const { return output_; }

 private:
  bool read_some(std::chrono::milliseconds timeout) {
    struct pollfd pfd = {.fd = master_, .events = POLLIN, .revents = 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(master_, buffer, sizeof buffer);
    if (n <= 0) return false;  // EIO once the slave side is closed
    output_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  static constexpr int kRunning = -1000;
  pid_t pid_ = -1;
  int master_ = -1;
  int exit_code_ = kRunning;
  std::string output_;
};

constexpr const char* kCtrlP = "\x10";
constexpr const char* kCtrlQ = "\x11";

std::string status_of(const EngineEnv& env, const std::string& name) {
  return env.inspect(name, "{{.State.Status}}");
}

TEST(EngineAttach, AttachTypesIntoATtyContainerAndDetaches) {
  EngineEnv env;
  auto run = env.krill({"run", "-dit", "--name", "shell", EngineEnv::kImage, "sh"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  {
    PtyClient attach(env, {"attach", "shell"});
    ASSERT_TRUE(attach.started());
    attach.type("echo sum-$((20+22))\r");
    EXPECT_TRUE(attach.expect("sum-42")) << attach.output();
    attach.type(std::string(kCtrlP) + kCtrlQ);
    EXPECT_EQ(attach.wait(), 0) << attach.output();
  }
  EXPECT_EQ(status_of(env, "shell"), "running");
  {
    // Other keys, chosen per attach; the default pair no longer detaches.
    PtyClient attach(env, {"attach", "--detach-keys", "ctrl-a,x", "shell"});
    attach.type("echo again-$((1+1))\r");
    EXPECT_TRUE(attach.expect("again-2")) << attach.output();
    attach.type("\x01x");
    EXPECT_EQ(attach.wait(), 0) << attach.output();
  }
  EXPECT_EQ(status_of(env, "shell"), "running");
  auto bad_keys = env.krill({"attach", "--detach-keys", "ctrl-", "shell"});
  EXPECT_EQ(bad_keys.exit_code, 125) << bad_keys.describe();
  EXPECT_NE(bad_keys.err.find("invalid detach keys"), std::string::npos) << bad_keys.describe();
  {
    PtyClient attach(env, {"attach", "shell"});
    attach.type("exit 3\r");
    EXPECT_EQ(attach.wait(), 3) << attach.output();  // the container's exit code
  }
  EXPECT_EQ(env.inspect("shell", "{{.State.Status}} {{.State.ExitCode}}"), "exited 3");

  auto stopped = env.krill({"attach", "shell"});
  EXPECT_EQ(stopped.exit_code, 125) << stopped.describe();
  auto unknown = env.krill({"attach", "no-such-container"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
  EXPECT_NE(unknown.err.find("no-such-container"), std::string::npos) << unknown.describe();
}

TEST(EngineAttach, RunItDetachesAndReattaches) {
  EngineEnv env;
  {
    PtyClient run(env, {"run", "-it", "--name", "it", "--detach-keys", "ctrl-x", EngineEnv::kImage,
                        "sh"});
    run.type("tty; echo cols=$(stty size 2>/dev/null || echo ?)\r");
    EXPECT_TRUE(run.expect("/dev/pts/0")) << run.output();
    run.type("\x18");
    EXPECT_EQ(run.wait(), 0) << run.output();
  }
  EXPECT_EQ(status_of(env, "it"), "running");
  PtyClient attach(env, {"attach", "it"});
  attach.type("exit 5\r");
  EXPECT_EQ(attach.wait(), 5) << attach.output();
}

TEST(EngineAttach, AttachWithoutATtyCarriesStdinAndStdout) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "-i", "--name", "echoer", EngineEnv::kImage, "sh", "-c",
                        "while read line; do echo echo-$line; done; echo eof; exit 4"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  CommandOptions input;
  input.stdin_data = "one\ntwo\n";
  auto attach = env.krill({"attach", "echoer"}, input);
  // stdin's end closes the container's: its loop ends, and attach returns its exit code.
  EXPECT_EQ(attach.exit_code, 4) << attach.describe();
  EXPECT_EQ(attach.out, "echo-one\necho-two\neof\n");
  // Detach keys work without a tty too: read from stdin.
  auto again = env.krill({"run", "-d", "-i", "--name", "cat", EngineEnv::kImage, "cat"});
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  CommandOptions keys;
  keys.stdin_data = std::string("hello\n") + kCtrlP + kCtrlQ;
  keys.timeout = 20s;
  auto detached = env.krill({"attach", "cat"}, keys);
  EXPECT_EQ(detached.exit_code, 0) << detached.describe();
  EXPECT_EQ(status_of(env, "cat"), "running");
  EXPECT_TRUE(env.krill({"rm", "-f", "-t", "0", "cat"}).ok());
}

TEST(EngineAttach, ExecItRunsInATerminal) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "box", EngineEnv::kImage, "sleep", "100"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  {
    PtyClient exec(env, {"exec", "-it", "box", "sh", "-c", "tty; read x; echo got-$x; exit 6"});
    EXPECT_TRUE(exec.expect("/dev/pts/")) << exec.output();
    exec.type("abc\r");
    EXPECT_TRUE(exec.expect("got-abc")) << exec.output();
    EXPECT_EQ(exec.wait(), 6) << exec.output();
  }
  {
    // Without -t: no terminal, though krill's own stdin is one.
    PtyClient exec(env, {"exec", "-i", "box", "sh", "-c", "tty; exit 0"});
    EXPECT_TRUE(exec.expect("not a tty")) << exec.output();
    EXPECT_EQ(exec.wait(), 0) << exec.output();
  }
  EXPECT_TRUE(env.krill({"rm", "-f", "-t", "0", "box"}).ok());
}

TEST(EngineLogs, FollowSinceAndTail) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "talker", EngineEnv::kImage, "sh", "-c",
                        "for i in 1 2 3 4 5; do echo early-$i; done; sleep 2; echo late; "
                        "read never_comes"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  ASSERT_TRUE(eventually([&] { return env.krill({"logs", "talker"}).out.find("early-5") !=
                                      std::string::npos; }));
  // A time between the two bursts: the container sleeps two seconds after the first.
  std::this_thread::sleep_for(500ms);
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", std::gmtime(&seconds));
  char since[48];
  std::snprintf(since, sizeof since, "%s.%03dZ", stamp, static_cast<int>(millis.count()));

  TempDir dir("follow");
  Args follow = env.global_args();
  follow.insert(follow.end(), {"logs", "-f", "talker"});
  ship::BackgroundProcess follower(follow, {}, dir.path() + "/out");
  std::string banner = ship::wait_for_banner(dir.path() + "/out", "late", 15s);
  EXPECT_NE(read_file(dir.path() + "/out").find("early-1\n"), std::string::npos);
  EXPECT_NE(read_file(dir.path() + "/out").find("late\n"), std::string::npos);
  // -f ends by itself when the container does.
  EXPECT_TRUE(env.krill({"stop", "-t", "0", "talker"}).ok());
  EXPECT_EQ(follower.wait(10s), 0) << read_file(dir.path() + "/out");

  EXPECT_EQ(env.krill({"logs", "--tail", "2", "talker"}).out, "early-5\nlate\n");
  EXPECT_EQ(env.krill({"logs", "-n", "0", "talker"}).out, "");
  EXPECT_EQ(env.krill({"logs", "--tail", "all", "talker"}).out.size(),
            env.krill({"logs", "talker"}).out.size());
  EXPECT_EQ(env.krill({"logs", "--since", since, "talker"}).out, "late\n");
  EXPECT_EQ(env.krill({"logs", "--since", "1h", "talker"}).out.find("early-1"), 0u);
  EXPECT_EQ(env.krill({"logs", "--until", since, "talker"}).out.find("late"), std::string::npos);

  auto bad_tail = env.krill({"logs", "--tail", "some", "talker"});
  EXPECT_EQ(bad_tail.exit_code, 125) << bad_tail.describe();
  EXPECT_NE(bad_tail.err.find("--tail"), std::string::npos) << bad_tail.describe();
  auto bad_since = env.krill({"logs", "--since", "yesterday-ish", "talker"});
  EXPECT_EQ(bad_since.exit_code, 125) << bad_since.describe();
  EXPECT_NE(bad_since.err.find("yesterday-ish"), std::string::npos) << bad_since.describe();
}

TEST(EngineRunRm, KilledClientStillRemovesTheContainer) {
  EngineEnv env;
  TempDir dir("rmclient");
  Args run = env.global_args();
  run.insert(run.end(), {"run", "--rm", "--name", "orphan", EngineEnv::kImage, "sh", "-c",
                         "echo up; sleep 2"});
  ship::BackgroundProcess client(run, {}, dir.path() + "/out");
  ship::wait_for_banner(dir.path() + "/out", "up", 10s);
  client.kill(SIGKILL);
  client.wait(5s);
  // The container outlives its client and is removed by its monitor once it exits.
  EXPECT_EQ(status_of(env, "orphan"), "running");
  EXPECT_TRUE(eventually([&] { return env.container_ids().empty(); }, 15s));
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineRunRm, DetachedRmContainerIsRemovedWhenItExits) {
  EngineEnv env;
  {
    PtyClient run(env, {"run", "--rm", "-it", "--name", "brief", EngineEnv::kImage, "sh", "-c",
                        "echo up; sleep 2"});
    EXPECT_TRUE(run.expect("up")) << run.output();
    run.type(std::string(kCtrlP) + kCtrlQ);
    EXPECT_EQ(run.wait(), 0) << run.output();
  }
  EXPECT_TRUE(eventually([&] { return env.container_ids().empty(); }, 15s));
  EXPECT_TRUE(env.leftover_mounts().empty());
}

}  // namespace
}  // namespace krill::it
