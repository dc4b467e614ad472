// The MUSTs a runtime checks on config.json before `create`, following runc's
// validator where the runtime spec leaves room.
#include <set>

#include "oci/json_reader.h"
#include "oci/spec_internal.h"
#include "oci/spec_json.h"
#include "oci/spec_names.h"

namespace krill::oci {

namespace {

using json_reader::child_path;
using json_reader::index_path;
using json_reader::key_path;
using names::quote;

bool is_absolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

Result<void> check_absolute(const std::string& value, const std::string& path) {
  if (is_absolute(value)) return {};
  if (value.empty()) return fail(path + ": must be an absolute path, got an empty string");
  return fail(path + ": " + quote(value) + " is not an absolute path");
}

Result<void> check_paths_absolute(const std::vector<std::string>& values, const std::string& path) {
  for (size_t i = 0; i < values.size(); ++i)
    KRILL_CHECK(check_absolute(values[i], index_path(path, i)));
  return {};
}

Result<void> check_each(const std::vector<std::string>& values,
                        std::span<const std::string_view> allowed, std::string_view what,
                        const std::string& path) {
  for (size_t i = 0; i < values.size(); ++i)
    KRILL_CHECK(names::check_one_of(values[i], allowed, what, index_path(path, i)));
  return {};
}

Result<void> check_version(const std::string& version) {
  if (version.empty()) return fail("ociVersion: missing required field");
  size_t digits = 0;
  while (digits < version.size() && version[digits] >= '0' && version[digits] <= '9') ++digits;
  if (digits == 0 || (digits < version.size() && version[digits] != '.'))
    return fail("ociVersion: " + quote(version) + " is not a semantic version");
  if (version.substr(0, digits) != "1")
    return fail("ociVersion: unsupported version " + quote(version) + " (supported: 1.x, " +
                kRuntimeSpecVersion + ")");
  return {};
}

Result<void> check_hooks(const std::vector<Hook>& hooks, const std::string& path) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::string at = index_path(path, i);
    KRILL_CHECK(check_absolute(hooks[i].path, at + ".path"));
    if (hooks[i].timeout && *hooks[i].timeout <= 0)
      return fail(at + ".timeout: must be greater than zero, got " +
                  std::to_string(*hooks[i].timeout));
  }
  return {};
}

bool has_option(const Mount& mount, std::string_view option) {
  for (const auto& o : mount.options)
    if (o == option) return true;
  return false;
}

Result<void> check_mounts(const std::vector<Mount>& mounts, const Linux& lx) {
  for (size_t i = 0; i < mounts.size(); ++i) {
    const Mount& m = mounts[i];
    std::string at = index_path("mounts", i);
    // The spec still allows relative destinations (deprecated); runc rejects them.
    KRILL_CHECK(check_absolute(m.destination, at + ".destination"));
    if (m.uid_mappings.empty() != m.gid_mappings.empty())
      return fail(at + ": uidMappings and gidMappings must be given together");
    bool idmap = has_option(m, "idmap") || has_option(m, "ridmap");
    if (idmap && m.uid_mappings.empty() && !lx.has_namespace(NamespaceType::kUser))
      return fail(at +
                  ".options: an idmapped mount needs uidMappings/gidMappings or a user "
                  "namespace");
  }
  return {};
}

Result<void> check_namespaces(const Linux& lx) {
  std::set<NamespaceType> seen;
  for (size_t i = 0; i < lx.namespaces.size(); ++i) {
    const Namespace& ns = lx.namespaces[i];
    std::string at = index_path("linux.namespaces", i);
    switch (ns.type) {
      case NamespaceType::kPid:
      case NamespaceType::kNetwork:
      case NamespaceType::kMount:
      case NamespaceType::kIpc:
      case NamespaceType::kUts:
      case NamespaceType::kUser:
      case NamespaceType::kCgroup:
      case NamespaceType::kTime:
        break;
      default:
        return fail(at + ".type: invalid namespace type " +
                    std::to_string(static_cast<int>(ns.type)));
    }
    if (!seen.insert(ns.type).second)
      return fail(at + ".type: duplicate namespace " + quote(to_string(ns.type)));
    if (!ns.path.empty()) KRILL_CHECK(check_absolute(ns.path, at + ".path"));
  }
  return {};
}

bool has_new_namespace(const Linux& lx, NamespaceType type) {
  const Namespace* ns = lx.find_namespace(type);
  return ns && ns->path.empty();
}

