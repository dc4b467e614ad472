#include "runtime/linux/terminal.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "base/fd_passing.h"

namespace krill::linux_ns {
namespace {

// A listening console socket in a fresh temporary directory.
class ConsoleSocket {
 public:
  ConsoleSocket() {
    char templ[] = "/tmp/krill-console-XXXXXX";
    dir_ = ::mkdtemp(templ);
    path_ = dir_ + "/console.sock";
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener_.get(), 1), 0);
  }
  ~ConsoleSocket() {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  UniqueFd accept() { return UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)); }

 private:
  std::string dir_, path_;
  UniqueFd listener_;
};

TEST(Terminal, OpensAPty) {
  auto pty = open_pty();
  ASSERT_TRUE(pty) << pty.error().message();
  EXPECT_TRUE(::isatty(pty->slave.get()));
  EXPECT_EQ(pty->slave_path.rfind("/dev/pts/", 0), 0u) << pty->slave_path;
  EXPECT_TRUE(::fcntl(pty->master.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(pty->slave.get(), F_GETFD) & FD_CLOEXEC);
  // Bytes written on the slave come out of the master.
  ASSERT_EQ(::write(pty->slave.get(), "ping", 4), 4);
  char buffer[16] = {};
  ASSERT_GT(::read(pty->master.get(), buffer, sizeof(buffer)), 0);
  EXPECT_EQ(std::string(buffer, 4), "ping");
}

TEST(Terminal, MissingPtmxNamesThePath) {
  auto pty = open_pty("/nonexistent/ptmx");
  ASSERT_FALSE(pty);
  EXPECT_EQ(pty.error().message(), "open /nonexistent/ptmx: No such file or directory");
}

TEST(Terminal, WindowSizeRoundTrip) {
  auto pty = open_pty();
  ASSERT_TRUE(pty);
  ASSERT_TRUE(set_window_size(pty->master.get(), 25, 80));
  auto size = get_window_size(pty->slave.get());
  ASSERT_TRUE(size);
  EXPECT_EQ(size->rows, 25);
  EXPECT_EQ(size->cols, 80);
  EXPECT_FALSE(set_window_size(STDIN_FILENO == -1 ? 0 : ::open("/dev/null", O_RDONLY), 1, 1));
}

TEST(Terminal, SendsTheMasterOverAConsoleSocket) {
  ConsoleSocket socket;
  auto pty = open_pty();
  ASSERT_TRUE(pty);
  std::thread sender([&] {
    auto sent = send_console(socket.path(), pty->master.get());
    EXPECT_TRUE(sent) << sent.error().message();
  });
  UniqueFd conn = socket.accept();
  ASSERT_TRUE(conn);
  auto received = receive_fds(conn.get());
  sender.join();
  ASSERT_TRUE(received) << received.error().message();
  EXPECT_EQ(received->second, "/dev/ptmx");
  ASSERT_EQ(received->first.size(), 1u);
  const int master = received->first[0].get();
  // The received fd is the same pty master: its number and its data match.
  unsigned a = 0, b = 0;
  ASSERT_EQ(::ioctl(master, TIOCGPTN, &a), 0);
  ASSERT_EQ(::ioctl(pty->master.get(), TIOCGPTN, &b), 0);
  EXPECT_EQ(a, b);
  ASSERT_EQ(::write(pty->slave.get(), "hi", 2), 2);
  char buffer[8] = {};
  ASSERT_EQ(::read(master, buffer, sizeof(buffer)), 2);
  EXPECT_EQ(std::string(buffer, 2), "hi");
}

TEST(Terminal, SendConsoleToMissingSocketFails) {
  auto pty = open_pty();
  ASSERT_TRUE(pty);
  auto sent = send_console("/nonexistent/console.sock", pty->master.get());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.error().message().find("/nonexistent/console.sock"), std::string::npos);
}

TEST(Terminal, SessionLeaderGetsTheTerminalOnStdio) {
  auto pty = open_pty();
  ASSERT_TRUE(pty);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    pty->master.reset();
    if (!become_session_leader_with_terminal(pty->slave.get())) ::_exit(1);
    if (::getsid(0) != ::getpid()) ::_exit(2);
    if (::tcgetsid(0) != ::getpid()) ::_exit(3);  // the controlling terminal is ours
    if (!::isatty(1) || !::isatty(2)) ::_exit(4);
    if (::fcntl(0, F_GETFD) & FD_CLOEXEC) ::_exit(5);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Terminal, ProxyCopiesBothWaysUntilHangup) {
  auto pty = open_pty();
  ASSERT_TRUE(pty);
  int in_pipe[2], out_pipe[2];
  ASSERT_EQ(::pipe2(in_pipe, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  UniqueFd in_read(in_pipe[0]), in_write(in_pipe[1]);
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);

  // Only the program's own output, no echo of the input.
  struct termios t {};
  ASSERT_EQ(::tcgetattr(pty->slave.get(), &t), 0);
  t.c_lflag &= ~ECHO;
  ASSERT_EQ(::tcsetattr(pty->slave.get(), TCSANOW, &t), 0);

  // The "container": echoes one line read from the terminal, then exits.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    pty->master.reset();
    if (!become_session_leader_with_terminal(pty->slave.get())) ::_exit(1);
    pty->slave.reset();
    char line[64] = {};
    ssize_t n = ::read(0, line, sizeof(line));
    std::string reply = "got:" + std::string(line, n > 0 ? n : 0);
    (void)!::write(1, reply.data(), reply.size());
    ::_exit(0);
  }
  pty->slave.reset();
  ASSERT_EQ(::write(in_write.get(), "hello\n", 6), 6);
  in_write.reset();  // EOF on the input after the line

  auto proxied = proxy_terminal(pty->master.get(), in_read.get(), out_write.get(), -1);
  ASSERT_TRUE(proxied) << proxied.error().message();
  out_write.reset();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  std::string output;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(out_read.get(), buffer, sizeof(buffer))) > 0) output.append(buffer, n);
  EXPECT_EQ(output, "got:hello\r\n");  // the terminal maps \n to \r\n
}

}  // namespace
}  // namespace krill::linux_ns
