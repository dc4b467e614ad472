#include "runtime/linux/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <string_view>
#include <utility>

#include "base/fd_passing.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace krill::linux_ns {
namespace {

constexpr size_t kBufferLimit = 64 * 1024;

// Where the slave of pty number `n` lives for a given ptmx path.
std::string slave_path_for(const std::string& ptmx, unsigned n) {
  const size_t slash = ptmx.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : ptmx.substr(0, slash);
  const bool inside_devpts = dir.size() >= 4 && dir.compare(dir.size() - 4, 4, "/pts") == 0;
  return (inside_devpts ? dir : dir + "/pts") + "/" + std::to_string(n);
}

// Writes all of `data` to a possibly non-blocking fd, waiting with poll.
Result<void> write_fully(int fd, std::string_view data, const char* what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    return fail_errno(what);
  }
  return {};
}

void copy_window_size(int from_fd, int to_fd) {
  if (from_fd < 0) return;
  struct winsize ws {};
  if (::ioctl(from_fd, TIOCGWINSZ, &ws) == 0) ::ioctl(to_fd, TIOCSWINSZ, &ws);
}

}  // namespace

Result<Pty> open_pty(const char* ptmx_path) {
  const std::string ptmx = ptmx_path;
  Pty pty;
  pty.master.reset(::open(ptmx_path, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return fail_errno("open " + ptmx);
  int unlock = 0;
  if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) < 0) return fail_errno("unlockpt " + ptmx);
  unsigned number = 0;
  if (::ioctl(pty.master.get(), TIOCGPTN, &number) < 0) return fail_errno("ptsname " + ptmx);

  pty.slave.reset(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (pty.slave) {
    char link[4096];
    const std::string proc = "/proc/self/fd/" + std::to_string(pty.slave.get());
    ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
    pty.slave_path =
        n > 0 ? std::string(link, static_cast<size_t>(n)) : "/dev/pts/" + std::to_string(number);
    return pty;
  }
  if (errno != EINVAL && errno != ENOTTY && errno != ENOSYS)
    return fail_errno("open the peer of " + ptmx);
  pty.slave_path = slave_path_for(ptmx, number);
  pty.slave.reset(::open(pty.slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) return fail_errno("open " + pty.slave_path);
  return pty;
}

Result<void> set_window_size(int fd, uint16_t rows, uint16_t cols) {
  struct winsize ws {};
  ws.ws_row = rows;
  ws.ws_col = cols;
  if (::ioctl(fd, TIOCSWINSZ, &ws) < 0)
    return fail_errno("set terminal size to " + std::to_string(rows) + "x" + std::to_string(cols));
  return {};
}

Result<WindowSize> get_window_size(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) < 0) return fail_errno("get terminal size");
  return WindowSize{ws.ws_row, ws.ws_col};
}

Result<void> become_session_leader_with_terminal(int slave_fd) {
  if (::setsid() < 0) return fail_errno("setsid");
  if (::ioctl(slave_fd, TIOCSCTTY, 0) < 0)
    return fail_errno("make the pty the controlling terminal");
  for (int target = 0; target <= 2; ++target) {
    if (slave_fd == target) {
      // dup2(fd, fd) is a no-op that would leave O_CLOEXEC set.
      int flags = ::fcntl(target, F_GETFD);
      if (flags < 0 || ::fcntl(target, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return fail_errno("clear close-on-exec on the pty");
    } else if (::dup2(slave_fd, target) < 0) {
      return fail_errno("dup2 the pty onto fd " + std::to_string(target));
    }
  }
  return {};
}

Result<void> send_console_over(int socket_fd, int master_fd) {
  const int fds[] = {master_fd};
  KRILL_CHECK_CTX(send_fds(socket_fd, fds, "/dev/ptmx"), "send the pty master");
  return {};
}

Result<void> send_console(const std::string& console_socket_path, int master_fd) {
  UniqueFd socket_fd = KRILL_TRY(connect_unix(console_socket_path));
  KRILL_CHECK_CTX(send_console_over(socket_fd.get(), master_fd),
                  "console socket " + console_socket_path);
  return {};
}

Result<RawTerminalMode> RawTerminalMode::enter(int fd) {
  RawTerminalMode mode;
  if (fd < 0 || !::isatty(fd)) return mode;
  if (::tcgetattr(fd, &mode.saved_) < 0) return fail_errno("get terminal attributes");
  struct termios raw = mode.saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) < 0) return fail_errno("put the terminal in raw mode");
  mode.fd_ = fd;
  return mode;
}