Result<void> check_user_namespace(const Linux& lx) {
  bool user = lx.has_namespace(NamespaceType::kUser);
  if (!user && !lx.uid_mappings.empty())
    return fail("linux.uidMappings: given without a user namespace in linux.namespaces");
  if (!user && !lx.gid_mappings.empty())
    return fail("linux.gidMappings: given without a user namespace in linux.namespaces");
  if (has_new_namespace(lx, NamespaceType::kUser)) {
    if (lx.uid_mappings.empty())
      return fail("linux.uidMappings: a new user namespace needs uid mappings");
    if (lx.gid_mappings.empty())
      return fail("linux.gidMappings: a new user namespace needs gid mappings");
  }
  for (size_t i = 0; i < lx.uid_mappings.size(); ++i)
    if (lx.uid_mappings[i].size == 0)
      return fail(index_path("linux.uidMappings", i) + ".size: must not be zero");
  for (size_t i = 0; i < lx.gid_mappings.size(); ++i)
    if (lx.gid_mappings[i].size == 0)
      return fail(index_path("linux.gidMappings", i) + ".size: must not be zero");
  return {};
}

Result<void> check_time_offsets(const Linux& lx) {
  if (lx.time_offsets.empty()) return {};
  const Namespace* ns = lx.find_namespace(NamespaceType::kTime);
  if (!ns) return fail("linux.timeOffsets: given without a time namespace in linux.namespaces");
  if (!ns->path.empty())
    return fail("linux.timeOffsets: cannot be set when joining an existing time namespace");
  for (const auto& [clock, offset] : lx.time_offsets) {
    std::string at = key_path("linux.timeOffsets", clock);
    KRILL_CHECK(names::check_one_of(clock, names::kTimeOffsetClocks, "clock", at));
    if (offset.nanosecs >= 1000000000u) return fail(at + ".nanosecs: must be less than 1000000000");
  }
  return {};
}

// Like runc: a sysctl is allowed only when it belongs to a namespace the
// container does not share with the host.
Result<void> check_sysctls(const Linux& lx) {
  static constexpr std::string_view kIpcSysctls[] = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  for (const auto& [key, value] : lx.sysctl) {
    std::string at = key_path("linux.sysctl", key);
    std::string name = key;
    for (char& c : name)
      if (c == '/') c = '.';
    if (names::contains(kIpcSysctls, name) || name.starts_with("fs.mqueue.")) {
      if (lx.has_namespace(NamespaceType::kIpc)) continue;
      return fail(at + ": not allowed without an ipc namespace (it would change the host's)");
    }
    if (name.starts_with("net.")) {
      // A joined namespace (path set) is taken as not the host's; the runtime
      // compares it with its own network namespace when it joins.
      if (lx.has_namespace(NamespaceType::kNetwork)) continue;
      return fail(at + ": not allowed without a network namespace (it would change the host's)");
    }
    if (name == "kernel.domainname" || name == "kernel.hostname") {
      if (!lx.has_namespace(NamespaceType::kUts))
        return fail(at + ": not allowed without a uts namespace (it would change the host's)");
      if (name == "kernel.hostname")
        return fail(at + ": not allowed; it conflicts with the \"hostname\" field");
      continue;
    }
    return fail(at + ": not in a separate kernel namespace");
  }
  return {};
}

Result<void> check_devices(const std::vector<Device>& devices) {
  for (size_t i = 0; i < devices.size(); ++i) {
    std::string at = index_path("linux.devices", i);
    KRILL_CHECK(
        names::check_one_of(devices[i].type, names::kDeviceTypes, "device type", at + ".type"));
    KRILL_CHECK(check_absolute(devices[i].path, at + ".path"));
  }
  return {};
}

Result<void> check_resources(const Resources& r) {
  for (size_t i = 0; i < r.devices.size(); ++i) {
    std::string at = index_path("linux.resources.devices", i);
    const DeviceCgroupRule& rule = r.devices[i];
    if (!rule.type.empty())
      KRILL_CHECK(names::check_one_of(rule.type, names::kDeviceCgroupTypes, "device cgroup type",
                                      at + ".type"));
    for (char c : rule.access)
      if (c != 'r' && c != 'w' && c != 'm')
        return fail(at + ".access: invalid device access " + quote(rule.access));
  }
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    if (!names::is_valid_hugepage_size(r.hugepage_limits[i].page_size))
      return fail(index_path("linux.resources.hugepageLimits", i) +
                  ".pageSize: invalid hugepage size " + quote(r.hugepage_limits[i].page_size));
  }
  return {};
}

