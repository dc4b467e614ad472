#include "base/fd_passing.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace krill {
namespace {

constexpr size_t kMaxPayload = 4096;

// Sends the rest of a stream payload after the first sendmsg() took part of it.
Result<void> send_all(int socket_fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(socket_fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("send fd payload");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<void> send_fds(int socket_fd, std::span<const int> fds, std::string_view payload) {
  if (payload.empty()) return fail("send fds: the payload must not be empty");
  if (fds.size() > 253) return fail("send fds: too many fds (" + std::to_string(fds.size()) + ")");

  iovec iov{};
  iov.iov_base = const_cast<char*>(payload.data());
  iov.iov_len = payload.size();

  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  std::vector<char> control;
  if (!fds.empty()) {
    const size_t fds_bytes = fds.size() * sizeof(int);
    control.assign(CMSG_SPACE(fds_bytes), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fds_bytes);
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fds_bytes);
  }

  ssize_t sent;
  do {
    sent = ::sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return fail_errno("send " + std::to_string(fds.size()) + " fds over a socket");
  return send_all(socket_fd, payload.data() + sent, payload.size() - static_cast<size_t>(sent));
}

Result<std::pair<std::vector<UniqueFd>, std::string>> receive_fds(int socket_fd, size_t max_fds) {
  if (max_fds == 0) max_fds = 1;
  std::string payload(kMaxPayload, '\0');
  iovec iov{};
  iov.iov_base = payload.data();
  iov.iov_len = payload.size();

  std::vector<char> control(CMSG_SPACE(max_fds * sizeof(int)), 0);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();

  ssize_t received;
  do {
    received = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return fail_errno("receive fds from a socket");

  // Take ownership of whatever arrived before judging the message.
  std::vector<UniqueFd> fds;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }

  if (received == 0 && fds.empty()) return fail("receive fds: the peer closed the connection");
  if (msg.msg_flags & MSG_CTRUNC)
    return fail("receive fds: more than " + std::to_string(max_fds) + " fds were sent");
  if (msg.msg_flags & MSG_TRUNC)
    return fail("receive fds: the message is longer than " + std::to_string(kMaxPayload) +
                " bytes");
  payload.resize(static_cast<size_t>(received));
  return std::pair{std::move(fds), std::move(payload)};
}

namespace {

// A sockaddr_un for `path`; a path longer than sun_path is reached through an O_PATH fd of
// its directory, kept open in `dir_fd` while the address is in use.
Result<sockaddr_un> unix_address(const std::string& path, UniqueFd& dir_fd) {
  if (path.empty()) return fail("unix socket: empty path");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string target = path;
  if (target.size() >= sizeof(addr.sun_path)) {
    const size_t slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    dir_fd.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) return fail_errno("open the directory of unix socket " + path);
    target = "/proc/self/fd/" + std::to_string(dir_fd.get()) + "/" + name;
    if (target.size() >= sizeof(addr.sun_path))
      return fail("unix socket " + path + ": the socket's file name is too long");
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  return addr;
}

}  // namespace

Result<UniqueFd> connect_unix(const std::string& path, int type) {
  UniqueFd dir_fd;  // keeps /proc/self/fd/<n> valid until connect() returns
  sockaddr_un addr = KRILL_TRY(unix_address(path, dir_fd));
  UniqueFd socket_fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!socket_fd) return fail_errno("create a unix socket to connect to " + path);
  int rc;
  do {
    rc = ::connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EISCONN) return fail_errno("connect to unix socket " + path);
  return socket_fd;
}

Result<UniqueFd> listen_unix(const std::string& path, int type, int flags, int backlog) {
  UniqueFd dir_fd;
  sockaddr_un addr = KRILL_TRY(unix_address(path, dir_fd));
  UniqueFd fd(::socket(AF_UNIX, type | flags | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("create a unix socket for " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return fail_errno("bind " + path);
  if (::listen(fd.get(), backlog) != 0) return fail_errno("listen on " + path);
  return fd;
}

}  // namespace krill