RawTerminalMode::RawTerminalMode(RawTerminalMode&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}

RawTerminalMode::~RawTerminalMode() {
  if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
}

Result<void> proxy_terminal(int master_fd, int in_fd, int out_fd, int signal_fd,
                            const std::function<void(const signalfd_siginfo&)>& on_signal) {
  const int size_source = (in_fd >= 0 && ::isatty(in_fd))     ? in_fd
                          : (out_fd >= 0 && ::isatty(out_fd)) ? out_fd
                                                              : -1;
  RawTerminalMode raw = KRILL_TRY(RawTerminalMode::enter(in_fd));
  copy_window_size(size_source, master_fd);

  const int master_flags = ::fcntl(master_fd, F_GETFL);
  if (master_flags < 0 || ::fcntl(master_fd, F_SETFL, master_flags | O_NONBLOCK) < 0)
    return fail_errno("make the pty master non-blocking");

  std::string to_master, to_out;
  bool in_open = in_fd >= 0;
  bool master_open = true;
  std::array<char, 8192> chunk;

  while (master_open) {
    pollfd fds[4];
    nfds_t count = 0;
    int in_i = -1, master_i = -1, out_i = -1, sig_i = -1;
    if (in_open && to_master.size() < kBufferLimit) {
      in_i = static_cast<int>(count);
      fds[count++] = {in_fd, POLLIN, 0};
    }
    master_i = static_cast<int>(count);
    fds[count++] = {master_fd,
                    static_cast<short>((to_out.size() < kBufferLimit ? POLLIN : 0) |
                                       (to_master.empty() ? 0 : POLLOUT)),
                    0};
    if (!to_out.empty()) {
      out_i = static_cast<int>(count);
      fds[count++] = {out_fd, POLLOUT, 0};
    }
    if (signal_fd >= 0) {
      sig_i = static_cast<int>(count);
      fds[count++] = {signal_fd, POLLIN, 0};
    }

    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll the terminal");
    }

    if (in_i >= 0 && fds[in_i].revents) {
      ssize_t n = ::read(in_fd, chunk.data(), chunk.size());
      if (n > 0) {
        to_master.append(chunk.data(), static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        in_open = false;
        to_master += '\x04';  // VEOF: let a reader in canonical mode see end of input
      }
    }

    const short master_events = fds[master_i].revents;
    if ((master_events & POLLOUT) && !to_master.empty()) {
      ssize_t n = ::write(master_fd, to_master.data(), to_master.size());
      if (n > 0) {
        to_master.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        to_master.clear();  // EIO: the slave side is gone; reading will notice
      }
    }
    if (master_events & (POLLIN | POLLHUP | POLLERR)) {
      for (;;) {
        if (to_out.size() >= kBufferLimit) break;
        ssize_t n = ::read(master_fd, chunk.data(), chunk.size());
        if (n > 0) {
          to_out.append(chunk.data(), static_cast<size_t>(n));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
          if (master_events & (POLLHUP | POLLERR)) master_open = false;
          break;
        }
        master_open = false;  // EIO or EOF: every slave fd is closed
        break;
      }
    }

    if (out_i >= 0 && (fds[out_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(out_fd, to_out.data(), to_out.size());
      if (n > 0)
        to_out.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        return fail_errno("write the container's terminal output");
    }

    if (sig_i >= 0 && (fds[sig_i].revents & POLLIN)) {
      signalfd_siginfo info{};
      ssize_t n = ::read(signal_fd, &info, sizeof(info));
      if (n == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGWINCH)
          copy_window_size(size_source, master_fd);
        else if (on_signal)
          on_signal(info);
      }
    }
  }

  KRILL_CHECK(write_fully(out_fd, to_out, "write the container's terminal output"));
  return {};
}

}  // namespace krill::linux_ns
