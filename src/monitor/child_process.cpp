#include "monitor/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

namespace krill::monitor {
namespace {

constexpr int kMonitorSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// In the forked child: only async-signal-safe calls, no allocation.
[[noreturn]] void exec_child(char* const* argv, int stdin_fd, int stdout_fd, int stderr_fd,
                             bool new_session) {
  int sources[3] = {stdin_fd, stdout_fd, stderr_fd};
  const int null_fd = ::open("/dev/null", O_RDWR);
  for (int& fd : sources) {
    if (fd < 0) fd = null_fd;
    // Move out of the 0..2 range first so that dup2 below never clobbers a source.
    fd = ::fcntl(fd, F_DUPFD, 10);
    if (fd < 0) ::_exit(127);
  }
  for (int target = 0; target < 3; ++target) {
    if (::dup2(sources[target], target) < 0) ::_exit(127);
  }
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (new_session) ::setsid();
  ::execvp(argv[0], argv);
  ::_exit(127);
}

}  // namespace

Result<pid_t> spawn_process(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd,
                            int stderr_fd, bool new_session) {
  if (argv.empty()) return fail("spawn: empty command");
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork for " + argv[0]);
  if (pid == 0) exec_child(pointers.data(), stdin_fd, stdout_fd, stderr_fd, new_session);
  return pid;
}

int exit_code_from_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

Result<ChildReaper> ChildReaper::open() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kMonitorSignals) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return fail_errno("block signals");
  ::signal(SIGPIPE, SIG_IGN);
  ChildReaper reaper;
  reaper.signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!reaper.signal_fd_) return fail_errno("create signalfd");
  return reaper;
}

void ChildReaper::reap_all() {
  while (true) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      if (pid < 0 && errno == EINTR) continue;
      return;
    }
    statuses_[pid] = status;
  }
}

std::vector<int> ChildReaper::handle_signals() {
  std::vector<int> others;
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (static_cast<int>(info.ssi_signo) != SIGCHLD) others.push_back(info.ssi_signo);
  }
  reap_all();
  return others;
}

std::optional<int> ChildReaper::take_status(pid_t pid) {
  auto it = statuses_.find(pid);
  if (it == statuses_.end()) return std::nullopt;
  const int status = it->second;
  statuses_.erase(it);
  return status;
}

std::optional<int> ChildReaper::wait_for(pid_t pid, int timeout_ms) {
  const int64_t deadline = monotonic_ms() + timeout_ms;
  while (true) {
    reap_all();
    if (auto status = take_status(pid)) return status;
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      const int64_t left = deadline - monotonic_ms();
      if (left <= 0) return std::nullopt;
      wait_ms = static_cast<int>(left);
    }
    struct pollfd p {
      signal_fd_.get(), POLLIN, 0
    };
    ::poll(&p, 1, wait_ms);
    handle_signals();
  }
}

}  // namespace krill::monitor
