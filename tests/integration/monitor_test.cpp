// krill-monitor driven for real: the monitor creates busybox containers through the runtime
// under test, logs their output, serves attach clients, records their exit and cleans up.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace krill::it {
namespace {

using namespace std::chrono_literals;

#ifndef KRILL_MONITOR_BINARY
#define KRILL_MONITOR_BINARY "krill-monitor"
#endif

// Attach frame types (monitor/monitor_protocol.h).
constexpr char kFrameStdin = 0, kFrameStdout = 1, kFrameStderr = 2, kFrameExit = 3,
               kFrameResize = 4, kFrameStdinEof = 5;

int monitor_counter = 0;

// One krill-monitor process for one container, with its run dir; the destructor kills
// whatever is left (container, monitor) and deletes the container from the runtime.
class MonitorRun {
 public:
  explicit MonitorRun(Bundle& bundle)
      : bundle_(bundle),
        run_dir_("monrun"),
        id_("krill-mon-" + std::to_string(getpid()) + "-" + std::to_string(++monitor_counter)) {}

  ~MonitorRun() {
    if (monitor_pid_ > 0 && !monitor_exited_) {
      runtime({"kill", id_, "KILL"});
      if (!wait_exit(10s)) {
        kill(monitor_pid_, SIGKILL);
        waitpid(monitor_pid_, nullptr, 0);
      }
    }
    runtime({"delete", "--force", id_});
  }

  const std::string& id() const { return id_; }
  const std::string& run_dir() const { return run_dir_.path(); }
  std::string file(const std::string& name) const { return run_dir() + "/" + name; }
  pid_t monitor_pid() const { return monitor_pid_; }

  json config = json::object();

  // Writes monitor.json and starts the monitor; returns its status line as JSON.
  json start_monitor() {
    json full = {
        {"id", id_},
        {"bundle", bundle_.path()},
        {"run_dir", run_dir()},
        {"runtime_path", runtime_binary()},
        {"runtime_root", state_root()},
        {"tty", false},
        {"stdin_open", false},
        {"log_driver", "k8s-file"},
        {"log_path", file("ctr.log")},
        {"exit_command", {"/bin/touch", file("exit-command-ran")}},
    };
    full.update(config);
    write_file(file("monitor.json"), full.dump());

    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) return json();
    const std::string marker = "KRILL_IT_MARKER=" + process_marker();
    monitor_pid_ = fork();
    if (monitor_pid_ == 0) {
      int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
      dup2(status_pipe[1], 3);
      setsid();
      putenv(const_cast<char*>(marker.c_str()));
      std::string config_path = file("monitor.json");
      execl(KRILL_MONITOR_BINARY, KRILL_MONITOR_BINARY, config_path.c_str(), nullptr);
      _exit(127);
    }
    close(status_pipe[1]);
    std::string line = read_until(status_pipe[0], "\n", 30s);
    close(status_pipe[0]);
    status_line_ = line;
    return parse_json(line);
  }

  const std::string& status_line() const { return status_line_; }

  // Waits for the monitor process to exit (it does after the exit command).
  bool wait_exit(std::chrono::milliseconds timeout = 20s) {
    if (monitor_exited_) return true;
    return eventually(
        [&] {
          int status = 0;
          pid_t pid = waitpid(monitor_pid_, &status, WNOHANG);
          if (pid == monitor_pid_) {
            monitor_exited_ = true;
            monitor_status_ = status;
          }
          return monitor_exited_;
        },
        timeout);
  }
  int monitor_status() const { return monitor_status_; }

  CommandResult start_container() { return runtime({"start", id_}); }

  json exit_record() const { return parse_json(read_file(file("exit.json"))); }

 private:
  Bundle& bundle_;
  TempDir run_dir_;
  std::string id_;
  pid_t monitor_pid_ = 0;
  bool monitor_exited_ = false;
  int monitor_status_ = -1;
  std::string status_line_;
};

