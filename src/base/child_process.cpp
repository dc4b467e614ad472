#include "base/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/unique_fd.h"

namespace krill {
namespace {

// Blocks SIGPIPE in the calling thread while stdin is written to a child that may have exited
// without reading it, so the write fails with EPIPE instead of killing this process. A SIGPIPE
// raised meanwhile is consumed; the signal mask is restored afterwards. No process-wide state
// changes.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        struct timespec zero {};
        while (sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// The forked child; killed and reaped unless it was waited for, so no early return leaks a
// process or a zombie.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }

  // waitpid(pid, 0): blocks. Returns the wait status, or -1 with errno.
  int wait() {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    pid_ = -1;
    return r < 0 ? -1 : status;
  }
  // waitpid(pid, WNOHANG): true when the child was reaped (status stored, -1 on an error).
  bool try_wait(int& status) {
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    if (r < 0) status = -1;
    pid_ = -1;
    return true;
  }

 private:
  pid_t pid_;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads what is available from a non-blocking fd into `buffer` within `cap`; closes the fd at
// EOF or on an error.
void drain(UniqueFd& fd, std::string& buffer, const OutputCap& cap, bool& truncated) {
  char chunk[65536];
  while (fd) {
    ssize_t n = ::read(fd.get(), chunk, sizeof(chunk));
    if (n > 0) {
      const size_t size = static_cast<size_t>(n);
      if (cap.keep == OutputCap::Keep::kTail) {
        buffer.append(chunk, size);
        if (buffer.size() > 2 * cap.limit) buffer.erase(0, buffer.size() - cap.limit);
      } else if (buffer.size() + size > cap.limit) {
        buffer.append(chunk, cap.limit - buffer.size());
        truncated = true;
      } else {
        buffer.append(chunk, size);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.reset();
  }
}

// Child side, between fork and execve: async-signal-safe calls only, no allocation.
// A failed chdir is told apart from a failed execve by this bit in the errno sent back.
constexpr int kChdirFailed = 0x40000000;

[[noreturn]] void exec_child(int stdin_fd, int stdout_fd, int stderr_fd, int error_fd,
                             const char* path, char* const* argv, char* const* envp,
                             const char* cwd, bool reset_signals, bool close_other_fds) {
  // Move the pipe ends above 2 first so dup2 never meets itself (dup2(x, x) would leave
  // O_CLOEXEC set on 0-2).
  int in = ::fcntl(stdin_fd, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(stdout_fd, F_DUPFD_CLOEXEC, 3);
  int err = ::fcntl(stderr_fd, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
      ::dup2(err, 2) < 0) {
    int e = errno;
    (void)!::write(error_fd, &e, sizeof(e));
    ::_exit(127);
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    int e = errno | kChdirFailed;
    (void)!::write(error_fd, &e, sizeof(e));
    ::_exit(127);
  }
  if (reset_signals) {
    // A clean signal state: default dispositions, nothing blocked.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
  }
  if (close_other_fds) {
    // Only 0-2 reach the program: descriptors another thread opened without O_CLOEXEC (or a
    // library's) must not leak into it. Marked close-on-exec rather than closed so error_fd
    // stays usable until execve.
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0)
#endif
    {
      struct rlimit limit {};
      int max_fd = 65536;
      if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536)
        max_fd = static_cast<int>(limit.rlim_cur);
      for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  ::execve(path, argv, envp);
  int e = errno;
  (void)!::write(error_fd, &e, sizeof(e));
  ::_exit(127);
}

}  // namespace

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "wait status " + std::to_string(status);
}

bool ChildOutcome::succeeded() const {
  return exec_errno == 0 && chdir_errno == 0 && !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string ChildOutcome::describe() const {
  if (chdir_errno != 0) return std::string("chdir: ") + std::strerror(chdir_errno);
  if (exec_errno != 0) return std::string("exec: ") + std::strerror(exec_errno);
  if (timed_out) return "timed out (killed)";
  return describe_wait_status(wait_status);
}

Result<ChildOutcome> run_child(const ChildSpec& spec) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = spec.argv;
  if (args.empty()) args.push_back(spec.path);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = spec.env;
  std::vector<char*> envp;
  for (auto& var : env) envp.push_back(var.data());
  envp.push_back(nullptr);

  Pipe in = KRILL_TRY(make_pipe());
  Pipe out = KRILL_TRY(make_pipe());
  Pipe err = KRILL_TRY(make_pipe());
  Pipe exec_error = KRILL_TRY(make_pipe());

  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    exec_child(in.read.get(), out.write.get(), err.write.get(), exec_error.write.get(),
               spec.path.c_str(), argv.data(), envp.data(),
               spec.cwd.empty() ? nullptr : spec.cwd.c_str(), spec.reset_signals,
               spec.close_other_fds);
  }
  Child child(pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  exec_error.write.reset();

  ChildOutcome outcome;
  // The exec-error pipe closes on a successful execve (O_CLOEXEC) or carries its errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error.read.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    outcome.wait_status = child.wait();
    if (exec_errno & kChdirFailed)
      outcome.chdir_errno = (exec_errno & ~kChdirFailed) != 0 ? exec_errno & ~kChdirFailed : EIO;
    else
      outcome.exec_errno = exec_errno != 0 ? exec_errno : EIO;
    return outcome;
  }

  for (int fd : {in.write.get(), out.read.get(), err.read.get()})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  // Readable when the child exits, even if something it started still holds the pipes.
  UniqueFd pidfd;
#ifdef SYS_pidfd_open
  pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#endif

  using Clock = std::chrono::steady_clock;
  const bool has_timeout = spec.timeout.has_value();
  const Clock::time_point deadline =
      has_timeout ? Clock::now() + *spec.timeout : Clock::time_point::max();

  SigpipeBlock sigpipe_block;
  std::string_view to_write = spec.stdin_data;
  if (to_write.empty()) in.write.reset();
  int status = 0;
  bool exited = false;

  // A child may print before it has read all of its input, and either output pipe can fill up
  // while we wait on another: all three are served together.
  while (!exited) {
    pollfd fds[4];
    nfds_t count = 0;
    int in_index = -1, out_index = -1, err_index = -1, pid_index = -1;
    if (in.write) {
      in_index = static_cast<int>(count);
      fds[count++] = {in.write.get(), POLLOUT, 0};
    }
    if (out.read) {
      out_index = static_cast<int>(count);
      fds[count++] = {out.read.get(), POLLIN, 0};
    }
    if (err.read) {
      err_index = static_cast<int>(count);
      fds[count++] = {err.read.get(), POLLIN, 0};
    }
    if (pidfd) {
      pid_index = static_cast<int>(count);
      fds[count++] = {pidfd.get(), POLLIN, 0};
    }

    int timeout_ms = -1;
    if (has_timeout) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      // Clamped: a timeout of weeks must not overflow poll's int.
      timeout_ms = left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30)) + 1;
    }
    // Without a pidfd (or with all pipes closed), look at the child regularly.
    if (!pidfd && (timeout_ms < 0 || timeout_ms > 20)) timeout_ms = 20;

