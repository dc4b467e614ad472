// run_in_user_namespace: fork, unshare(CLONE_NEWUSER | CLONE_NEWNS), id maps written by the
// parent, exec.
#include "base/user_namespace.h"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/file_io.h"
#include "base/unique_fd.h"

extern char** environ;

namespace krill {
namespace {

struct SubordinateRange {
  unsigned long start = 0, count = 0;
};

// The first range of `name` (or its uid as a number) in /etc/subuid or /etc/subgid.
SubordinateRange subordinate_range(const std::string& file, const std::string& name,
                                   unsigned long id) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string owner, start, count;
    if (!std::getline(fields, owner, ':') || !std::getline(fields, start, ':') ||
        !std::getline(fields, count))
      continue;
    if (owner != name && owner != std::to_string(id)) continue;
    return {std::strtoul(start.c_str(), nullptr, 10), std::strtoul(count.c_str(), nullptr, 10)};
  }
  return {};
}

Result<int> wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno("wait for " + std::to_string(pid));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

Result<void> run_map_helper(const std::string& helper, pid_t pid, unsigned long id,
                            const SubordinateRange& range) {
  std::vector<std::string> argv = {helper,
                                   std::to_string(pid),
                                   "0",
                                   std::to_string(id),
                                   "1",
                                   "1",
                                   std::to_string(range.start),
                                   std::to_string(range.count)};
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  pid_t child = 0;
  int spawned = ::posix_spawnp(&child, helper.c_str(), nullptr, nullptr, raw.data(), environ);
  if (spawned != 0) return fail_errno("run " + helper, spawned);
  int status = KRILL_TRY(wait_for(child));
  if (status != 0)
    return fail(helper + " " + std::to_string(pid) + " failed (status " + std::to_string(status) +
                "): check /etc/subuid and /etc/subgid");
  return {};
}

// The parent's half: the child's uid and gid maps.
Result<void> write_maps(pid_t pid) {
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  struct passwd* pw = ::getpwuid(uid);
  const std::string name = pw ? pw->pw_name : "";
  SubordinateRange uids = subordinate_range("/etc/subuid", name, uid);
  SubordinateRange gids = subordinate_range("/etc/subgid", name, uid);
  const std::string proc = "/proc/" + std::to_string(pid);
  if (uids.count > 0) {
    KRILL_CHECK(run_map_helper("newuidmap", pid, uid, uids));
  } else {
    KRILL_CHECK(write_file(proc + "/uid_map", "0 " + std::to_string(uid) + " 1\n"));
  }
  if (gids.count > 0) {
    KRILL_CHECK(run_map_helper("newgidmap", pid, gid, gids));
  } else {
    KRILL_CHECK(write_file(proc + "/setgroups", "deny"));
    KRILL_CHECK(write_file(proc + "/gid_map", "0 " + std::to_string(gid) + " 1\n"));
  }
  return {};
}

}  // namespace

bool in_krill_user_namespace() { return std::getenv(kInUserNamespaceEnv) != nullptr; }

Result<int> run_in_user_namespace(const std::vector<std::string>& argv) {
  int to_parent[2], to_child[2];
  if (::pipe2(to_parent, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd parent_read(to_parent[0]), child_write(to_parent[1]);
  if (::pipe2(to_child, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd child_read(to_child[0]), parent_write(to_child[1]);
  const pid_t parent_pid = ::getpid();
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (auto& arg : args) raw.push_back(arg.data());
  raw.push_back(nullptr);
  std::string marker = std::string(kInUserNamespaceEnv) + "=1";
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  env.push_back(marker.data());
  env.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    char byte = 0;
    // The build dies with the command that started it (a killed CLI leaves no orphan).
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent_pid) ::_exit(125);
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) ::_exit(125);
    if (::write(child_write.get(), "u", 1) != 1) ::_exit(125);
    if (::read(child_read.get(), &byte, 1) != 1 || byte != 'm') ::_exit(125);
    if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) ::_exit(125);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(125);
    ::execve(raw[0], raw.data(), env.data());
    ::_exit(127);
  }
  child_write.reset();
  child_read.reset();
  char byte = 0;
  if (::read(parent_read.get(), &byte, 1) != 1) {
    (void)wait_for(pid);
    return fail("create a user namespace: unshare failed (are user namespaces enabled?)");
  }
  auto mapped = write_maps(pid);
  if (!mapped) {
    parent_write.reset();
    (void)wait_for(pid);
    return std::unexpected(mapped.error());
  }
  if (::write(parent_write.get(), "m", 1) != 1) {
    int err = errno;
    parent_write.reset();
    (void)wait_for(pid);
    return fail_errno("signal the child", err);
  }
  parent_write.reset();
  return wait_for(pid);
}

}  // namespace krill
