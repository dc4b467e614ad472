// Writing the id maps of a new user namespace: newuidmap/newgidmap with the caller's subordinate
// ids from /etc/subuid and /etc/subgid. Apart from base/user_namespace.cpp because it looks the
// caller up through NSS (getpwuid), which the statically linked krill-runtime must not pull in.
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/file_io.h"
#include "base/user_namespace.h"

extern char** environ;

namespace krill {

std::vector<SubordinateIds> subordinate_ids(const std::string& file, const std::string& owner,
                                            const std::string& owner_id) {
  std::vector<SubordinateIds> ranges;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name, start, count;
    if (!std::getline(fields, name, ':') || !std::getline(fields, start, ':') ||
        !std::getline(fields, count))
      continue;
    if (name != owner && (owner_id.empty() || name != owner_id)) continue;
    SubordinateIds range{std::strtoul(start.c_str(), nullptr, 10),
                         std::strtoul(count.c_str(), nullptr, 10)};
    if (range.count > 0) ranges.push_back(range);
  }
  return ranges;
}

namespace {

using SubordinateRange = SubordinateIds;

// The first range of `name` (or its uid as a number) in /etc/subuid or /etc/subgid.
SubordinateRange subordinate_range(const std::string& file, const std::string& name,
                                   unsigned long id) {
  auto ranges = subordinate_ids(file, name, std::to_string(id));
  return ranges.empty() ? SubordinateRange{} : ranges.front();
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

}  // namespace

Result<void> write_id_maps(pid_t pid) {
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

}  // namespace krill
