// attach() against a fake monitor: a SEQPACKET server in a thread.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "base/file_io.h"
#include "monitor/attach_socket.h"
#include "monitor/monitor_protocol.h"

namespace krill::monitor {
namespace {

class SocketDir {
 public:
  SocketDir() {
    char templ[] = "/tmp/krill-monitor-attach-XXXXXX";
    path_ = ::mkdtemp(templ);
  }
  ~SocketDir() { (void)remove_all(path_); }
  std::string socket() const { return path_ + "/attach.sock"; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
  UniqueFd read_end, write_end;
};

std::string read_available(int fd) {
  std::string out;
  char buffer[4096];
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, n);
  return out;
}

UniqueFd accept_one(int listen_fd) {
  struct pollfd p {
    listen_fd, POLLIN, 0
  };
  if (::poll(&p, 1, 10000) != 1) return UniqueFd();
  return UniqueFd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
}

std::string receive(int fd) {
  struct pollfd p {
    fd, POLLIN, 0
  };
  if (::poll(&p, 1, 10000) != 1) return "<timeout>";
  std::string buffer(kMaxFrameSize, '\0');
  ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return "<eof>";
  buffer.resize(n);
  return buffer;
}

TEST(MonitorAttach, StreamsOutputAndReturnsTheExitCode) {
  SocketDir dir;
  auto listen = listen_unix(dir.socket(), SOCK_SEQPACKET);
  ASSERT_TRUE(listen) << listen.error().message();
  Pipe out, err, in;
  std::vector<std::string> received;
  std::thread server([&] {
    UniqueFd client = accept_one(listen->get());
    if (!client) return;
    // The client sends stdin first; then the container "answers".
    received.push_back(receive(client.get()));
    received.push_back(receive(client.get()));
    for (const std::string& frame :
         {encode_frame(FrameType::kStdout, "hello "), encode_frame(FrameType::kStderr, "warning"),
          encode_frame(FrameType::kStdout, "world"), encode_exit_frame(3)})
      ::send(client.get(), frame.data(), frame.size(), MSG_NOSIGNAL);
  });
  ASSERT_EQ(::write(in.write_end.get(), "input", 5), 5);
  in.write_end.reset();  // EOF after "input"
  bool connected = false;
  AttachStreams streams;
  streams.stdin_fd = in.read_end.get();
  streams.stdout_fd = out.write_end.get();
  streams.stderr_fd = err.write_end.get();
  auto result = attach(dir.socket(), streams, [&]() -> Result<void> {
    connected = true;
    return {};
  });
  server.join();
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_TRUE(connected);
  EXPECT_FALSE(result->detached);
  ASSERT_TRUE(result->exit_code.has_value());
  EXPECT_EQ(*result->exit_code, 3);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], encode_frame(FrameType::kStdin, "input"));
  EXPECT_EQ(received[1], encode_frame(FrameType::kStdinEof, ""));
  out.write_end.reset();
  err.write_end.reset();
  EXPECT_EQ(read_available(out.read_end.get()), "hello world");
  EXPECT_EQ(read_available(err.read_end.get()), "warning");
}

TEST(MonitorAttach, DetachKeysEndTheSessionAndAreNotForwarded) {
  SocketDir dir;
  auto listen = listen_unix(dir.socket(), SOCK_SEQPACKET);
  ASSERT_TRUE(listen);
  Pipe out, in;
  std::string forwarded;
  std::thread server([&] {
    UniqueFd client = accept_one(listen->get());
    if (!client) return;
    // Collect stdin until the client goes away.
    while (true) {
      std::string frame = receive(client.get());
      if (frame == "<eof>" || frame == "<timeout>") break;
      if (frame[0] == static_cast<char>(FrameType::kStdin)) forwarded += frame.substr(1);
    }
  });
  // ctrl-p alone is forwarded once something else follows; ctrl-p ctrl-q detaches.
  const std::string typed =
      "ab\x10"
      "c\x10\x11"
      "never";
  ASSERT_EQ(::write(in.write_end.get(), typed.data(), typed.size()),
            static_cast<ssize_t>(typed.size()));
  AttachStreams streams;
  streams.stdin_fd = in.read_end.get();
  streams.stdout_fd = out.write_end.get();
  auto result = attach(dir.socket(), streams);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_TRUE(result->detached);
  EXPECT_FALSE(result->exit_code.has_value());
  server.join();  // attach() closed the socket
  EXPECT_EQ(forwarded,
            "ab\x10"
            "c");
}

