#include "base/fd_passing.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "base/file_io.h"

namespace krill {
namespace {

struct SocketPair {
  UniqueFd a, b;
};

SocketPair make_pair(int type = SOCK_STREAM) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Two fds refer to the same open file when their (dev, ino) match.
bool same_file(int a, int b) {
  struct stat sa {
  }, sb{};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

TEST(FdPassing, SendsOneFdWithPayload) {
  auto pair = make_pair();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);

  const int to_send[] = {w.get()};
  ASSERT_TRUE(send_fds(pair.a.get(), to_send, "hello"));
  auto received = receive_fds(pair.b.get());
  ASSERT_TRUE(received) << received.error().message();
  auto& [fds, payload] = *received;
  EXPECT_EQ(payload, "hello");
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_NE(fds[0].get(), w.get());
  EXPECT_TRUE(same_file(fds[0].get(), w.get()));
  EXPECT_TRUE(::fcntl(fds[0].get(), F_GETFD) & FD_CLOEXEC);

  // The received fd works: what it writes arrives at the pipe's read end.
  ASSERT_EQ(::write(fds[0].get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(::read(r.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(FdPassing, SendsSeveralFdsInOrder) {
  auto pair = make_pair();
  int p1[2], p2[2];
  ASSERT_EQ(::pipe2(p1, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(p2, O_CLOEXEC), 0);
  UniqueFd a(p1[0]), b(p1[1]), c(p2[0]), d(p2[1]);
  const int to_send[] = {a.get(), b.get(), c.get(), d.get()};
  ASSERT_TRUE(send_fds(pair.a.get(), to_send, "four"));
  auto received = receive_fds(pair.b.get());
  ASSERT_TRUE(received) << received.error().message();
  ASSERT_EQ(received->first.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(same_file(received->first[i].get(), to_send[i]));
  EXPECT_EQ(received->second, "four");
}

TEST(FdPassing, PayloadWithoutFds) {
  auto pair = make_pair();
  ASSERT_TRUE(send_fds(pair.a.get(), {}, "just text"));
  auto received = receive_fds(pair.b.get());
  ASSERT_TRUE(received);
  EXPECT_TRUE(received->first.empty());
  EXPECT_EQ(received->second, "just text");
}

TEST(FdPassing, EmptyPayloadIsRejected) {
  auto pair = make_pair();
  const int to_send[] = {0};
  auto result = send_fds(pair.a.get(), to_send, "");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("payload"), std::string::npos);
}

TEST(FdPassing, TooManyFdsIsAnErrorAndLeaksNothing) {
  auto pair = make_pair(SOCK_SEQPACKET);
  const int to_send[] = {0, 1, 2};
  ASSERT_TRUE(send_fds(pair.a.get(), to_send, "three"));
  auto received = receive_fds(pair.b.get(), 2);
  ASSERT_FALSE(received);
  EXPECT_NE(received.error().message().find("more than 2 fds"), std::string::npos);
}

TEST(FdPassing, ClosedPeerIsAnError) {
  auto pair = make_pair();
  pair.a.reset();
  auto received = receive_fds(pair.b.get());
  ASSERT_FALSE(received);
  EXPECT_NE(received.error().message().find("closed"), std::string::npos);
}

// A directory whose path, plus the socket name, exceeds sun_path (108 bytes).
class LongPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-fdpass-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    base_ = templ;
    dir_ = base_ + "/" + std::string(60, 'a') + "/" + std::string(60, 'b');
    ASSERT_TRUE(mkdir_all(dir_, 0700));
    path_ = dir_ + "/console.sock";
    ASSERT_GT(path_.size(), sizeof(sockaddr_un::sun_path));
  }
  void TearDown() override { ASSERT_TRUE(remove_all(base_)); }

  // Binds and listens on path_ using the same /proc/self/fd trick.
  UniqueFd listen_on_long_path() {
    UniqueFd dir(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(dir);
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string short_path = "/proc/self/fd/" + std::to_string(dir.get()) + "/console.sock";
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", short_path.c_str());
    EXPECT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener.get(), 1), 0);
    return listener;
  }

  std::string base_, dir_, path_;
};

TEST_F(LongPathTest, ConnectsAndPassesAnFd) {
  UniqueFd listener = listen_on_long_path();
  std::thread client([&] {
    auto socket_fd = connect_unix(path_);
    ASSERT_TRUE(socket_fd) << socket_fd.error().message();
    const int to_send[] = {STDERR_FILENO};
    ASSERT_TRUE(send_fds(socket_fd->get(), to_send, "/dev/ptmx"));
  });
  UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn);
  auto received = receive_fds(conn.get());
  client.join();
  ASSERT_TRUE(received) << received.error().message();
  EXPECT_EQ(received->second, "/dev/ptmx");
  ASSERT_EQ(received->first.size(), 1u);
  EXPECT_TRUE(same_file(received->first[0].get(), STDERR_FILENO));
}

TEST_F(LongPathTest, MissingSocketNamesThePath) {
  auto socket_fd = connect_unix(dir_ + "/absent.sock");
  ASSERT_FALSE(socket_fd);
  EXPECT_NE(socket_fd.error().message().find(dir_ + "/absent.sock"), std::string::npos);
  EXPECT_EQ(socket_fd.error().errno_value(), ENOENT);
}

}  // namespace
}  // namespace krill
