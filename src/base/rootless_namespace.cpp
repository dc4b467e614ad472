// The shared rootless namespace: find the pause process, or fork one that unshares a user and
// mount namespace (id maps written by the parent), then setns into both.
#include "base/rootless_namespace.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "base/file_io.h"
#include "base/file_lock.h"
#include "base/process_stat.h"
#include "base/program_path.h"
#include "base/unique_fd.h"
#include "base/user_namespace.h"

namespace krill {
namespace {

constexpr const char* kWhere = "join the rootless user namespace: ";

struct PauseRecord {
  pid_t pid = 0;
  uint64_t start_time = 0;
};

std::optional<PauseRecord> read_pause_record(const std::string& run_root) {
  auto text = read_file(pause_pid_file(run_root));
  if (!text) return std::nullopt;
  PauseRecord record;
  char* end = nullptr;
  long pid = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || pid <= 1) return std::nullopt;
  record.pid = static_cast<pid_t>(pid);
  record.start_time = std::strtoull(end, nullptr, 10);
  if (!process_alive(record.pid, record.start_time)) return std::nullopt;
  return record;
}

int thread_count() {
  auto status = read_file("/proc/self/status");
  if (!status) return -1;
  size_t at = status->find("\nThreads:");
  if (at == std::string::npos) return -1;
  return std::atoi(status->c_str() + at + 9);
}

// The pause process's life after the namespaces exist: no fds, no working directory in the
// caller's tree, no controlling terminal, deaf to the terminal's signals. SIGTERM/SIGKILL end it.
[[noreturn]] void pause_forever(const char* catatonit) {
  ::syscall(SYS_close_range, 0U, ~0U, 0U);
  int null_fd = ::open("/dev/null", O_RDWR);  // becomes 0
  if (null_fd == 0) {
    (void)::dup2(0, 1);
    (void)::dup2(0, 2);
  }
  (void)::chdir("/");
  if (catatonit[0] != '\0') {
    const char* argv[] = {"catatonit", "-P", nullptr};
    const char* envp[] = {nullptr};
    ::execve(catatonit, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
  }
  ::prctl(PR_SET_NAME, "krill-pause", 0, 0, 0);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (;;) ::pause();
}

// Forks the pause process, maps its ids and records it in pause.pid.
Result<pid_t> create_pause_process(const std::string& run_root) {
  int to_parent[2], to_child[2];
  if (::pipe2(to_parent, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd parent_read(to_parent[0]), child_write(to_parent[1]);
  if (::pipe2(to_child, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd child_read(to_child[0]), parent_write(to_child[1]);
  // catatonit's pause mode (`catatonit -P`, podman's pause process) when it is installed: a
  // tiny program, so the pause process holds neither krill's memory nor its binary.
  const std::string catatonit = find_catatonit();

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork the pause process");
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    char byte = 0;
    if (::setsid() < 0) ::_exit(125);
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) ::_exit(125);
    if (::write(child_write.get(), "u", 1) != 1) ::_exit(125);
    if (::read(child_read.get(), &byte, 1) != 1 || byte != 'm') ::_exit(125);
    (void)::setresgid(0, 0, 0);
    (void)::setresuid(0, 0, 0);
    pause_forever(catatonit.c_str());
  }
  child_write.reset();
  child_read.reset();
  auto give_up = [&](Error error) -> Result<pid_t> {
    ::kill(pid, SIGKILL);
    return std::unexpected(std::move(error));
  };
  char byte = 0;
  if (::read(parent_read.get(), &byte, 1) != 1)
    return give_up(
        Error("unshare a user and mount namespace failed (are user namespaces "
              "enabled? see /proc/sys/user/max_user_namespaces)"));
  if (auto mapped = write_id_maps(pid); !mapped) return give_up(mapped.error());
  auto start_time = process_start_time(pid);
  if (!start_time) return give_up(start_time.error());
  if (auto saved = write_file_atomic(pause_pid_file(run_root),
                                     std::to_string(pid) + " " + std::to_string(*start_time) + "\n",
                                     0600, Durability::kVolatile);
      !saved)
    return give_up(saved.error());
  if (::write(parent_write.get(), "m", 1) != 1) return give_up(Error("signal the pause process"));
  return pid;
}

Result<void> join_namespaces_of(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
  UniqueFd user(::open((proc + "user").c_str(), O_RDONLY | O_CLOEXEC));
  if (user.get() < 0) return fail_errno("open " + proc + "user");
  UniqueFd mnt(::open((proc + "mnt").c_str(), O_RDONLY | O_CLOEXEC));
  if (mnt.get() < 0) return fail_errno("open " + proc + "mnt");
  // setns of a mount namespace moves the working directory to its root: come back to it.
  char cwd[PATH_MAX];
  const bool have_cwd = ::getcwd(cwd, sizeof cwd) != nullptr;
  UniqueFd cwd_fd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (::setns(user.get(), CLONE_NEWUSER) != 0) return fail_errno("setns " + proc + "user");
  if (::setns(mnt.get(), CLONE_NEWNS) != 0) return fail_errno("setns " + proc + "mnt");
  if (!(have_cwd && ::chdir(cwd) == 0) && cwd_fd.get() >= 0) (void)::fchdir(cwd_fd.get());
  return {};
}

}  // namespace

std::string pause_pid_file(const std::string& run_root) { return run_root + "/pause.pid"; }

std::optional<pid_t> find_pause_process(const std::string& run_root) {
  auto record = read_pause_record(run_root);
  if (!record) return std::nullopt;
  return record->pid;
}

Result<void> join_rootless_namespace(const std::string& run_root) {
  if (int threads = thread_count(); threads != 1)
    return fail(std::string(kWhere) + "the process has " + std::to_string(threads) +
                " threads (setns needs exactly one)");
  auto ready = [&]() -> Result<pid_t> {
    KRILL_CHECK(mkdir_all(run_root, 0700));
    auto lock = KRILL_TRY(FileLock::exclusive(run_root + "/pause.lock"));
    if (auto record = read_pause_record(run_root)) return record->pid;
    return create_pause_process(run_root);
  }();
  if (!ready) return fail(kWhere + ready.error().message());
  if (auto joined = join_namespaces_of(*ready); !joined)
    return fail(kWhere + joined.error().message());
  ::setenv(kInUserNamespaceEnv, "1", 1);
  return {};
}

Result<bool> stop_pause_process(const std::string& run_root) {
  auto record = read_pause_record(run_root);
  if (record && ::kill(record->pid, SIGKILL) != 0 && errno != ESRCH)
    return fail_errno("stop the pause process " + std::to_string(record->pid));
  if (::unlink(pause_pid_file(run_root).c_str()) != 0 && errno != ENOENT)
    return fail_errno("remove " + pause_pid_file(run_root));
  return record.has_value();
}

}  // namespace krill
