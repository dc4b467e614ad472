#include "engine/health_check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>

#include "base/file_io.h"
#include "base/file_lock.h"
#include "base/unique_fd.h"

namespace krill::engine {

Result<std::optional<HealthState>> read_health_state(const std::string& state_path) {
  auto text = read_file(state_path);
  if (!text) {
    if (text.error().errno_value() == ENOENT) return std::optional<HealthState>();
    return std::unexpected(text.error());
  }
  auto state = health_state_from_json(*text);
  if (!state) return std::unexpected(state.error().context(state_path));
  return std::optional<HealthState>(std::move(*state));
}

Result<void> reset_health_state(const HealthFiles& files, int64_t started_ns) {
  auto lock = KRILL_TRY(FileLock::exclusive(files.lock_path));
  HealthState previous;
  if (auto current = read_health_state(files.state_path); current && *current)
    previous = **current;  // an unreadable state is replaced
  return write_file_atomic(files.state_path,
                           health_state_to_json(health_state_for_start(previous, started_ns)), 0600,
                           Durability::kVolatile);
}

Result<void> remove_health_state(const HealthFiles& files) {
  if (::unlink(files.state_path.c_str()) != 0 && errno != ENOENT)
    return fail_errno("remove " + files.state_path);
  return {};
}

namespace {

// Runs the probe once, makes its result Docker's and records it with `apply` in the state of the
// container run that started at started_ns.
Result<HealthCheckRun> run_and_record(
    const HealthFiles& files, int64_t timeout_ns, int64_t started_ns, const ProbeRunner& probe,
    const HealthClock& clock,
    const std::function<void(HealthState&, const HealthLogEntry&, HealthCheckRun&)>& apply) {
  HealthCheckRun run;
  run.result.start_ns = clock();
  auto outcome = probe(timeout_ns);
  run.result.end_ns = clock();
  if (!outcome) {
    run.result.exit_code = -1;
    run.result.output = outcome.error().message();
  } else if (outcome->timed_out) {
    run.result.exit_code = -1;
    run.result.output = "Health check exceeded timeout (" + go_duration_text(timeout_ns) + ")";
  } else {
    run.result.exit_code = outcome->exit_code;
    run.result.output = std::move(outcome->output);
  }
  if (run.result.output.size() > kHealthOutputLimit) run.result.output.resize(kHealthOutputLimit);

  auto lock = KRILL_TRY(FileLock::exclusive(files.lock_path));
  auto current = KRILL_TRY(read_health_state(files.state_path));
  if (!current || current->container_started_ns != started_ns) {
    // Restarted (or removed) while the probe ran: this result is about a run that is over.
    run.recorded = false;
    run.state = current.value_or(HealthState{});
    return run;
  }
  run.state = *current;
  apply(run.state, run.result, run);
  KRILL_CHECK(write_file_atomic(files.state_path, health_state_to_json(run.state), 0600,
                                Durability::kVolatile));
  return run;
}

}  // namespace

Result<HealthCheckRun> run_health_check(const HealthFiles& files, const HealthcheckRequest& check,
                                        int64_t started_ns, const ProbeRunner& probe,
                                        const HealthClock& clock) {
  return run_and_record(files, check.timeout_ns, started_ns, probe, clock,
                        [&](HealthState& state, const HealthLogEntry& result, HealthCheckRun&) {
                          apply_health_result(state, result, check);
                        });
}

Result<HealthCheckRun> run_startup_check(const HealthFiles& files,
                                         const StartupHealthcheckRequest& check, int64_t started_ns,
                                         const ProbeRunner& probe, const HealthClock& clock) {
  return run_and_record(files, check.timeout_ns, started_ns, probe, clock,
                        [&](HealthState& state, const HealthLogEntry& result, HealthCheckRun& run) {
                          run.startup = true;
                          run.startup_verdict = apply_startup_result(state, result, check);
                        });
}

namespace {

int64_t monotonic_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void kill_check_in_container(const std::string& pid_file) {
  auto text = read_file(pid_file);
  if (!text) return;
  const long pid = std::atol(text->c_str());
  if (pid > 1) ::kill(static_cast<pid_t>(pid), SIGKILL);
}

}  // namespace

Result<ProbeOutcome> run_probe_process(const std::vector<std::string>& argv, int64_t timeout_ns,
                                       const std::string& pid_file) {
  if (argv.empty()) return fail("run the healthcheck: empty command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("run the healthcheck: pipe");
  UniqueFd out_read(fds[0]), out_write(fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno("run the healthcheck: fork");
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_write.get(), 1) < 0 ||
        ::dup2(out_write.get(), 2) < 0)
      ::_exit(127);
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  out_write.reset();
  ProbeOutcome outcome;
  const int64_t deadline = monotonic_ns() + timeout_ns;
  bool open = true;
  while (open) {
    const int64_t left_ns = deadline - monotonic_ns();
    if (left_ns <= 0) {
      outcome.timed_out = true;
      break;
    }
    struct pollfd p = {out_read.get(), POLLIN, 0};
    const int timeout_ms = static_cast<int>(std::min<int64_t>(left_ns / 1000000 + 1, 60000));
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(out_read.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
      break;
    }
    if (outcome.output.size() < kHealthOutputLimit)
      outcome.output.append(
          buffer, std::min(static_cast<size_t>(n), kHealthOutputLimit - outcome.output.size()));
  }
  int status = 0;
  if (outcome.timed_out) {
    kill_check_in_container(pid_file);
    // The runtime returns once its process is gone; one that does not is killed too.
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      if (i == 20) ::kill(pid, SIGKILL);
      ::usleep(10000);
    }
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    ::unlink(pid_file.c_str());
    return outcome;
  }
  // EOF on the output: the process (and what inherited its output) is done, or closed it.
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return fail_errno("run the healthcheck: waitpid");
    if (monotonic_ns() >= deadline) {
      outcome.timed_out = true;
      kill_check_in_container(pid_file);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ::unlink(pid_file.c_str());
      return outcome;
    }
    ::usleep(2000);
  }
  ::unlink(pid_file.c_str());
  if (WIFEXITED(status))
    outcome.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    outcome.exit_code = 128 + WTERMSIG(status);
  else
    outcome.exit_code = -1;
  return outcome;
}

}  // namespace krill::engine
