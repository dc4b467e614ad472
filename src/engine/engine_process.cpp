// Child processes the engine runs: the runtime binary (captured or with the caller's stdio)
// and krill-monitor (detached).
#include <fcntl.h>
#include <linux/limits.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "base/file_io.h"
#include "engine/engine_internal.h"

extern char** environ;

namespace krill::engine {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

Result<int> wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno("waitpid " + std::to_string(pid));
  }
  return decode_status(status);
}

std::string read_all(int fd) {
  std::string data;
  ::lseek(fd, 0, SEEK_SET);
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace

namespace {

Result<UniqueFd> open_lock_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return fail_errno("open lock " + path);
  return fd;
}

std::string lock_path(const std::string& store_root, const std::string& id) {
  return store_root + "/engine/locks/" + id;
}

}  // namespace

Result<ContainerLock> ContainerLock::acquire(const std::string& store_root, const std::string& id) {
  KRILL_CHECK(mkdir_all(store_root + "/engine/locks", 0700));
  std::string path = lock_path(store_root, id);
  auto fd = KRILL_TRY(open_lock_file(path));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno("lock " + path);
  }
  return ContainerLock(std::move(fd), path);
}

Result<std::optional<ContainerLock>> ContainerLock::try_acquire(const std::string& store_root,
                                                                const std::string& id) {
  KRILL_CHECK(mkdir_all(store_root + "/engine/locks", 0700));
  std::string path = lock_path(store_root, id);
  auto fd = KRILL_TRY(open_lock_file(path));
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::optional<ContainerLock>();
    if (errno != EINTR) return fail_errno("lock " + path);
  }
  return std::optional<ContainerLock>(ContainerLock(std::move(fd), path));
}

void ContainerLock::unlink_file() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Result<RuntimeOutput> run_captured(const std::vector<std::string>& argv) {
  UniqueFd out(static_cast<int>(::syscall(SYS_memfd_create, "krill-out", MFD_CLOEXEC)));
  UniqueFd err(static_cast<int>(::syscall(SYS_memfd_create, "krill-err", MFD_CLOEXEC)));
  if (out.get() < 0 || err.get() < 0) return fail_errno("memfd_create");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigfillset(&defaults);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  auto args = c_argv(argv);
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail_errno("run " + argv[0], rc);
  RuntimeOutput output;
  output.exit_code = KRILL_TRY(wait_child(pid));
  output.out = read_all(out.get());
  output.err = read_all(err.get());
  return output;
}

Result<int> run_inherited(const std::vector<std::string>& argv, std::string* stderr_tail) {
  int err_pipe[2] = {-1, -1};
  if (stderr_tail && ::pipe2(err_pipe, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stderr_tail) posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  auto args = c_argv(argv);
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail_errno("run " + argv[0], rc);
  if (stderr_tail) {
    err_write.reset();
    char buf[4096];
    while (true) {
      ssize_t n = ::read(err_read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      ssize_t off = 0;
      while (off < n) {
        ssize_t w = ::write(2, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) break;
        off += w;
      }
      stderr_tail->append(buf, static_cast<size_t>(n));
      if (stderr_tail->size() > 8192) stderr_tail->erase(0, stderr_tail->size() - 4096);
    }
  }
  return wait_child(pid);
}

std::string runtime_error_text(const RuntimeOutput& output) {
  std::string text = output.err.empty() ? output.out : output.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  auto nl = text.rfind('\n');
  std::string line = nl == std::string::npos ? text : text.substr(nl + 1);
  // runc: time="..." level=error msg="..."
  auto msg = line.find("msg=\"");
  if (msg != std::string::npos) {
    line = line.substr(msg + 5);
    if (!line.empty() && line.back() == '"') line.pop_back();
    std::string unescaped;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      unescaped += line[i];
    }
    line = unescaped;
  }
  if (line.starts_with("Error: ")) line.erase(0, 7);
  if (line.empty()) line = "exit status " + std::to_string(output.exit_code);
  return line;
}

bool is_mount_point(const std::string& path) {
  // statx says it directly (Linux 5.8+): no read of a mount table that can be long.
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &stx) ==
      0) {
    if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  } else if (errno == ENOENT || errno == ENOTDIR) {
    return false;
  }
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    // mountinfo escapes spaces as \040; our paths have none.
    if (mount_point == path) return true;
  }
  return false;
}

Result<void> unmount_path(const std::string& path) {
  for (int i = 0; i < 8 && is_mount_point(path); ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      return fail_errno("unmount " + path);
  }
  return {};
}

std::string self_exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

Result<MonitorLaunch> launch_monitor(const std::string& monitor_binary,
                                     const std::string& monitor_json_path) {
  int status_pipe[2];
  int pid_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd pid_read(pid_pipe[0]), pid_write(pid_pipe[1]);
  std::vector<std::string> argv = {monitor_binary, monitor_json_path};
  auto args = c_argv(argv);
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t middle = ::fork();
  if (middle < 0) {
    int err = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return fail_errno("fork monitor", err);
  }
  if (middle == 0) {
    ::setsid();
    pid_t monitor = ::fork();
    if (monitor < 0) ::_exit(1);
    if (monitor > 0) {
      ssize_t ignored = ::write(pid_write.get(), &monitor, sizeof monitor);
      (void)ignored;
      ::_exit(0);
    }
    for (int sig = 1; sig < 65; ++sig) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDWR);
    int status_fd = ::fcntl(status_write.get(), F_DUPFD_CLOEXEC, 10);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::dup2(status_fd, 3);  // dup2 clears FD_CLOEXEC on fd 3
    ::syscall(SYS_close_range, 4u, ~0u, 0u);
    ::execv(argv[0].c_str(), args.data());
    const char msg[] = "{\"error\":\"exec krill-monitor failed\"}\n";
    ssize_t ignored = ::write(3, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  status_write.reset();
  pid_write.reset();
  KRILL_TRY(wait_child(middle));
  MonitorLaunch launch;
  if (::read(pid_read.get(), &launch.monitor_pid, sizeof launch.monitor_pid) !=
      static_cast<ssize_t>(sizeof launch.monitor_pid))
    return fail("start krill-monitor: fork failed");
  std::string line;
  char c;
  while (true) {
    ssize_t n = ::read(status_read.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    line += c;
  }
  if (line.empty()) return fail("krill-monitor exited without reporting the container's start");
  launch.ready = KRILL_TRY(monitor::monitor_ready_from_json(line));
  return launch;
}

}  // namespace krill::engine
