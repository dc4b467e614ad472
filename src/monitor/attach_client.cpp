// attach(): the client side of the attach socket (`krill run`, `start -a`, `attach`).
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

#include "monitor/attach_socket.h"
#include "monitor/monitor_protocol.h"

namespace krill::monitor {
namespace {

// Puts a terminal in raw mode and restores its settings when destroyed.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) {
    if (fd < 0 || !::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSADRAIN, &raw) == 0) fd_ = fd;
  }
  ~RawTerminal() {
    if (fd_ >= 0) ::tcsetattr(fd_, TCSADRAIN, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_ = -1;
  struct termios saved_ {};
};

// SIGWINCH through a signalfd, blocked in this thread while it lives (and restored after).
class WindowChangeSignal {
 public:
  WindowChangeSignal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    if (::pthread_sigmask(SIG_BLOCK, &set, &previous_) != 0) return;
    blocked_ = true;
    fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~WindowChangeSignal() {
    fd_.reset();
    if (blocked_) ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  WindowChangeSignal(const WindowChangeSignal&) = delete;
  WindowChangeSignal& operator=(const WindowChangeSignal&) = delete;
  int fd() const { return fd_.get(); }
  void drain() {
    signalfd_siginfo info;
    while (::read(fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    }
  }

 private:
  UniqueFd fd_;
  sigset_t previous_{};
  bool blocked_ = false;
};

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p {
          fd, POLLOUT, 0
        };
        ::poll(&p, 1, -1);
        continue;
      }
      return fail_errno("write attached output");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> send_frame(int socket_fd, const std::string& frame) {
  while (true) {
    if (::send(socket_fd, frame.data(), frame.size(), MSG_NOSIGNAL) >= 0) return {};
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET)
      return fail("lost the connection to the container's monitor");
    return fail_errno("send to the container's monitor");
  }
}

Result<void> send_window_size(int socket_fd, const AttachStreams& streams) {
  struct winsize size {};
  if (::ioctl(streams.stdin_fd, TIOCGWINSZ, &size) != 0 &&
      ::ioctl(streams.stdout_fd, TIOCGWINSZ, &size) != 0)
    return {};  // not a terminal: nothing to forward
  if (size.ws_row == 0 && size.ws_col == 0) return {};
  return send_frame(socket_fd, encode_resize_frame(size.ws_row, size.ws_col));
}

// Docker's escape proxy: bytes that may start the detach sequence are held back until they
// either complete it (detach) or stop matching (then they are sent as typed).
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  // Appends the bytes to forward to `out`; true when the sequence is complete.
  bool feed(std::string_view input, std::string& out) {
    if (keys_.empty()) {
      out.append(input);
      return false;
    }
    for (char c : input) {
      if (c == keys_[matched_]) {
        if (++matched_ == keys_.size()) return true;
        continue;
      }
      out.append(keys_, 0, matched_);
      matched_ = 0;
      if (c == keys_[0]) {
        matched_ = 1;
        if (keys_.size() == 1) return true;
      } else {
        out += c;
      }
    }
    return false;
  }
  // Bytes held back when the input ends.
  std::string_view held() const { return std::string_view(keys_).substr(0, matched_); }

 private:
  std::string keys_;
  size_t matched_ = 0;
};

}  // namespace

Result<AttachResult> attach(const std::string& attach_socket, const AttachStreams& streams,
                            const std::function<Result<void>()>& on_connected) {
  const std::string detach_keys = KRILL_TRY(parse_detach_keys(streams.detach_keys));
  UniqueFd socket_fd = KRILL_TRY(connect_seqpacket(attach_socket));
  if (streams.claim_cleanup)
    KRILL_CHECK(send_frame(socket_fd.get(), encode_frame(FrameType::kClaimCleanup, {})));
  if (on_connected) KRILL_CHECK(on_connected());

  std::optional<RawTerminal> raw_terminal;
  std::optional<WindowChangeSignal> window_change;
  if (streams.tty) {
    if (streams.stdin_fd >= 0) raw_terminal.emplace(streams.stdin_fd);
    window_change.emplace();
    KRILL_CHECK(send_window_size(socket_fd.get(), streams));
  }

  DetachMatcher detach(detach_keys);
  bool stdin_open = streams.stdin_fd >= 0;
  std::string frame_buffer(kMaxFrameSize, '\0');
  char input[4096];
  AttachResult result;
  bool connection_reset = false;

  while (true) {
    struct pollfd fds[3];
    nfds_t count = 0;
    fds[count++] = {socket_fd.get(), POLLIN, 0};
    const nfds_t stdin_index = stdin_open ? count : 99;
    if (stdin_open) fds[count++] = {streams.stdin_fd, POLLIN, 0};
    const nfds_t winch_index = window_change && window_change->fd() >= 0 ? count : 99;
    if (winch_index != 99) fds[count++] = {window_change->fd(), POLLIN, 0};

    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll the attach socket");
    }

    if (fds[0].revents != 0) {
      ssize_t n;
      do {
        n = ::recv(socket_fd.get(), frame_buffer.data(), frame_buffer.size(), MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      if (n < 0 && errno != EAGAIN) {
        // The monitor closed with our input unread: the kernel reports ECONNRESET once, before
        // the frames still queued for us (the exit code among them). Read on; EOF decides.
        if (errno == ECONNRESET && !connection_reset) {
          connection_reset = true;
          stdin_open = false;
          continue;
        }
        if (errno == ECONNRESET) return fail("lost the connection to the container's monitor");
        return fail_errno("receive from the container's monitor");
      }
      if (n == 0) return fail("lost the connection to the container's monitor");
      if (n > 0) {
        const auto type = static_cast<FrameType>(frame_buffer[0]);
        std::string_view payload(frame_buffer.data() + 1, static_cast<size_t>(n) - 1);
        if (type == FrameType::kStdout) {
          KRILL_CHECK(write_all(streams.stdout_fd, payload));
        } else if (type == FrameType::kStderr) {
          KRILL_CHECK(write_all(streams.stderr_fd, payload));
        } else if (type == FrameType::kExit) {
          int code = 0;
          if (!decode_exit_payload(payload, code))
            return fail("bad exit frame from the container's monitor");
          result.exit_code = code;
          return result;
        }
      }
    }

    if (stdin_index != 99 && fds[stdin_index].revents != 0) {
      ssize_t n = ::read(streams.stdin_fd, input, sizeof(input));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        stdin_open = false;
        std::string held(detach.held());
        // A monitor that has gone away already sent the exit code: read on for it.
        if (!held.empty()) (void)send_frame(socket_fd.get(), encode_frame(FrameType::kStdin, held));
        (void)send_frame(socket_fd.get(), encode_frame(FrameType::kStdinEof, {}));
      } else {
        std::string forward;
        const bool detached = detach.feed(std::string_view(input, static_cast<size_t>(n)), forward);
        if (!forward.empty() &&
            !send_frame(socket_fd.get(), encode_frame(FrameType::kStdin, forward)))
          stdin_open = false;  // the monitor is gone; its last frames are still to be read
        if (detached) {
          result.detached = true;
          return result;
        }
      }
    }

    if (winch_index != 99 && fds[winch_index].revents != 0) {
      window_change->drain();
      (void)send_window_size(socket_fd.get(), streams);  // a gone monitor shows up as EOF
    }
  }
}

}  // namespace krill::monitor
