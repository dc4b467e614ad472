#include "runtime/supervise.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

namespace krill::runtime {
namespace {

// Puts the caller's terminal in raw mode while the container owns it.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd_) || ::tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void copy_window_size(int from, int to) {
  winsize size{};
  if (::ioctl(from, TIOCGWINSZ, &size) == 0) ::ioctl(to, TIOCSWINSZ, &size);
}

// Copies what is readable on `from` to `to`; false on end of file or error.
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += w;
  }
  return true;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD, SIGCONT})
    sigaddset(&set, sig);
  return set;
}


Result<int> supervise(pid_t init, int signal_fd, int console) {
  std::optional<RawTerminal> raw;
  if (console >= 0) {
    raw.emplace(STDIN_FILENO);
    copy_window_size(STDIN_FILENO, console);
  }
  bool stdin_open = console >= 0;
  bool console_open = console >= 0;
  for (;;) {
    pollfd fds[3] = {{signal_fd, POLLIN, 0},
                     {console_open ? console : -1, POLLIN, 0},
                     {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("wait for the container");
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
      console_open = pump(console, STDOUT_FILENO) && console_open;
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
      stdin_open = pump(STDIN_FILENO, console);
    if (!(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo info;
    if (::read(signal_fd, &info, sizeof info) != sizeof info) continue;
    const int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t done = ::waitpid(init, &status, WNOHANG);
      if (done == init) {
        while (console_open && pump(console, STDOUT_FILENO)) {
          pollfd more{console, POLLIN, 0};
          if (::poll(&more, 1, 0) <= 0) break;
        }
        return exit_code_of(status);
      }
    } else if (sig == SIGWINCH) {
      if (console >= 0) copy_window_size(STDIN_FILENO, console);
    } else {
      ::kill(init, sig);
    }
  }
}


}  // namespace krill::runtime
