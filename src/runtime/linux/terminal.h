// Pseudo-terminals for containers with process.terminal: allocating the pty,
// making it the controlling terminal of the container process, handing the
// master to a --console-socket listener, and proxying it for attached runs.
#pragma once

#include <sys/signalfd.h>
#include <termios.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::linux_ns {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;  // e.g. /dev/pts/3, as seen by the caller (informational)
};

// Opens `ptmx_path` (O_RDWR | O_NOCTTY | O_CLOEXEC), unlocks the pair and opens
// the slave. With TIOCGPTPEER (Linux 4.13+) the slave comes straight from the
// master, with no path lookup that a container could redirect; otherwise the
// slave is opened by path (<dir of ptmx>/pts/N, or <dir>/N when the ptmx is
// itself inside a devpts mount). Both fds are close-on-exec.
Result<Pty> open_pty(const char* ptmx_path = "/dev/ptmx");

struct WindowSize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};

Result<void> set_window_size(int fd, uint16_t rows, uint16_t cols);
Result<WindowSize> get_window_size(int fd);

// In the container process before execve: setsid(), make `slave_fd` the
// controlling terminal (TIOCSCTTY) and dup2 it onto 0, 1 and 2. Does not
// allocate unless it fails; `slave_fd` itself stays open (the caller's).
Result<void> become_session_leader_with_terminal(int slave_fd);

// runc's console-socket protocol: connect to the unix socket at `path` and
// send `master_fd` with the payload "/dev/ptmx".
Result<void> send_console(const std::string& console_socket_path, int master_fd);
// The same over an already connected socket (runc connects in the runtime
// process and passes the socket to the container init).
Result<void> send_console_over(int socket_fd, int master_fd);

// For attached `run -t` / `exec -t`: copies in_fd -> master and master ->
// out_fd until the master hangs up (every slave fd closed), then returns.
// - When in_fd is a terminal it is put in raw mode, restored on return.
// - The master gets the window size of in_fd (or out_fd) when that is a tty.
// - `signal_fd` (or -1) is a signalfd; on SIGWINCH the new size of in_fd/out_fd
//   is copied to the master; any other signal is passed to `on_signal`.
// - EOF on in_fd sends the terminal's EOF character (VEOF) to the container.
// in_fd and out_fd keep their file status flags; the master is made
// non-blocking. Writing to a closed out_fd raises SIGPIPE as any write would;
// callers that must survive that ignore or block SIGPIPE.
Result<void> proxy_terminal(int master_fd, int in_fd, int out_fd, int signal_fd,
                            const std::function<void(const signalfd_siginfo&)>& on_signal = {});

// Puts a terminal in raw mode for its lifetime (cfmakeraw), restoring the
// saved attributes on destruction. Does nothing when fd is not a terminal.
class RawTerminalMode {
 public:
  static Result<RawTerminalMode> enter(int fd);
  RawTerminalMode(RawTerminalMode&& other) noexcept;
  RawTerminalMode& operator=(RawTerminalMode&&) = delete;
  RawTerminalMode(const RawTerminalMode&) = delete;
  ~RawTerminalMode();

 private:
  RawTerminalMode() = default;
  int fd_ = -1;  // -1: nothing to restore
  struct termios saved_ {};
};

}  // namespace krill::linux_ns