    int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0 && errno != EINTR) return fail_errno("poll");

    if (ready > 0) {
      if (in_index >= 0 && fds[in_index].revents) {
        ssize_t w = ::write(in.write.get(), to_write.data(), to_write.size());
        if (w > 0) to_write.remove_prefix(static_cast<size_t>(w));
        // EPIPE: the child closed stdin without reading all of it; that is its right.
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || to_write.empty()) in.write.reset();
      }
      if (out_index >= 0 && fds[out_index].revents)
        drain(out.read, outcome.stdout_text, spec.stdout_cap, outcome.stdout_truncated);
      if (err_index >= 0 && fds[err_index].revents)
        drain(err.read, outcome.stderr_text, spec.stderr_cap, outcome.stderr_truncated);
    }

    if (!pidfd || (pid_index >= 0 && ready > 0 && fds[pid_index].revents)) {
      exited = child.try_wait(status);
      if (exited && status == -1) return fail_errno("wait");
    }
    if (!exited && has_timeout && Clock::now() >= deadline) {
      ::kill(child.pid(), SIGKILL);
      outcome.wait_status = child.wait();
      outcome.timed_out = true;
      // What it printed before it was killed is part of the report.
      drain(out.read, outcome.stdout_text, spec.stdout_cap, outcome.stdout_truncated);
      drain(err.read, outcome.stderr_text, spec.stderr_cap, outcome.stderr_truncated);
      return outcome;
    }
  }

  // Collect what the child wrote before it exited; a process it left behind may hold the pipes
  // open, so do not wait for EOF.
  drain(out.read, outcome.stdout_text, spec.stdout_cap, outcome.stdout_truncated);
  drain(err.read, outcome.stderr_text, spec.stderr_cap, outcome.stderr_truncated);
  outcome.wait_status = status;
  return outcome;
}

}  // namespace krill
