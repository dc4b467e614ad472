// config.json, process.json, resources and state documents -> the types of spec.h.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "oci/json_reader.h"
#include "oci/spec_internal.h"
#include "oci/spec_json.h"
#include "oci/spec_names.h"

namespace krill::oci {

namespace {

using json_reader::index_path;
using json_reader::Json;
using json_reader::kRequired;
using json_reader::Object;

// Wraps an object reader, Result<T>(const Object&), into an array-element or
// map-entry reader, Result<T>(const Json&, const std::string& path).
template <typename Read>
auto element(Read read) {
  return [read](const Json& value,
                const std::string& path) -> decltype(read(std::declval<const Object&>())) {
    Object object = KRILL_TRY(Object::open(value, path));
    return read(object);
  };
}

Result<void> check_each(const std::vector<std::string>& values,
                        std::span<const std::string_view> allowed, std::string_view what,
                        const std::string& path) {
  for (size_t i = 0; i < values.size(); ++i)
    KRILL_CHECK(names::check_one_of(values[i], allowed, what, index_path(path, i)));
  return {};
}

// Pattern ^[0-9, -]*$ of execCPUAffinity.
Result<void> check_cpu_list(const std::string& value, const std::string& path) {
  for (char c : value) {
    if ((c < '0' || c > '9') && c != ',' && c != ' ' && c != '-')
      return fail(path + ": invalid CPU list " + names::quote(value));
  }
  return {};
}

Result<IdMapping> read_id_mapping(const Object& o) {
  IdMapping m;
  KRILL_CHECK(o.get("containerID", m.container_id, kRequired));
  KRILL_CHECK(o.get("hostID", m.host_id, kRequired));
  KRILL_CHECK(o.get("size", m.size, kRequired));
  return m;
}

// ---- process ----

Result<User> read_user(const Object& o) {
  User u;
  KRILL_CHECK(o.get("uid", u.uid, kRequired));
  KRILL_CHECK(o.get("gid", u.gid, kRequired));
  KRILL_CHECK(o.get("umask", u.umask));
  KRILL_CHECK(
      o.get_array("additionalGids", u.additional_gids, json_reader::read_integer<uint32_t>));
  KRILL_CHECK(o.get("username", u.username));
  return u;
}

Result<ConsoleSize> read_console_size(const Object& o) {
  ConsoleSize size;
  KRILL_CHECK(o.get("height", size.height, kRequired));
  KRILL_CHECK(o.get("width", size.width, kRequired));
  return size;
}

Result<Capabilities> read_capabilities(const Object& o) {
  Capabilities caps;
  KRILL_CHECK(o.get("bounding", caps.bounding));
  KRILL_CHECK(o.get("effective", caps.effective));
  KRILL_CHECK(o.get("inheritable", caps.inheritable));
  KRILL_CHECK(o.get("permitted", caps.permitted));
  KRILL_CHECK(o.get("ambient", caps.ambient));
  return caps;
}

Result<Rlimit> read_rlimit(const Object& o) {
  Rlimit r;
  KRILL_CHECK(o.get("type", r.type, kRequired));
  // The schema's pattern ^RLIMIT_[A-Z]+$; the known names are checked on create.
  bool ok = r.type.starts_with("RLIMIT_") && r.type.size() > 7;
  for (size_t i = 7; ok && i < r.type.size(); ++i) ok = r.type[i] >= 'A' && r.type[i] <= 'Z';
  if (!ok) return fail(o.at("type") + ": invalid rlimit type " + names::quote(r.type));
  KRILL_CHECK(o.get("soft", r.soft, kRequired));
  KRILL_CHECK(o.get("hard", r.hard, kRequired));
  return r;
}

Result<Scheduler> read_scheduler(const Object& o) {
  Scheduler s;
  KRILL_CHECK(o.get("policy", s.policy, kRequired));
  KRILL_CHECK(
      names::check_one_of(s.policy, names::kSchedulerPolicies, "scheduler policy", o.at("policy")));
  KRILL_CHECK(o.get("nice", s.nice));
  KRILL_CHECK(o.get("priority", s.priority));
  KRILL_CHECK(o.get("flags", s.flags));
  KRILL_CHECK(check_each(s.flags, names::kSchedulerFlags, "scheduler flag", o.at("flags")));
  KRILL_CHECK(o.get("runtime", s.runtime));
  KRILL_CHECK(o.get("deadline", s.deadline));
  KRILL_CHECK(o.get("period", s.period));
  return s;
}

Result<IoPriority> read_io_priority(const Object& o) {
  IoPriority p;
  KRILL_CHECK(o.get("class", p.io_class, kRequired));
  KRILL_CHECK(names::check_one_of(p.io_class, names::kIoPriorityClasses, "I/O priority class",
                                  o.at("class")));
  KRILL_CHECK(o.get("priority", p.priority, kRequired));
  return p;
}

Result<ExecCpuAffinity> read_exec_cpu_affinity(const Object& o) {
  ExecCpuAffinity a;
  KRILL_CHECK(o.get("initial", a.initial));
  KRILL_CHECK(check_cpu_list(a.initial, o.at("initial")));
  KRILL_CHECK(o.get("final", a.final_cpus));
  KRILL_CHECK(check_cpu_list(a.final_cpus, o.at("final")));
  return a;
}

Result<Process> read_process(const Object& o) {
  Process p;
  KRILL_CHECK(o.get("terminal", p.terminal));
  KRILL_CHECK(o.get_object("consoleSize", p.console_size, read_console_size));
  std::optional<User> user;
  KRILL_CHECK(o.get_object("user", user, read_user));
  if (user) p.user = std::move(*user);
  KRILL_CHECK(o.get("args", p.args));
  KRILL_CHECK(o.get("commandLine", p.command_line));
  KRILL_CHECK(o.get("env", p.env));
  KRILL_CHECK(o.get("cwd", p.cwd, kRequired));
  KRILL_CHECK(o.get_object("capabilities", p.capabilities, read_capabilities));
  KRILL_CHECK(o.get_array("rlimits", p.rlimits, element(read_rlimit)));
  KRILL_CHECK(o.get("noNewPrivileges", p.no_new_privileges));
  KRILL_CHECK(o.get("apparmorProfile", p.apparmor_profile));
  KRILL_CHECK(o.get("oomScoreAdj", p.oom_score_adj));
  KRILL_CHECK(o.get("selinuxLabel", p.selinux_label));
  KRILL_CHECK(o.get_object("scheduler", p.scheduler, read_scheduler));
  KRILL_CHECK(o.get_object("ioPriority", p.io_priority, read_io_priority));
  KRILL_CHECK(o.get_object("execCPUAffinity", p.exec_cpu_affinity, read_exec_cpu_affinity));
  return p;
}

// ---- root, mounts, hooks ----

Result<Root> read_root(const Object& o) {
  Root r;
  KRILL_CHECK(o.get("path", r.path, kRequired));
  KRILL_CHECK(o.get("readonly", r.readonly));
  return r;
}

Result<Mount> read_mount(const Object& o) {
  Mount m;
  KRILL_CHECK(o.get("destination", m.destination, kRequired));
  KRILL_CHECK(o.get("type", m.type));
  KRILL_CHECK(o.get("source", m.source));
  KRILL_CHECK(o.get("options", m.options));
  KRILL_CHECK(o.get_array("uidMappings", m.uid_mappings, element(read_id_mapping)));
  KRILL_CHECK(o.get_array("gidMappings", m.gid_mappings, element(read_id_mapping)));
  return m;
}

Result<Hook> read_hook(const Object& o) {
  Hook h;
  KRILL_CHECK(o.get("path", h.path, kRequired));
  KRILL_CHECK(o.get("args", h.args));
  KRILL_CHECK(o.get("env", h.env));
  KRILL_CHECK(o.get("timeout", h.timeout));
  if (h.timeout && *h.timeout <= 0)
    return fail(o.at("timeout") + ": must be greater than zero, got " + std::to_string(*h.timeout));
  return h;
}

Result<Hooks> read_hooks(const Object& o) {
  Hooks h;
  auto read = element(read_hook);
  KRILL_CHECK(o.get_array("prestart", h.prestart, read));
  KRILL_CHECK(o.get_array("createRuntime", h.create_runtime, read));
  KRILL_CHECK(o.get_array("createContainer", h.create_container, read));
  KRILL_CHECK(o.get_array("startContainer", h.start_container, read));
  KRILL_CHECK(o.get_array("poststart", h.poststart, read));
  KRILL_CHECK(o.get_array("poststop", h.poststop, read));
  return h;
}

// ---- linux ----

Result<Namespace> read_namespace(const Object& o) {
  std::string type;
  KRILL_CHECK(o.get("type", type, kRequired));
  auto parsed = parse_namespace_type(type);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context(o.at("type")));
  Namespace ns{*parsed, {}};
  KRILL_CHECK(o.get("path", ns.path));
  return ns;
}

Result<Device> read_device(const Object& o) {
  Device d;
  KRILL_CHECK(o.get("type", d.type, kRequired));
  KRILL_CHECK(names::check_one_of(d.type, names::kDeviceTypes, "device type", o.at("type")));
  KRILL_CHECK(o.get("path", d.path, kRequired));
  // major and minor are REQUIRED unless the device is a FIFO.
  auto presence = d.type == "p" ? json_reader::kOptional : kRequired;
  KRILL_CHECK(o.get("major", d.major, presence));
  KRILL_CHECK(o.get("minor", d.minor, presence));
  KRILL_CHECK(o.get("fileMode", d.file_mode));
  KRILL_CHECK(o.get("uid", d.uid));
  KRILL_CHECK(o.get("gid", d.gid));
  return d;
}

Result<TimeOffset> read_time_offset(const Object& o) {
  TimeOffset t;
  KRILL_CHECK(o.get("secs", t.secs));
  KRILL_CHECK(o.get("nanosecs", t.nanosecs));
  return t;
}

Result<NetDevice> read_net_device(const Object& o) {
  NetDevice d;
  KRILL_CHECK(o.get("name", d.name));
  return d;
}

Result<DeviceCgroupRule> read_device_cgroup_rule(const Object& o) {
  DeviceCgroupRule r;
  KRILL_CHECK(o.get("allow", r.allow, kRequired));
  KRILL_CHECK(o.get("type", r.type));
  if (!r.type.empty())
    KRILL_CHECK(
        names::check_one_of(r.type, names::kDeviceCgroupTypes, "device cgroup type", o.at("type")));
  KRILL_CHECK(o.get("major", r.major));
  KRILL_CHECK(o.get("minor", r.minor));
  KRILL_CHECK(o.get("access", r.access));
  for (char c : r.access) {
    if (c != 'r' && c != 'w' && c != 'm')
      return fail(o.at("access") + ": invalid device access " + names::quote(r.access) +
                  " (a subset of \"rwm\" is expected)");
  }
  return r;
}

Result<MemoryResources> read_memory(const Object& o) {
  MemoryResources m;
  KRILL_CHECK(o.get("limit", m.limit));
  KRILL_CHECK(o.get("reservation", m.reservation));
  KRILL_CHECK(o.get("swap", m.swap));
  KRILL_CHECK(o.get("kernel", m.kernel));
  KRILL_CHECK(o.get("kernelTCP", m.kernel_tcp));
  KRILL_CHECK(o.get("swappiness", m.swappiness));
  KRILL_CHECK(o.get("disableOOMKiller", m.disable_oom_killer));
  KRILL_CHECK(o.get("useHierarchy", m.use_hierarchy));
  KRILL_CHECK(o.get("checkBeforeUpdate", m.check_before_update));
  return m;
}

Result<CpuResources> read_cpu(const Object& o) {
  CpuResources c;
  KRILL_CHECK(o.get("shares", c.shares));
  KRILL_CHECK(o.get("quota", c.quota));
  KRILL_CHECK(o.get("burst", c.burst));
  KRILL_CHECK(o.get("period", c.period));
  KRILL_CHECK(o.get("realtimeRuntime", c.realtime_runtime));
  KRILL_CHECK(o.get("realtimePeriod", c.realtime_period));
  KRILL_CHECK(o.get("cpus", c.cpus));
  KRILL_CHECK(o.get("mems", c.mems));
  KRILL_CHECK(o.get("idle", c.idle));
  return c;
}

Result<PidsResources> read_pids(const Object& o) {
  PidsResources p;
  KRILL_CHECK(o.get("limit", p.limit, kRequired));
  return p;
}

Result<BlockIoWeightDevice> read_weight_device(const Object& o) {
  BlockIoWeightDevice d;
  KRILL_CHECK(o.get("major", d.major, kRequired));
  KRILL_CHECK(o.get("minor", d.minor, kRequired));
  KRILL_CHECK(o.get("weight", d.weight));
  KRILL_CHECK(o.get("leafWeight", d.leaf_weight));
  return d;
}

Result<BlockIoThrottleDevice> read_throttle_device(const Object& o) {
  BlockIoThrottleDevice d;
  KRILL_CHECK(o.get("major", d.major, kRequired));
  KRILL_CHECK(o.get("minor", d.minor, kRequired));
  KRILL_CHECK(o.get("rate", d.rate, kRequired));
  return d;
}

Result<BlockIoResources> read_block_io(const Object& o) {
  BlockIoResources b;
  KRILL_CHECK(o.get("weight", b.weight));
  KRILL_CHECK(o.get("leafWeight", b.leaf_weight));
  KRILL_CHECK(o.get_array("weightDevice", b.weight_device, element(read_weight_device)));
  auto throttle = element(read_throttle_device);
  KRILL_CHECK(o.get_array("throttleReadBpsDevice", b.throttle_read_bps_device, throttle));
  KRILL_CHECK(o.get_array("throttleWriteBpsDevice", b.throttle_write_bps_device, throttle));
  KRILL_CHECK(o.get_array("throttleReadIOPSDevice", b.throttle_read_iops_device, throttle));
  KRILL_CHECK(o.get_array("throttleWriteIOPSDevice", b.throttle_write_iops_device, throttle));
  return b;
}

Result<HugepageLimit> read_hugepage_limit(const Object& o) {
  HugepageLimit h;
  KRILL_CHECK(o.get("pageSize", h.page_size, kRequired));
  if (!names::is_valid_hugepage_size(h.page_size))
    return fail(o.at("pageSize") + ": invalid hugepage size " + names::quote(h.page_size) +
                " (expected e.g. \"2MB\", \"64KB\", \"1GB\")");
  KRILL_CHECK(o.get("limit", h.limit, kRequired));
  return h;
}

Result<NetworkPriority> read_network_priority(const Object& o) {
  NetworkPriority p;
  KRILL_CHECK(o.get("name", p.name, kRequired));
  KRILL_CHECK(o.get("priority", p.priority, kRequired));
  return p;
}

Result<NetworkResources> read_network(const Object& o) {
  NetworkResources n;
  KRILL_CHECK(o.get("classID", n.class_id));
  KRILL_CHECK(o.get_array("priorities", n.priorities, element(read_network_priority)));
  return n;
}

Result<RdmaLimit> read_rdma(const Object& o) {
  RdmaLimit r;
  KRILL_CHECK(o.get("hcaHandles", r.hca_handles));
  KRILL_CHECK(o.get("hcaObjects", r.hca_objects));
  return r;
}

Result<SeccompArg> read_seccomp_arg(const Object& o) {
  SeccompArg a;
  KRILL_CHECK(o.get("index", a.index, kRequired));
  KRILL_CHECK(o.get("value", a.value, kRequired));
  KRILL_CHECK(o.get("valueTwo", a.value_two));
  KRILL_CHECK(o.get("op", a.op, kRequired));
  KRILL_CHECK(names::check_one_of(a.op, names::kSeccompOperators, "seccomp operator", o.at("op")));
  return a;
}

Result<SeccompSyscall> read_seccomp_syscall(const Object& o) {
  SeccompSyscall s;
  KRILL_CHECK(o.get("names", s.names, kRequired));
  if (s.names.empty()) return fail(o.at("names") + ": must contain at least one syscall name");
  KRILL_CHECK(o.get("action", s.action, kRequired));
  KRILL_CHECK(
      names::check_one_of(s.action, names::kSeccompActions, "seccomp action", o.at("action")));
  KRILL_CHECK(o.get("errnoRet", s.errno_ret));
  KRILL_CHECK(o.get_array("args", s.args, element(read_seccomp_arg)));
  return s;
}

Result<Seccomp> read_seccomp(const Object& o) {
  Seccomp s;
  KRILL_CHECK(o.get("defaultAction", s.default_action, kRequired));
  KRILL_CHECK(names::check_one_of(s.default_action, names::kSeccompActions, "seccomp action",
                                  o.at("defaultAction")));
  KRILL_CHECK(o.get("defaultErrnoRet", s.default_errno_ret));
  KRILL_CHECK(o.get("architectures", s.architectures));
  KRILL_CHECK(check_each(s.architectures, names::kSeccompArches, "seccomp architecture",
                         o.at("architectures")));
  KRILL_CHECK(o.get("flags", s.flags));
  KRILL_CHECK(check_each(s.flags, names::kSeccompFlags, "seccomp flag", o.at("flags")));
  KRILL_CHECK(o.get("listenerPath", s.listener_path));
  KRILL_CHECK(o.get("listenerMetadata", s.listener_metadata));
  KRILL_CHECK(o.get_array("syscalls", s.syscalls, element(read_seccomp_syscall)));
  return s;
}

Result<IntelRdt> read_intel_rdt(const Object& o) {
  IntelRdt r;
  KRILL_CHECK(o.get("closID", r.clos_id));
  KRILL_CHECK(o.get("l3CacheSchema", r.l3_cache_schema));
  KRILL_CHECK(o.get("memBwSchema", r.mem_bw_schema));
  KRILL_CHECK(o.get("schemata", r.schemata));
  KRILL_CHECK(o.get("enableMonitoring", r.enable_monitoring));
  return r;
}

Result<Personality> read_personality(const Object& o) {
  Personality p;
  KRILL_CHECK(o.get("domain", p.domain, kRequired));
  KRILL_CHECK(names::check_one_of(p.domain, names::kPersonalityDomains, "personality domain",
                                  o.at("domain")));
  KRILL_CHECK(o.get("flags", p.flags));
  return p;
}

Result<MemoryPolicy> read_memory_policy(const Object& o) {
  MemoryPolicy m;
  KRILL_CHECK(o.get("mode", m.mode, kRequired));
  KRILL_CHECK(
      names::check_one_of(m.mode, names::kMemoryPolicyModes, "memory policy mode", o.at("mode")));
  KRILL_CHECK(o.get("nodes", m.nodes));
  KRILL_CHECK(o.get("flags", m.flags));
  KRILL_CHECK(check_each(m.flags, names::kMemoryPolicyFlags, "memory policy flag", o.at("flags")));
  return m;
}

Result<Linux> read_linux(const Object& o) {
  Linux l;
  KRILL_CHECK(o.get_array("namespaces", l.namespaces, element(read_namespace)));
  KRILL_CHECK(o.get_array("uidMappings", l.uid_mappings, element(read_id_mapping)));
  KRILL_CHECK(o.get_array("gidMappings", l.gid_mappings, element(read_id_mapping)));
  KRILL_CHECK(o.get_map("timeOffsets", l.time_offsets, element(read_time_offset)));
  KRILL_CHECK(o.get_array("devices", l.devices, element(read_device)));
  KRILL_CHECK(o.get("cgroupsPath", l.cgroups_path));
  KRILL_CHECK(o.get_object("resources", l.resources, read_resources_object));
  KRILL_CHECK(o.get("rootfsPropagation", l.rootfs_propagation));
  if (!l.rootfs_propagation.empty())
    KRILL_CHECK(names::check_one_of(l.rootfs_propagation, names::kRootfsPropagations,
                                    "rootfs propagation", o.at("rootfsPropagation")));
  KRILL_CHECK(o.get_object("seccomp", l.seccomp, read_seccomp));
  KRILL_CHECK(o.get("sysctl", l.sysctl));
  KRILL_CHECK(o.get("maskedPaths", l.masked_paths));
  KRILL_CHECK(o.get("readonlyPaths", l.readonly_paths));
  KRILL_CHECK(o.get("mountLabel", l.mount_label));
  KRILL_CHECK(o.get_object("intelRdt", l.intel_rdt, read_intel_rdt));
  KRILL_CHECK(o.get_object("personality", l.personality, read_personality));
  KRILL_CHECK(o.get_object("memoryPolicy", l.memory_policy, read_memory_policy));
  KRILL_CHECK(o.get_map("netDevices", l.net_devices, element(read_net_device)));
  return l;
}

Result<Spec> read_spec(const Object& o) {
  Spec s;
  KRILL_CHECK(o.get("ociVersion", s.oci_version, kRequired));
  KRILL_CHECK(o.get_object("process", s.process, read_process));
  KRILL_CHECK(o.get_object("root", s.root, read_root));
  KRILL_CHECK(o.get("hostname", s.hostname));
  KRILL_CHECK(o.get("domainname", s.domainname));
  KRILL_CHECK(o.get_array("mounts", s.mounts, element(read_mount)));
  std::optional<Hooks> hooks;
  KRILL_CHECK(o.get_object("hooks", hooks, read_hooks));
  if (hooks) s.hooks = std::move(*hooks);
  KRILL_CHECK(o.get("annotations", s.annotations));
  KRILL_CHECK(o.get_object("linux", s.linux_config, read_linux));
  return s;
}

Result<State> read_state(const Object& o) {
  State st;
  KRILL_CHECK(o.get("ociVersion", st.oci_version, kRequired));
  KRILL_CHECK(o.get("id", st.id, kRequired));
  std::string status;
  KRILL_CHECK(o.get("status", status, kRequired));
  auto parsed = names::parse_status(status);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context(o.at("status")));
  st.status = *parsed;
  KRILL_CHECK(o.get("pid", st.pid));
  if (st.pid < 0) return fail(o.at("pid") + ": must not be negative");
  if (st.pid == 0 && !o.has("pid") &&
      (st.status == Status::kCreated || st.status == Status::kRunning))
    return fail(o.at("pid") + ": required when status is " + to_string(st.status));
  KRILL_CHECK(o.get("bundle", st.bundle, kRequired));
  KRILL_CHECK(o.get("annotations", st.annotations));
  return st;
}

