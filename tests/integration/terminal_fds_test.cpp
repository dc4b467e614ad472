// Terminal and file descriptors: config.md Process "terminal"/"consoleSize", config-linux.md
// Default Devices (/dev/console), runc CLI --console-socket and --preserve-fds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.h"

namespace krill::it {
namespace {

struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) close(fd);
  }
};

json report_from_pty(const std::string& text) {
  std::string cleaned;
  for (char ch : text)
    if (ch != '\r') cleaned += ch;
  return last_json_line(cleaned);
}

// config.md Process terminal: with terminal=true the runtime hands the pty master to the
// --console-socket; the process has the pty as stdio; /dev/console is the pty
// (config-linux.md Default Devices); consoleSize sets the window size.
TEST(Terminal, ConsoleSocketReceivesPtyMaster) {
  Bundle bundle;
  bundle.config["process"]["terminal"] = true;
  bundle.config["process"]["consoleSize"] = {{"height", 31}, {"width", 101}};
  ConsoleSocket socket;
  Container c(bundle);
  CommandResult r = c.create({"--console-socket", socket.path()});
  ASSERT_TRUE(r.ok()) << r.describe();
  FdGuard master{socket.receive()};
  ASSERT_GE(master.fd, 0) << "no pty master arrived on the console socket";
  ASSERT_TRUE(c.start().ok());
  std::string text = read_until(master.fd, "", std::chrono::seconds(15));
  json report = report_from_pty(text);
  ASSERT_TRUE(report.is_object()) << "pty output: " << text;
  for (const char* fd : {"0", "1", "2"}) {
    EXPECT_EQ(report["stdio"][fd]["isatty"], true) << fd;
  }
  ASSERT_TRUE(report["devices"].contains("/dev/console")) << report["devices"].dump();
  EXPECT_EQ(report["devices"]["/dev/console"]["type"], "c");
  EXPECT_EQ(report["devices"]["/dev/console"]["major"], 136) << "not a pts device";
  if (report["stdio"]["0"].contains("winsize")) {
    if (runtime_is_runc() && report["stdio"]["0"]["winsize"]["rows"] != 31)
      GTEST_SKIP() << "runc 1.1 ignores consoleSize";
    EXPECT_EQ(report["stdio"]["0"]["winsize"]["rows"], 31);
    EXPECT_EQ(report["stdio"]["0"]["winsize"]["cols"], 101);
  }
}

// The pty carries input too: what the test writes to the master reaches the container.
TEST(Terminal, InputThroughPty) {
  Bundle bundle;
  bundle.config["process"]["terminal"] = true;
  bundle.set_args({"/bin/sh", "-c", "read line; echo got-$line"});
  ConsoleSocket socket;
  Container c(bundle);
  ASSERT_TRUE(c.create({"--console-socket", socket.path()}).ok());
  FdGuard master{socket.receive()};
  ASSERT_GE(master.fd, 0);
  ASSERT_TRUE(c.start().ok());
  ASSERT_EQ(write(master.fd, "hello\n", 6), 6);
  std::string text = read_until(master.fd, "got-hello", std::chrono::seconds(10));
  EXPECT_NE(text.find("got-hello"), std::string::npos) << text;
}

// Without a terminal there is no /dev/console device from a pty.
TEST(Terminal, NoConsoleWithoutTerminal) {
  Bundle bundle;
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  for (const char* fd : {"0", "1", "2"}) EXPECT_EQ(probe.report["stdio"][fd]["isatty"], false);
  if (probe.report["devices"].contains("/dev/console")) {
    EXPECT_NE(probe.report["devices"]["/dev/console"]["major"], 136);
  }
}

// No host fd leaks into the container: the process sees exactly 0, 1 and 2.
TEST(Fds, OnlyStdioInContainer) {
  Bundle bundle;
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  std::vector<std::string> fds;
  for (const auto& [fd, target] : probe.report["fds"].items()) fds.push_back(fd);
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"})) << probe.report["fds"].dump();
}

// The same for a process started by exec.
TEST(Fds, OnlyStdioInExec) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok());
  CommandResult r = c.exec({}, {"/probe", "fds"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json fds = last_json_line(r.out);
  ASSERT_TRUE(fds.is_object()) << r.out;
  std::vector<std::string> seen;
  for (const auto& [fd, target] : fds.items()) seen.push_back(fd);
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2"})) << fds.dump();
}

// runc CLI --preserve-fds N: fds 3 .. 3+N-1 of the runtime are passed to the process.
TEST(Fds, PreserveFds) {
  Bundle bundle;
  TempDir dir("fds");
  FdGuard file{open((dir.path() + "/passed").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  FdGuard pipe_read{pipe_fds[0]}, pipe_write{pipe_fds[1]};
  bundle.set_args({"/probe", "report"});
  Container c(bundle);
  CommandOptions options;
  options.pass_fds = {file.fd, pipe_write.fd};
  CommandResult r = c.run({"--preserve-fds", "2"}, options);
  ASSERT_TRUE(r.ok()) << r.describe();
  json report = last_json_line(r.out);
  ASSERT_TRUE(report.is_object()) << r.out;
  const json& fds = report["fds"];
  ASSERT_TRUE(fds.contains("3") && fds.contains("4")) << fds.dump();
  EXPECT_NE(fds["3"].get<std::string>().find("passed"), std::string::npos) << fds.dump();
  EXPECT_EQ(fds["4"].get<std::string>().rfind("pipe:", 0), 0u) << fds.dump();
  EXPECT_FALSE(fds.contains("5")) << "more fds than preserved: " << fds.dump();
}

}  // namespace
}  // namespace krill::it
