#include "network/netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/unique_fd.h"

namespace krill::network {
namespace {

// What the child reports when a step fails; it exits 0 only when the mount is in place.
struct ChildFailure {
  int step;
  int err;
};
enum Step : int { kUnshare = 1, kLoopback, kMount };

const char* step_name(int step) {
  switch (step) {
    case kUnshare:
      return "unshare";
    case kLoopback:
      return "bring up lo";
    case kMount:
      return "mount";
    default:
      return "child";
  }
}

// Child side, after fork: async-signal-safe calls only (the caller may have other threads).
[[noreturn]] void make_netns_child(const char* path, int report_fd) {
  int step = kUnshare;
  if (::unshare(CLONE_NEWNET) == 0) {
    step = kLoopback;
    // A new namespace has "lo" down; containers expect 127.0.0.1 to work.
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request {};
    std::memcpy(request.ifr_name, "lo", 3);
    if (sock >= 0 && ::ioctl(sock, SIOCGIFFLAGS, &request) == 0) {
      request.ifr_flags |= IFF_UP | IFF_RUNNING;
      if (::ioctl(sock, SIOCSIFFLAGS, &request) == 0) {
        step = kMount;
        // The bind mount keeps the namespace alive after this process exits.
        if (::mount("/proc/self/ns/net", path, nullptr, MS_BIND, nullptr) == 0) ::_exit(0);
      }
    }
  }
  ChildFailure failure{step, errno};
  (void)!::write(report_fd, &failure, sizeof(failure));
  ::_exit(1);
}

}  // namespace

Result<void> create_persistent_netns(const std::string& path) {
  const std::string context = "create network namespace " + path;
  {
    // O_EXCL: an existing file (perhaps another container's namespace) is never taken over.
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!file) return fail_errno(context + ": create");
  }
  // From here on, a failure removes the file this call created.
  const auto undo = [&](Error error) -> Result<void> {
    ::umount2(path.c_str(), MNT_DETACH);  // in case the child got as far as the mount
    ::unlink(path.c_str());
    return std::unexpected(std::move(error));
  };

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return undo(Error::from_errno(context + ": pipe"));
  UniqueFd report_read(pipe_fds[0]);
  UniqueFd report_write(pipe_fds[1]);

  // A child does the unshare so that the calling thread never leaves its own namespace.
  const pid_t pid = ::fork();
  if (pid < 0) return undo(Error::from_errno(context + ": fork"));
  if (pid == 0) make_netns_child(path.c_str(), report_write.get());
  report_write.reset();

  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) return undo(Error::from_errno(context + ": wait"));

  if (n == static_cast<ssize_t>(sizeof(failure)))
    return undo(Error::from_errno(context + ": " + step_name(failure.step), failure.err));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return undo(Error(context + ": child failed with wait status " + std::to_string(status)));
  return {};
}

Result<void> remove_persistent_netns(const std::string& path) {
  const std::string context = "remove network namespace " + path;
  // Lazily: a process still inside (or holding an fd to) the namespace keeps it, not the file.
  // Repeated in case mounts are stacked on the path; EINVAL means nothing (more) is mounted.
  for (int i = 0; i < 16; ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;
    return fail_errno(context + ": umount");
  }
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return fail_errno(context + ": unlink");
  return {};
}

namespace {

// Returns the calling thread to its own namespace, whatever way the scope is left.
class NetnsReturn {
 public:
  NetnsReturn(UniqueFd own, const std::string& path) : own_(std::move(own)), path_(path) {}
  NetnsReturn(const NetnsReturn&) = delete;
  NetnsReturn& operator=(const NetnsReturn&) = delete;
  ~NetnsReturn() {
    if (::setns(own_.get(), CLONE_NEWNET) == 0) return;
    // The thread would go on in the container's namespace: every later socket, route or
    // iptables call of this thread would act on the wrong network. Nothing can recover that.
    std::fprintf(stderr,
                 "krill: fatal: cannot return to the original network namespace after entering "
                 "%s: %s\n",
                 path_.c_str(), std::strerror(errno));
    std::abort();
  }

 private:
  UniqueFd own_;
  const std::string& path_;
};

}  // namespace

Result<void> in_netns(const std::string& path, const std::function<Result<void>()>& fn) {
  const std::string context = "enter network namespace " + path;
  // thread-self, not self: setns changes only the calling thread.
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) return fail_errno(context + ": open /proc/thread-self/ns/net");
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return fail_errno(context + ": open");
  if (::setns(target.get(), CLONE_NEWNET) < 0) return fail_errno(context + ": setns");
  NetnsReturn back(std::move(own), path);
  return fn();
}

}  // namespace krill::network