TEST(MonitorAttach, LostMonitorIsAnError) {
  SocketDir dir;
  auto listen = listen_unix(dir.socket(), SOCK_SEQPACKET);
  ASSERT_TRUE(listen);
  std::thread server([&] {
    UniqueFd client = accept_one(listen->get());
    const std::string frame = encode_frame(FrameType::kStdout, "bye");
    ::send(client.get(), frame.data(), frame.size(), MSG_NOSIGNAL);
  });  // closes without kExit
  Pipe out;
  AttachStreams streams;
  streams.stdout_fd = out.write_end.get();
  auto result = attach(dir.socket(), streams);
  server.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "lost the connection to the container's monitor");
  out.write_end.reset();
  EXPECT_EQ(read_available(out.read_end.get()), "bye");
}

TEST(MonitorAttach, NoMonitorAndBadDetachKeys) {
  SocketDir dir;
  auto result = attach(dir.socket(), AttachStreams{});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("attach.sock"), std::string::npos);
  AttachStreams bad;
  bad.detach_keys = "ctrl-";
  EXPECT_FALSE(attach(dir.socket(), bad));
}

TEST(MonitorAttach, LongSocketPaths) {
  SocketDir dir;
  std::string deep = dir.path() + "/" + std::string(60, 'd') + "/" + std::string(60, 'e');
  ASSERT_TRUE(mkdir_all(deep, 0755));
  const std::string path = deep + "/attach.sock";
  ASSERT_GT(path.size(), 108u);
  auto listen = listen_unix(path, SOCK_SEQPACKET);
  ASSERT_TRUE(listen) << listen.error().message();
  auto client = connect_seqpacket(path);
  ASSERT_TRUE(client) << client.error().message();
}

}  // namespace
}  // namespace krill::monitor

namespace krill::monitor {
namespace {

// With tty, the terminal is raw while attached, restored afterwards, and its size is sent.
TEST(MonitorAttach, TtyRawModeAndWindowSize) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  UniqueFd master_fd(master), slave_fd(slave);
  struct winsize size {};
  size.ws_row = 42;
  size.ws_col = 132;
  ASSERT_EQ(::ioctl(slave, TIOCSWINSZ, &size), 0);
  struct termios before {};
  ASSERT_EQ(::tcgetattr(slave, &before), 0);
  ASSERT_NE(before.c_lflag & ICANON, 0u);

  SocketDir dir;
  auto listen = listen_unix(dir.socket(), SOCK_SEQPACKET);
  ASSERT_TRUE(listen);
  std::string first_frame;
  tcflag_t lflag_while_attached = ICANON;
  std::thread server([&] {
    UniqueFd client = accept_one(listen->get());
    if (!client) return;
    first_frame = receive(client.get());
    struct termios during {};
    ::tcgetattr(slave, &during);
    lflag_while_attached = during.c_lflag;
    const std::string exit_frame = encode_exit_frame(0);
    ::send(client.get(), exit_frame.data(), exit_frame.size(), MSG_NOSIGNAL);
  });
  Pipe out;
  AttachStreams streams;
  streams.stdin_fd = slave;
  streams.stdout_fd = out.write_end.get();
  streams.tty = true;
  auto result = attach(dir.socket(), streams);
  server.join();
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(first_frame, encode_resize_frame(42, 132));
  EXPECT_EQ(lflag_while_attached & (ICANON | ECHO), 0u) << "raw while attached";
  struct termios after {};
  ASSERT_EQ(::tcgetattr(slave, &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
}

}  // namespace
}  // namespace krill::monitor