// A raw attach client.
class AttachConnection {
 public:
  explicit AttachConnection(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~AttachConnection() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  bool send_frame(char type, const std::string& payload) {
    std::string frame(1, type);
    frame += payload;
    return send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(frame.size());
  }
  // Reads frames until kExit or EOF; collects stdout/stderr.
  void read_to_exit(std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string buffer(65536, '\0');
    while (!exit_code && !eof) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      read_frame(buffer);
    }
  }
  // Reads frames until stdout contains `text`.
  bool read_until_stdout(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string buffer(65536, '\0');
    while (out.find(text) == std::string::npos && !exit_code && !eof) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      read_frame(buffer);
    }
    return out.find(text) != std::string::npos;
  }

  std::string out, err;
  std::optional<int> exit_code;
  bool eof = false;

 private:
  void read_frame(std::string& buffer) {
    ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      eof = true;
      return;
    }
    if (buffer[0] == kFrameStdout) out.append(buffer.data() + 1, n - 1);
    if (buffer[0] == kFrameStderr) err.append(buffer.data() + 1, n - 1);
    if (buffer[0] == kFrameExit && n == 5) {
      uint32_t code = 0;
      for (int i = 3; i >= 0; --i) code = (code << 8) | static_cast<unsigned char>(buffer[1 + i]);
      exit_code = static_cast<int>(code);
    }
  }
  int fd_ = -1;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// "2026-...+00:00 stdout F text" -> "stdout F text"
std::vector<std::string> log_lines_without_time(const std::string& log) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(log)) {
    size_t space = line.find(' ');
    out.push_back(space == std::string::npos ? "<bad:" + line + ">" : line.substr(space + 1));
  }
  return out;
}

bool runtime_knows(const std::string& id) { return runtime({"state", id}).ok(); }

std::string runtime_status(const std::string& id) {
  json state = parse_json(runtime({"state", id}).out);
  return state.is_object() && state.contains("status") ? state["status"].get<std::string>() : "";
}

// What must hold once a monitor is done with its container.
void expect_cleaned_up(MonitorRun& run) {
  EXPECT_FALSE(runtime_knows(run.id()));
  EXPECT_FALSE(path_exists(run.file("attach.sock")));
  EXPECT_FALSE(path_exists(run.file("console.sock")));
  EXPECT_TRUE(eventually([] { return marked_processes().empty(); }, 5s))
      << "left behind: " << marked_processes().size() << " processes";
}

TEST(MonitorIntegration, DetachedContainerLogsExitCodeAndCleanup) {
  Bundle bundle("mon-basic");
  bundle.set_args({"/bin/sh", "-c", "echo out1; echo err1 >&2; echo out2; printf tail; exit 3"});
  bundle.save();
  MonitorRun run(bundle);
  json status = run.start_monitor();
  ASSERT_TRUE(status.is_object()) << "status line: " << run.status_line()
                                  << "\nmonitor.log: " << read_file(run.file("monitor.log"));
  ASSERT_TRUE(status.contains("pid")) << status.dump();
  const pid_t container_pid = status["pid"].get<int>();
  EXPECT_GT(container_pid, 0);
  EXPECT_EQ(read_file(run.file("monitor.pid")), std::to_string(run.monitor_pid()) + "\n");
  EXPECT_TRUE(path_exists(run.file("attach.sock")));
  EXPECT_FALSE(path_exists(run.file("exit.json"))) << "no exit.json before the container ran";
  EXPECT_EQ(runtime_status(run.id()), "created");
  ASSERT_TRUE(run.start_container().ok());
  ASSERT_TRUE(run.wait_exit()) << read_file(run.file("monitor.log"));
  EXPECT_TRUE(WIFEXITED(run.monitor_status()) && WEXITSTATUS(run.monitor_status()) == 0);

  json record = run.exit_record();
  ASSERT_TRUE(record.is_object()) << read_file(run.file("exit.json"));
  EXPECT_EQ(record["exit_code"], 3);
  EXPECT_EQ(record["oom_killed"], false);
  EXPECT_GT(record["finished_ns"].get<int64_t>(), 0);

  const std::string log = read_file(run.file("ctr.log"));
  auto lines = log_lines_without_time(log);
  // stdout and stderr are separate pipes: their relative order may vary; within a stream not.
  std::vector<std::string> out_lines, err_lines;
  for (const auto& line : lines)
    (line.starts_with("stdout") ? out_lines : err_lines).push_back(line);
  EXPECT_EQ(out_lines,
            (std::vector<std::string>{"stdout F out1", "stdout F out2", "stdout P tail"}))
      << log;
  EXPECT_EQ(err_lines, (std::vector<std::string>{"stderr F err1"})) << log;
  for (const auto& line : lines_of(log))
    EXPECT_TRUE(line.size() > 36 && line[35] == ' ' && line.substr(29, 6) == "+00:00") << line;

  EXPECT_TRUE(path_exists(run.file("exit-command-ran")));
  EXPECT_FALSE(path_exists(run.file("monitor.log"))) << read_file(run.file("monitor.log"));
  expect_cleaned_up(run);
}

