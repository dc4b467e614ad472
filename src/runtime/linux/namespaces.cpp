#include "runtime/linux/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/file_io.h"

namespace krill::linux_ns {

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int clone_flag(oci::NamespaceType type) {
  switch (type) {
    case oci::NamespaceType::kPid: return CLONE_NEWPID;
    case oci::NamespaceType::kNetwork: return CLONE_NEWNET;
    case oci::NamespaceType::kMount: return CLONE_NEWNS;
    case oci::NamespaceType::kIpc: return CLONE_NEWIPC;
    case oci::NamespaceType::kUts: return CLONE_NEWUTS;
    case oci::NamespaceType::kUser: return CLONE_NEWUSER;
    case oci::NamespaceType::kCgroup: return CLONE_NEWCGROUP;
    case oci::NamespaceType::kTime: return CLONE_NEWTIME;
  }
  return 0;
}

const char* proc_ns_name(oci::NamespaceType type) {
  switch (type) {
    case oci::NamespaceType::kPid: return "pid";
    case oci::NamespaceType::kNetwork: return "net";
    case oci::NamespaceType::kMount: return "mnt";
    case oci::NamespaceType::kIpc: return "ipc";
    case oci::NamespaceType::kUts: return "uts";
    case oci::NamespaceType::kUser: return "user";
    case oci::NamespaceType::kCgroup: return "cgroup";
    case oci::NamespaceType::kTime: return "time";
  }
  return "";
}

bool NamespacePlan::needs_fork() const {
  if (new_time || (unshare_flags & CLONE_NEWPID)) return true;
  return std::any_of(joins.begin(), joins.end(), [](const NamespaceToJoin& j) {
    return j.type == oci::NamespaceType::kPid || j.type == oci::NamespaceType::kTime;
  });
}

bool NamespacePlan::joins_type(oci::NamespaceType type) const {
  return std::any_of(joins.begin(), joins.end(),
                     [type](const NamespaceToJoin& j) { return j.type == type; });
}

Result<NamespacePlan> plan_namespaces(const oci::Linux& config) {
  NamespacePlan plan;
  for (const auto& ns : config.namespaces) {
    if (!ns.path.empty()) {
      int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return fail_errno(std::string("open ") + oci::to_string(ns.type) + " namespace " + ns.path);
      NamespaceToJoin join{ns.type, ns.path, UniqueFd(fd)};
      if (ns.type == oci::NamespaceType::kUser) {
        plan.join_user = true;
        plan.joins.insert(plan.joins.begin(), std::move(join));
      } else {
        plan.joins.push_back(std::move(join));
      }
      continue;
    }
    switch (ns.type) {
      case oci::NamespaceType::kUser: plan.new_user = true; break;
      case oci::NamespaceType::kCgroup: plan.new_cgroup = true; break;
      case oci::NamespaceType::kTime: plan.new_time = true; break;
      default: plan.unshare_flags |= clone_flag(ns.type); break;
    }
  }
  return plan;
}

namespace {

// setns() into the user namespace one is already in fails with EINVAL.
bool is_current_namespace(int fd, oci::NamespaceType type) {
  struct stat target, current;
  std::string self = std::string("/proc/self/ns/") + proc_ns_name(type);
  return ::fstat(fd, &target) == 0 && ::stat(self.c_str(), &current) == 0 &&
         target.st_ino == current.st_ino && target.st_dev == current.st_dev;
}

}  // namespace

Result<void> join_namespaces(NamespacePlan& plan, bool user_only) {
  for (auto& join : plan.joins) {
    bool is_user = join.type == oci::NamespaceType::kUser;
    if (user_only != is_user) continue;
    if (!join.fd) continue;  // joined already (a privileged runtime joins before its new userns)
    if (is_user && is_current_namespace(join.fd.get(), join.type)) continue;
    if (::setns(join.fd.get(), clone_flag(join.type)) != 0)
      return fail_errno(std::string("join ") + oci::to_string(join.type) + " namespace " +
                        join.path);
    join.fd.reset();
  }
  return {};
}

std::string format_id_map(const std::vector<oci::IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) {
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  }
  return text;
}

namespace {

bool maps_only_self(const std::vector<oci::IdMapping>& mappings, uint32_t self) {
  return mappings.size() == 1 && mappings[0].size == 1 && mappings[0].host_id == self;
}

// newuidmap PID ID HOSTID SIZE ...; the helper is setuid root and checks /etc/subuid.
Result<void> run_id_map_helper(const char* helper, pid_t pid,
                               const std::vector<oci::IdMapping>& mappings) {
  std::vector<std::string> args{helper, std::to_string(pid)};
  for (const auto& m : mappings) {
    args.push_back(std::to_string(m.container_id));
    args.push_back(std::to_string(m.host_id));
    args.push_back(std::to_string(m.size));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return fail_errno(std::string("fork for ") + helper);
  if (child == 0) {
    ::execvp(helper, argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return fail(std::string(helper) + " not found: install the uidmap package for rootless "
                "containers with more than one mapped id");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(std::string(helper) + " " + std::to_string(pid) + " failed: check /etc/sub" +
                (std::string(helper) == "newuidmap" ? "uid" : "gid") + " for the current user");
  return {};
}

}  // namespace

Result<void> write_id_mappings(pid_t pid, const std::vector<oci::IdMapping>& uid_mappings,
                               const std::vector<oci::IdMapping>& gid_mappings) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const bool privileged = ::geteuid() == 0;
  if (!gid_mappings.empty()) {
    if (privileged) {
      KRILL_CHECK(write_file(proc + "/gid_map", format_id_map(gid_mappings)));
    } else if (maps_only_self(gid_mappings, ::getegid())) {
      KRILL_CHECK(write_file(proc + "/setgroups", "deny"));
      KRILL_CHECK(write_file(proc + "/gid_map", format_id_map(gid_mappings)));
    } else {
      KRILL_CHECK(run_id_map_helper("newgidmap", pid, gid_mappings));
    }
  }
  if (!uid_mappings.empty()) {
    if (privileged || maps_only_self(uid_mappings, ::geteuid())) {
      KRILL_CHECK(write_file(proc + "/uid_map", format_id_map(uid_mappings)));
    } else {
      KRILL_CHECK(run_id_map_helper("newuidmap", pid, uid_mappings));
    }
  }
  return {};
}

Result<void> write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets) {
  std::string text;
  for (const auto& [clock, offset] : offsets) {
    text += clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) +
            "\n";
  }
  if (text.empty()) return {};
  return write_file("/proc/self/timens_offsets", text);
}

}  // namespace krill::linux_ns
