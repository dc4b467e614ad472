#include "base/user_namespace_fd.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace krill {
namespace {

Result<void> write_map(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  // An id map must be written in one write(2).
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  const int error = n < 0 ? errno : EIO;
  if (n != static_cast<ssize_t>(text.size())) return fail_errno("write " + path, error);
  return {};
}

}  // namespace

std::string format_id_map(const std::vector<IdMapRange>& ranges) {
  std::string text;
  for (const auto& r : ranges)
    text += std::to_string(r.inside) + ' ' + std::to_string(r.outside) + ' ' +
            std::to_string(r.count) + '\n';
  return text;
}

Result<UniqueFd> make_user_namespace_fd(std::string_view uid_map, std::string_view gid_map) {
  int ready[2], go[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return fail_errno("pipe");
  UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  if (::pipe2(go, O_CLOEXEC) < 0) return fail_errno("pipe");
  UniqueFd go_read(go[0]), go_write(go[1]);

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    // Only system calls here. Keep only our ends, so that the parent closing go_write ends the
    // read below.
    ::close(go_write.get());
    ::close(ready_read.get());
    char byte = ::unshare(CLONE_NEWUSER) == 0 ? 1 : 0;
    (void)!::write(ready_write.get(), &byte, 1);
    (void)!::read(go_read.get(), &byte, 1);  // returns when the parent closes go_write
    ::_exit(0);
  }
  ready_write.reset();
  go_read.reset();
  struct Reaper {
    pid_t pid;
    UniqueFd* go;
    ~Reaper() {
      go->reset();
      int status;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  } reaper{pid, &go_write};

  char byte = 0;
  ssize_t n;
  do n = ::read(ready_read.get(), &byte, 1);
  while (n < 0 && errno == EINTR);
  const int read_error = n < 0 ? errno : EPERM;  // the child's unshare failed: most likely EPERM
  if (n != 1 || byte != 1)
    return fail_errno("create user namespace for an idmapped mount", read_error);
  const std::string proc = "/proc/" + std::to_string(pid);
  KRILL_CHECK(write_map(proc + "/uid_map", uid_map));
  KRILL_CHECK(write_map(proc + "/gid_map", gid_map));
  UniqueFd ns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return fail_errno("open " + proc + "/ns/user");
  return ns;
}

}  // namespace krill