TEST(MonitorIntegration, KilledContainerExitsWith137AndJsonFileLog) {
  Bundle bundle("mon-kill");
  bundle.set_args({"/bin/sh", "-c", "echo 'ready <now>'; exec sleep 100"});
  bundle.save();
  MonitorRun run(bundle);
  run.config["log_driver"] = "json-file";
  json status = run.start_monitor();
  ASSERT_TRUE(status.contains("pid")) << run.status_line();
  ASSERT_TRUE(run.start_container().ok());
  ASSERT_TRUE(eventually([&] { return !read_file(run.file("ctr.log")).empty(); }));
  ASSERT_TRUE(runtime({"kill", run.id(), "KILL"}).ok());
  ASSERT_TRUE(run.wait_exit()) << read_file(run.file("monitor.log"));
  EXPECT_EQ(run.exit_record()["exit_code"], 137);
  json entry = parse_json(lines_of(read_file(run.file("ctr.log"))).at(0));
  EXPECT_EQ(entry["log"], "ready <now>\n");
  EXPECT_EQ(entry["stream"], "stdout");
  EXPECT_TRUE(entry["time"].get<std::string>().ends_with("Z"));
  EXPECT_NE(read_file(run.file("ctr.log")).find("\\u003cnow\\u003e"), std::string::npos);
  EXPECT_TRUE(path_exists(run.file("exit-command-ran")));
  expect_cleaned_up(run);
}

TEST(MonitorIntegration, AttachClientsReceiveOutputAndTheExitCode) {
  Bundle bundle("mon-attach");
  bundle.set_args({"/bin/sh", "-c", "echo hello; echo problem >&2; exit 7"});
  bundle.save();
  MonitorRun run(bundle);
  ASSERT_TRUE(run.start_monitor().contains("pid")) << run.status_line();
  AttachConnection first(run.file("attach.sock"));
  AttachConnection second(run.file("attach.sock"));
  ASSERT_TRUE(first.connected());
  ASSERT_TRUE(second.connected());
  ASSERT_TRUE(run.start_container().ok());
  first.read_to_exit();
  second.read_to_exit();
  for (AttachConnection* client : {&first, &second}) {
    EXPECT_EQ(client->out, "hello\n");
    EXPECT_EQ(client->err, "problem\n");
    ASSERT_TRUE(client->exit_code.has_value());
    EXPECT_EQ(*client->exit_code, 7);
  }
  ASSERT_TRUE(run.wait_exit());
  EXPECT_EQ(run.exit_record()["exit_code"], 7);
  expect_cleaned_up(run);
}

TEST(MonitorIntegration, StdinIsForwardedAndClosed) {
  Bundle bundle("mon-stdin");
  bundle.set_args({"/bin/cat"});
  bundle.save();
  MonitorRun run(bundle);
  run.config["stdin_open"] = true;
  ASSERT_TRUE(run.start_monitor().contains("pid")) << run.status_line();
  AttachConnection client(run.file("attach.sock"));
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(run.start_container().ok());
  ASSERT_TRUE(client.send_frame(kFrameStdin, "ping\n"));
  EXPECT_TRUE(client.read_until_stdout("ping\n")) << client.out;
  ASSERT_TRUE(client.send_frame(kFrameStdin, "pong"));
  ASSERT_TRUE(client.send_frame(kFrameStdinEof, ""));
  client.read_to_exit();
  EXPECT_EQ(client.out, "ping\npong");
  ASSERT_TRUE(client.exit_code.has_value());
  EXPECT_EQ(*client.exit_code, 0);
  ASSERT_TRUE(run.wait_exit());
  auto lines = log_lines_without_time(read_file(run.file("ctr.log")));
  EXPECT_EQ(lines, (std::vector<std::string>{"stdout F ping", "stdout P pong"}));
  expect_cleaned_up(run);
}

