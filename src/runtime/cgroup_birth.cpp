#include "runtime/cgroup_birth.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace krill::runtime {

Result<CgroupBirth> prepare_cgroup_birth(const cgroups::Manager& cgroup) {
  CgroupBirth birth;
  for (const auto& dir : cgroup.paths()) {
    if (::access((dir + "/cgroup.controllers").c_str(), F_OK) == 0) {
      int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) return fail_errno("open cgroup " + dir);
      birth.v2_directory.reset(fd);
    } else {
      birth.v1_tasks.push_back(dir + "/tasks");
    }
  }
  return birth;
}

Result<pid_t> fork_into_cgroup(const CgroupBirth& birth) {
  if (!birth.v2_directory) {
    pid_t pid = ::fork();
    if (pid < 0) return fail_errno("fork the container's setup process");
    return pid;
  }
  clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<__u64>(birth.v2_directory.get());
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail_errno("clone the container's setup process into its cgroup");
  return static_cast<pid_t>(pid);
}

Result<void> join_v1_cgroups(const CgroupBirth& birth) {
  for (const auto& tasks : birth.v1_tasks) {
    int fd = ::open(tasks.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + tasks);
    bool written = ::write(fd, "0", 1) == 1;
    int err = errno;
    ::close(fd);
    if (!written) return fail_errno("join cgroup " + tasks, err);
  }
  return {};
}

}  // namespace krill::runtime
