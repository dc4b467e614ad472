#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "base/unique_fd.h"

namespace krill::runtime {
namespace {

constexpr size_t kOutputLimit = 64 * 1024;  // bytes kept of each of stdout and stderr

// Blocks SIGPIPE in the calling thread while the state is written to a hook
// that may have exited without reading it, so the write fails with EPIPE
// instead of killing the runtime. A SIGPIPE raised meanwhile is consumed;
// the signal mask is restored afterwards. No process-wide state changes.
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

// A forked hook process; kills and reaps it unless it was waited for.
class HookChild {
 public:
  explicit HookChild(pid_t pid) : pid_(pid) {}
  HookChild(const HookChild&) = delete;
  HookChild& operator=(const HookChild&) = delete;
  ~HookChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  bool reaped() const { return pid_ <= 0; }

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
  // waitpid(pid, WNOHANG): true when the child was reaped (status stored).
  bool try_wait(int& status) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
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

Result<Pipe> make_pipe(const std::string& label) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno(label + ": pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void append_bounded(std::string& buffer, const char* data, size_t size) {
  buffer.append(data, size);
  if (buffer.size() > 2 * kOutputLimit) buffer.erase(0, buffer.size() - kOutputLimit);
}

// Reads what is available from a non-blocking fd; closes it at EOF or error.
void drain(UniqueFd& fd, std::string& buffer) {
  char chunk[4096];
  while (fd) {
    ssize_t n = ::read(fd.get(), chunk, sizeof(chunk));
    if (n > 0) {
      append_bounded(buffer, chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.reset();
  }
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  const size_t newline = text.rfind('\n');
  if (newline != std::string::npos) text.erase(0, newline + 1);
  return text;
}

// Child side, between fork and execve: async-signal-safe calls only.
[[noreturn]] void exec_hook(int stdin_fd, int stdout_fd, int stderr_fd, int error_fd,
                            const char* path, char* const* argv, char* const* envp) {
  // Move the pipe ends above 2 first so dup2 never meets itself (dup2(x, x)
  // would leave O_CLOEXEC set).
  int in = ::fcntl(stdin_fd, F_DUPFD, 3);
  int out = ::fcntl(stdout_fd, F_DUPFD, 3);
  int err = ::fcntl(stderr_fd, F_DUPFD, 3);
  if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
      ::dup2(err, 2) < 0) {
    int e = errno;
    (void)!::write(error_fd, &e, sizeof(e));
    ::_exit(127);
  }
  // A clean signal state: default dispositions, nothing blocked.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Only 0-2 reach the hook: mark everything else close-on-exec.
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
  ::execve(path, argv, envp);
  int e = errno;
  (void)!::write(error_fd, &e, sizeof(e));
  ::_exit(127);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "wait status " + std::to_string(status);
}

}  // namespace

Result<void> run_hook(const oci::Hook& hook, std::string_view state_json, std::string_view phase,
                      size_t number) {
  const std::string label =
      std::string(phase) + " hook #" + std::to_string(number) + " (" + hook.path + ")";
  if (hook.path.empty())
    return fail(std::string(phase) + " hook #" + std::to_string(number) + ": empty path");

  // Everything the child needs is built before fork.
  std::vector<std::string> args = hook.args;
  if (args.empty()) args.push_back(hook.path);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  std::vector<char*> envp;
  for (auto& var : env) envp.push_back(var.data());
  envp.push_back(nullptr);

  Pipe in = KRILL_TRY(make_pipe(label));
  Pipe out = KRILL_TRY(make_pipe(label));
  Pipe err = KRILL_TRY(make_pipe(label));
  Pipe exec_error = KRILL_TRY(make_pipe(label));

  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno(label + ": fork");
  if (pid == 0) {
    exec_hook(in.read.get(), out.write.get(), err.write.get(), exec_error.write.get(),
              hook.path.c_str(), argv.data(), envp.data());
  }
  HookChild child(pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  exec_error.write.reset();

  // The exec-error pipe closes on a successful execve (O_CLOEXEC).
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error.read.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    child.wait();
    return fail_errno(label + ": exec", exec_errno);
  }

  for (int fd : {in.write.get(), out.read.get(), err.read.get()})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  UniqueFd pidfd;
#ifdef SYS_pidfd_open
  pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#endif

  using Clock = std::chrono::steady_clock;
  const bool has_timeout = hook.timeout.has_value() && *hook.timeout > 0;
  const Clock::time_point deadline =
      has_timeout ? Clock::now() + std::chrono::seconds(*hook.timeout) : Clock::time_point::max();

  SigpipeBlock sigpipe_block;
  std::string_view to_write = state_json;
  if (to_write.empty()) in.write.reset();
  std::string stdout_text, stderr_text;
  int status = 0;
  bool exited = false;

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
      timeout_ms = left < 0 ? 0 : static_cast<int>(left) + 1;
    }
    // Without a pidfd (or with all pipes closed), look at the child regularly.
    if (!pidfd && (timeout_ms < 0 || timeout_ms > 20)) timeout_ms = 20;

    int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0 && errno != EINTR) return fail_errno(label + ": poll");

    if (ready > 0) {
      if (in_index >= 0 && fds[in_index].revents) {
        ssize_t w = ::write(in.write.get(), to_write.data(), to_write.size());
        if (w > 0) to_write.remove_prefix(static_cast<size_t>(w));
        // EPIPE: the hook closed stdin without reading; that is its right.
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || to_write.empty()) in.write.reset();
      }
      if (out_index >= 0 && fds[out_index].revents) drain(out.read, stdout_text);
      if (err_index >= 0 && fds[err_index].revents) drain(err.read, stderr_text);
    }

    if (!pidfd || (pid_index >= 0 && ready > 0 && fds[pid_index].revents)) {
      exited = child.try_wait(status);
      if (exited && status == -1) return fail_errno(label + ": wait");
    }
    if (!exited && has_timeout && Clock::now() >= deadline) {
      ::kill(child.pid(), SIGKILL);
      child.wait();
      return fail(label + " timed out after " + std::to_string(*hook.timeout) + "s");
    }
  }

  // Collect what the hook wrote before it exited; a daemon it left behind may
  // hold the pipes open, so do not wait for EOF.
  drain(out.read, stdout_text);
  drain(err.read, stderr_text);

  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string message = label + ": " + describe_status(status);
  std::string line = last_line(stderr_text);
  if (line.empty()) line = last_line(stdout_text);
  if (!line.empty()) message += ": " + line;
  return fail(message);
}

Result<void> run_hooks(const std::vector<oci::Hook>& hooks, std::string_view state_json,
                       std::string_view phase) {
  for (size_t i = 0; i < hooks.size(); ++i)
    KRILL_CHECK(run_hook(hooks[i], state_json, phase, i + 1));
  return {};
}

std::vector<std::string> run_hooks_best_effort(const std::vector<oci::Hook>& hooks,
                                               std::string_view state_json,
                                               std::string_view phase) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < hooks.size(); ++i) {
    auto result = run_hook(hooks[i], state_json, phase, i + 1);
    if (!result) warnings.push_back(result.error().message());
  }
  return warnings;
}

}  // namespace krill::runtime