// Parses `text` as a JSON object and reads it with `read`; never throws.
template <typename Read>
auto parse_document(std::string_view text, std::string_view document, Read read)
    -> decltype(read(std::declval<const Object&>())) {
  try {
    Json json = KRILL_TRY(json_reader::parse_text(text, document));
    Object object = KRILL_TRY(Object::open(json, ""));
    return read(object);
  } catch (const std::exception& e) {
    return fail("read " + std::string(document) + ": " + e.what());
  }
}

}  // namespace

Result<Resources> read_resources_object(const json_reader::Object& o) {
  Resources r;
  KRILL_CHECK(o.get_array("devices", r.devices, element(read_device_cgroup_rule)));
  KRILL_CHECK(o.get_object("memory", r.memory, read_memory));
  KRILL_CHECK(o.get_object("cpu", r.cpu, read_cpu));
  KRILL_CHECK(o.get_object("pids", r.pids, read_pids));
  KRILL_CHECK(o.get_object("blockIO", r.block_io, read_block_io));
  KRILL_CHECK(o.get_array("hugepageLimits", r.hugepage_limits, element(read_hugepage_limit)));
  KRILL_CHECK(o.get_object("network", r.network, read_network));
  KRILL_CHECK(o.get_map("rdma", r.rdma, element(read_rdma)));
  KRILL_CHECK(o.get("unified", r.unified));
  return r;
}

Result<Spec> parse_spec(std::string_view json_text) {
  return parse_document(json_text, "config.json", read_spec);
}

Result<Spec> load_spec_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read " + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  auto spec = parse_spec(text);
  if (!spec) return std::unexpected(std::move(spec.error()).context(path));
  return spec;
}

Result<State> parse_state(std::string_view json_text) {
  return parse_document(json_text, "state", read_state);
}

Result<Process> parse_process(std::string_view json_text) {
  return parse_document(json_text, "process.json", [](const Object& o) -> Result<Process> {
    Process p = KRILL_TRY(read_process(o));
    KRILL_CHECK(validate_process(p, ""));
    return p;
  });
}

Result<Resources> parse_resources(std::string_view json_text) {
  return parse_document(json_text, "resources", read_resources_object);
}

}  // namespace krill::oci