TEST(MonitorIntegration, TtyThroughTheConsoleSocket) {
  Bundle bundle("mon-tty");
  bundle.config["process"]["terminal"] = true;
  bundle.set_args({"/bin/sh", "-c", "read line; echo \"got $line\"; stty size; tty; exit 4"});
  bundle.save();
  MonitorRun run(bundle);
  run.config["tty"] = true;
  run.config["stdin_open"] = true;
  ASSERT_TRUE(run.start_monitor().contains("pid"))
      << run.status_line() << read_file(run.file("monitor.log"));
  EXPECT_FALSE(path_exists(run.file("console.sock")));
  AttachConnection client(run.file("attach.sock"));
  ASSERT_TRUE(client.connected());
  std::string resize(4, '\0');
  resize[0] = 33;   // rows 33
  resize[2] = 101;  // cols 101
  ASSERT_TRUE(client.send_frame(kFrameResize, resize));
  ASSERT_TRUE(run.start_container().ok());
  ASSERT_TRUE(client.send_frame(kFrameStdin, "typed\n"));
  client.read_to_exit();
  ASSERT_TRUE(client.exit_code.has_value()) << client.out;
  EXPECT_EQ(*client.exit_code, 4);
  // A terminal echoes the input and ends lines with \r\n; all of it is "stdout".
  EXPECT_NE(client.out.find("got typed\r\n"), std::string::npos) << client.out;
  EXPECT_NE(client.out.find("33 101\r\n"), std::string::npos) << client.out;
  EXPECT_NE(client.out.find("/dev/pts/"), std::string::npos) << client.out;
  EXPECT_TRUE(client.err.empty());
  ASSERT_TRUE(run.wait_exit());
  const std::string log = read_file(run.file("ctr.log"));
  EXPECT_NE(log.find(" stdout F got typed\r\n"), std::string::npos) << log;
  EXPECT_EQ(log.find(" stderr "), std::string::npos) << log;
  expect_cleaned_up(run);
}

TEST(MonitorIntegration, FailingCreateReportsTheRuntimeError) {
  Bundle bundle("mon-bad");
  bundle.config["root"]["path"] = "/nonexistent/rootfs";
  bundle.save();
  MonitorRun run(bundle);
  json status = run.start_monitor();
  ASSERT_TRUE(status.is_object()) << run.status_line();
  ASSERT_TRUE(status.contains("error")) << status.dump();
  EXPECT_FALSE(status.contains("pid"));
  EXPECT_FALSE(status["error"].get<std::string>().empty());
  EXPECT_EQ(status["error"].get<std::string>().back() != '\n', true);
  ASSERT_TRUE(run.wait_exit());
  EXPECT_TRUE(WIFEXITED(run.monitor_status()) && WEXITSTATUS(run.monitor_status()) == 1);
  for (const char* name :
       {"attach.sock", "console.sock", "pidfile", "monitor.pid", "exit.json", "exit-command-ran"})
    EXPECT_FALSE(path_exists(run.file(name))) << name;
  expect_cleaned_up(run);
}

TEST(MonitorIntegration, OomKillIsRecorded) {
  Bundle bundle("mon-oom");
  const std::string id = "krill-mon-oom-" + std::to_string(getpid());
  bundle.use_test_cgroup(id);
  bundle.config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 32 << 20}};
  bundle.set_args({"/bin/sh", "-c", "x=$(yes | head -c 200000000); echo survived"});
  bundle.save();
  MonitorRun run(bundle);
  json status = run.start_monitor();
  ASSERT_TRUE(status.contains("pid")) << run.status_line();
  ASSERT_TRUE(run.start_container().ok());
  ASSERT_TRUE(run.wait_exit(60s));
  json record = run.exit_record();
  EXPECT_EQ(record["oom_killed"], true) << record.dump();
  EXPECT_EQ(record["exit_code"], 137) << record.dump();
  expect_cleaned_up(run);
}

// A client that never reads must not hold the container up; it is dropped once too far behind.
TEST(MonitorIntegration, StalledClientDoesNotBlockTheContainer) {
  Bundle bundle("mon-stall");
  constexpr int kLines = 1300000;  // ~9 MB: more than a client may lag behind
  bundle.set_args({"/bin/busybox", "seq", "1", std::to_string(kLines)});
  bundle.save();
  MonitorRun run(bundle);
  ASSERT_TRUE(run.start_monitor().contains("pid")) << run.status_line();
  AttachConnection stalled(run.file("attach.sock"));
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(run.start_container().ok());
  ASSERT_TRUE(run.wait_exit(60s)) << "the container was held up by a client that does not read";
  EXPECT_EQ(run.exit_record()["exit_code"], 0);
  const std::string log = read_file(run.file("ctr.log"));
  auto lines = lines_of(log);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  EXPECT_TRUE(lines.back().ends_with(" stdout F " + std::to_string(kLines))) << lines.back();
  stalled.read_to_exit(5s);
  EXPECT_FALSE(stalled.exit_code.has_value()) << "the stalled client should have been dropped";
  EXPECT_TRUE(stalled.eof);
  expect_cleaned_up(run);
}
}  // namespace
}  // namespace krill::it