bool action_takes_errno(const std::string& action) {
  return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

Result<void> check_seccomp(const Seccomp& s) {
  const std::string at = "linux.seccomp";
  KRILL_CHECK(names::check_one_of(s.default_action, names::kSeccompActions, "seccomp action",
                                  at + ".defaultAction"));
  if (s.default_action == "SCMP_ACT_NOTIFY")
    return fail(at + ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (s.default_errno_ret && !action_takes_errno(s.default_action))
    return fail(at + ".defaultErrnoRet: not allowed with defaultAction " + quote(s.default_action));
  KRILL_CHECK(check_each(s.architectures, names::kSeccompArches, "seccomp architecture",
                         at + ".architectures"));
  KRILL_CHECK(check_each(s.flags, names::kSeccompFlags, "seccomp flag", at + ".flags"));
  if (!s.listener_metadata.empty() && s.listener_path.empty())
    return fail(at + ".listenerMetadata: set without listenerPath");
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const SeccompSyscall& sc = s.syscalls[i];
    std::string sat = index_path(at + ".syscalls", i);
    if (sc.names.empty()) return fail(sat + ".names: must contain at least one syscall name");
    for (size_t n = 0; n < sc.names.size(); ++n)
      if (sc.names[n].empty()) return fail(index_path(sat + ".names", n) + ": empty syscall name");
    KRILL_CHECK(
        names::check_one_of(sc.action, names::kSeccompActions, "seccomp action", sat + ".action"));
    if (sc.action == "SCMP_ACT_NOTIFY" && s.listener_path.empty())
      return fail(sat + ".action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
    if (sc.errno_ret && !action_takes_errno(sc.action))
      return fail(sat + ".errnoRet: not allowed with action " + quote(sc.action));
    for (size_t a = 0; a < sc.args.size(); ++a) {
      std::string aat = index_path(sat + ".args", a);
      if (sc.args[a].index > 5)
        return fail(aat + ".index: " + std::to_string(sc.args[a].index) +
                    " is out of range (syscalls have 6 arguments, 0..5)");
      KRILL_CHECK(names::check_one_of(sc.args[a].op, names::kSeccompOperators, "seccomp operator",
                                      aat + ".op"));
    }
  }
  return {};
}

Result<void> check_net_devices(const Linux& lx) {
  if (lx.net_devices.empty()) return {};
  if (!lx.has_namespace(NamespaceType::kNetwork))
    return fail("linux.netDevices: given without a network namespace in linux.namespaces");
  auto valid_name = [](const std::string& name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
    for (char c : name)
      if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n') return false;
    return true;
  };
  for (const auto& [host_name, device] : lx.net_devices) {
    std::string at = key_path("linux.netDevices", host_name);
    if (!valid_name(host_name)) return fail(at + ": invalid network device name");
    if (!device.name.empty() && !valid_name(device.name))
      return fail(at + ".name: invalid network device name " + quote(device.name));
  }
  return {};
}

Result<void> check_linux(const Spec& spec, const Linux& lx) {
  KRILL_CHECK(check_namespaces(lx));
  KRILL_CHECK(check_user_namespace(lx));
  KRILL_CHECK(check_time_offsets(lx));
  KRILL_CHECK(check_sysctls(lx));
  // Setting them without a uts namespace would rename the host.
  if (!spec.hostname.empty() && !lx.has_namespace(NamespaceType::kUts))
    return fail("hostname: cannot be set without a uts namespace in linux.namespaces");
  if (!spec.domainname.empty() && !lx.has_namespace(NamespaceType::kUts))
    return fail("domainname: cannot be set without a uts namespace in linux.namespaces");
  KRILL_CHECK(check_devices(lx.devices));
  if (lx.resources) KRILL_CHECK(check_resources(*lx.resources));
  if (!lx.rootfs_propagation.empty())
    KRILL_CHECK(names::check_one_of(lx.rootfs_propagation, names::kRootfsPropagations,
                                    "rootfs propagation", "linux.rootfsPropagation"));
  if (lx.seccomp) KRILL_CHECK(check_seccomp(*lx.seccomp));
  KRILL_CHECK(check_paths_absolute(lx.masked_paths, "linux.maskedPaths"));
  KRILL_CHECK(check_paths_absolute(lx.readonly_paths, "linux.readonlyPaths"));
  if (lx.personality)
    KRILL_CHECK(names::check_one_of(lx.personality->domain, names::kPersonalityDomains,
                                    "personality domain", "linux.personality.domain"));
  if (lx.memory_policy) {
    KRILL_CHECK(names::check_one_of(lx.memory_policy->mode, names::kMemoryPolicyModes,
                                    "memory policy mode", "linux.memoryPolicy.mode"));
    KRILL_CHECK(check_each(lx.memory_policy->flags, names::kMemoryPolicyFlags, "memory policy flag",
                           "linux.memoryPolicy.flags"));
  }
  if (lx.intel_rdt) {
    for (size_t i = 0; i < lx.intel_rdt->schemata.size(); ++i)
      if (lx.intel_rdt->schemata[i].find('\n') != std::string::npos)
        return fail(index_path("linux.intelRdt.schemata", i) + ": must not contain a newline");
  }
  KRILL_CHECK(check_net_devices(lx));
  return {};
}

}  // namespace

Result<void> validate_process(const Process& p, const std::string& path) {
  auto at = [&](std::string_view key) { return child_path(path, key); };
  if (p.args.empty()) return fail(at("args") + ": must contain at least one entry");
  KRILL_CHECK(check_absolute(p.cwd, at("cwd")));
  if (p.capabilities) {
    const Capabilities& c = *p.capabilities;
    std::string cat = at("capabilities");
    KRILL_CHECK(check_each(c.bounding, names::kCapabilities, "capability", cat + ".bounding"));
    KRILL_CHECK(check_each(c.effective, names::kCapabilities, "capability", cat + ".effective"));
    KRILL_CHECK(
        check_each(c.inheritable, names::kCapabilities, "capability", cat + ".inheritable"));
    KRILL_CHECK(check_each(c.permitted, names::kCapabilities, "capability", cat + ".permitted"));
    KRILL_CHECK(check_each(c.ambient, names::kCapabilities, "capability", cat + ".ambient"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const Rlimit& r = p.rlimits[i];
    std::string rat = index_path(at("rlimits"), i);
    KRILL_CHECK(names::check_one_of(r.type, names::kRlimits, "rlimit type", rat + ".type"));
    if (!seen.insert(r.type).second) return fail(rat + ".type: duplicate rlimit " + quote(r.type));
    if (r.soft > r.hard)
      return fail(rat + ": soft limit " + std::to_string(r.soft) + " exceeds hard limit " +
                  std::to_string(r.hard));
  }
  if (p.io_priority) {
    KRILL_CHECK(names::check_one_of(p.io_priority->io_class, names::kIoPriorityClasses,
                                    "I/O priority class", at("ioPriority.class")));
    if (p.io_priority->priority < 0 || p.io_priority->priority > 7)
      return fail(at("ioPriority.priority") + ": " + std::to_string(p.io_priority->priority) +
                  " is out of range (0..7)");
  }
  if (p.scheduler) {
    KRILL_CHECK(names::check_one_of(p.scheduler->policy, names::kSchedulerPolicies,
                                    "scheduler policy", at("scheduler.policy")));
    KRILL_CHECK(check_each(p.scheduler->flags, names::kSchedulerFlags, "scheduler flag",
                           at("scheduler.flags")));
  }
  return {};
}

Result<void> validate_spec_for_create(const Spec& spec) {
  KRILL_CHECK(check_version(spec.oci_version));
  if (!spec.process) return fail("process: missing (required to create a container)");
  KRILL_CHECK(validate_process(*spec.process, "process"));
  if (!spec.root) return fail("root: missing required field");
  if (spec.root->path.empty()) return fail("root.path: missing required field");
  static const Linux kNoLinux;
  const Linux& lx = spec.linux_config ? *spec.linux_config : kNoLinux;
  KRILL_CHECK(check_mounts(spec.mounts, lx));
  KRILL_CHECK(check_hooks(spec.hooks.prestart, "hooks.prestart"));
  KRILL_CHECK(check_hooks(spec.hooks.create_runtime, "hooks.createRuntime"));
  KRILL_CHECK(check_hooks(spec.hooks.create_container, "hooks.createContainer"));
  KRILL_CHECK(check_hooks(spec.hooks.start_container, "hooks.startContainer"));
  KRILL_CHECK(check_hooks(spec.hooks.poststart, "hooks.poststart"));
  KRILL_CHECK(check_hooks(spec.hooks.poststop, "hooks.poststop"));
  for (const auto& [key, value] : spec.annotations)
    if (key.empty()) return fail("annotations: empty key");
  KRILL_CHECK(check_linux(spec, lx));
  return {};
}

}  // namespace krill::oci
