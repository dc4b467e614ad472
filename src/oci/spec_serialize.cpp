// Spec and State -> JSON text. Keys keep the order of the runtime spec (and of
// `runc spec`); empty or absent optional fields are omitted.
#include <nlohmann/json.hpp>

#include "oci/spec_json.h"

namespace krill::oci {

namespace {

using Json = nlohmann::ordered_json;

template <typename T>
void put(Json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}
void put(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}
void put(Json& j, const char* key, const std::vector<std::string>& values) {
  if (!values.empty()) j[key] = values;
}
void put(Json& j, const char* key, const std::map<std::string, std::string>& values) {
  if (values.empty()) return;
  Json& out = j[key] = Json::object();
  for (const auto& [k, v] : values) out[k] = v;
}
void put_true(Json& j, const char* key, bool value) {
  if (value) j[key] = true;
}
template <typename T, typename Write>
void put_array(Json& j, const char* key, const std::vector<T>& values, Write write) {
  if (values.empty()) return;
  Json& out = j[key] = Json::array();
  for (const auto& v : values) out.push_back(write(v));
}

Json id_mapping(const IdMapping& m) {
  return Json{{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}};
}

Json process_json(const Process& p) {
  Json j = Json::object();
  put_true(j, "terminal", p.terminal);
  if (p.console_size)
    j["consoleSize"] = Json{{"height", p.console_size->height}, {"width", p.console_size->width}};
  Json user{{"uid", p.user.uid}, {"gid", p.user.gid}};
  put(user, "umask", p.user.umask);
  if (!p.user.additional_gids.empty()) user["additionalGids"] = p.user.additional_gids;
  put(user, "username", p.user.username);
  j["user"] = std::move(user);
  put(j, "args", p.args);
  put(j, "commandLine", p.command_line);
  put(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) {
    Json caps = Json::object();
    put(caps, "bounding", p.capabilities->bounding);
    put(caps, "effective", p.capabilities->effective);
    put(caps, "inheritable", p.capabilities->inheritable);
    put(caps, "permitted", p.capabilities->permitted);
    put(caps, "ambient", p.capabilities->ambient);
    j["capabilities"] = std::move(caps);
  }
  put_array(j, "rlimits", p.rlimits, [](const Rlimit& r) {
    return Json{{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}};
  });
  put_true(j, "noNewPrivileges", p.no_new_privileges);
  put(j, "apparmorProfile", p.apparmor_profile);
  put(j, "oomScoreAdj", p.oom_score_adj);
  put(j, "selinuxLabel", p.selinux_label);
  if (p.scheduler) {
    const Scheduler& s = *p.scheduler;
    Json sched{{"policy", s.policy}};
    put(sched, "nice", s.nice);
    put(sched, "priority", s.priority);
    put(sched, "flags", s.flags);
    put(sched, "runtime", s.runtime);
    put(sched, "deadline", s.deadline);
    put(sched, "period", s.period);
    j["scheduler"] = std::move(sched);
  }
  if (p.io_priority)
    j["ioPriority"] =
        Json{{"class", p.io_priority->io_class}, {"priority", p.io_priority->priority}};
  if (p.exec_cpu_affinity) {
    Json a = Json::object();
    put(a, "initial", p.exec_cpu_affinity->initial);
    put(a, "final", p.exec_cpu_affinity->final_cpus);
    j["execCPUAffinity"] = std::move(a);
  }
  return j;
}

Json mount_json(const Mount& m) {
  Json j{{"destination", m.destination}};
  put(j, "type", m.type);
  put(j, "source", m.source);
  put(j, "options", m.options);
  put_array(j, "uidMappings", m.uid_mappings, id_mapping);
  put_array(j, "gidMappings", m.gid_mappings, id_mapping);
  return j;
}

Json hook_json(const Hook& h) {
  Json j{{"path", h.path}};
  put(j, "args", h.args);
  put(j, "env", h.env);
  put(j, "timeout", h.timeout);
  return j;
}

Json hooks_json(const Hooks& h) {
  Json j = Json::object();
  put_array(j, "prestart", h.prestart, hook_json);
  put_array(j, "createRuntime", h.create_runtime, hook_json);
  put_array(j, "createContainer", h.create_container, hook_json);
  put_array(j, "startContainer", h.start_container, hook_json);
  put_array(j, "poststart", h.poststart, hook_json);
  put_array(j, "poststop", h.poststop, hook_json);
  return j;
}

Json throttle_json(const BlockIoThrottleDevice& d) {
  return Json{{"major", d.major}, {"minor", d.minor}, {"rate", d.rate}};
}

Json resources_json(const Resources& r) {
  Json j = Json::object();
  put_array(j, "devices", r.devices, [](const DeviceCgroupRule& d) {
    Json rule{{"allow", d.allow}};
    put(rule, "type", d.type);
    put(rule, "major", d.major);
    put(rule, "minor", d.minor);
    put(rule, "access", d.access);
    return rule;
  });
  if (r.memory) {
    const MemoryResources& m = *r.memory;
    Json mem = Json::object();
    put(mem, "limit", m.limit);
    put(mem, "reservation", m.reservation);
    put(mem, "swap", m.swap);
    put(mem, "kernel", m.kernel);
    put(mem, "kernelTCP", m.kernel_tcp);
    put(mem, "swappiness", m.swappiness);
    put(mem, "disableOOMKiller", m.disable_oom_killer);
    put(mem, "useHierarchy", m.use_hierarchy);
    put(mem, "checkBeforeUpdate", m.check_before_update);
    j["memory"] = std::move(mem);
  }
  if (r.cpu) {
    const CpuResources& c = *r.cpu;
    Json cpu = Json::object();
    put(cpu, "shares", c.shares);
    put(cpu, "quota", c.quota);
    put(cpu, "burst", c.burst);
    put(cpu, "period", c.period);
    put(cpu, "realtimeRuntime", c.realtime_runtime);
    put(cpu, "realtimePeriod", c.realtime_period);
    put(cpu, "cpus", c.cpus);
    put(cpu, "mems", c.mems);
    put(cpu, "idle", c.idle);
    j["cpu"] = std::move(cpu);
  }
  if (r.pids) j["pids"] = Json{{"limit", r.pids->limit}};
  if (r.block_io) {
    const BlockIoResources& b = *r.block_io;
    Json blk = Json::object();
    put(blk, "weight", b.weight);
    put(blk, "leafWeight", b.leaf_weight);
    put_array(blk, "weightDevice", b.weight_device, [](const BlockIoWeightDevice& d) {
      Json w{{"major", d.major}, {"minor", d.minor}};
      put(w, "weight", d.weight);
      put(w, "leafWeight", d.leaf_weight);
      return w;
    });
    put_array(blk, "throttleReadBpsDevice", b.throttle_read_bps_device, throttle_json);
    put_array(blk, "throttleWriteBpsDevice", b.throttle_write_bps_device, throttle_json);
    put_array(blk, "throttleReadIOPSDevice", b.throttle_read_iops_device, throttle_json);
    put_array(blk, "throttleWriteIOPSDevice", b.throttle_write_iops_device, throttle_json);
    j["blockIO"] = std::move(blk);
  }
  put_array(j, "hugepageLimits", r.hugepage_limits, [](const HugepageLimit& h) {
    return Json{{"pageSize", h.page_size}, {"limit", h.limit}};
  });
  if (r.network) {
    Json net = Json::object();
    put(net, "classID", r.network->class_id);
    put_array(net, "priorities", r.network->priorities, [](const NetworkPriority& p) {
      return Json{{"name", p.name}, {"priority", p.priority}};
    });
    j["network"] = std::move(net);
  }
  if (!r.rdma.empty()) {
    Json& rdma = j["rdma"] = Json::object();
    for (const auto& [device, limit] : r.rdma) {
      Json l = Json::object();
      put(l, "hcaHandles", limit.hca_handles);
      put(l, "hcaObjects", limit.hca_objects);
      rdma[device] = std::move(l);
    }
  }
  put(j, "unified", r.unified);
  return j;
}

Json seccomp_json(const Seccomp& s) {
  Json j{{"defaultAction", s.default_action}};
  put(j, "defaultErrnoRet", s.default_errno_ret);
  put(j, "architectures", s.architectures);
  put(j, "flags", s.flags);
  put(j, "listenerPath", s.listener_path);
  put(j, "listenerMetadata", s.listener_metadata);
  put_array(j, "syscalls", s.syscalls, [](const SeccompSyscall& sc) {
    Json call{{"names", sc.names}, {"action", sc.action}};
    put(call, "errnoRet", sc.errno_ret);
    put_array(call, "args", sc.args, [](const SeccompArg& a) {
      Json arg{{"index", a.index}, {"value", a.value}};
      if (a.value_two != 0) arg["valueTwo"] = a.value_two;
      arg["op"] = a.op;
      return arg;
    });
    return call;
  });
  return j;
}

Json linux_json(const Linux& l) {
  Json j = Json::object();
  put_array(j, "devices", l.devices, [](const Device& d) {
    Json dev{{"path", d.path}, {"type", d.type}, {"major", d.major}, {"minor", d.minor}};
    put(dev, "fileMode", d.file_mode);
    put(dev, "uid", d.uid);
    put(dev, "gid", d.gid);
    return dev;
  });
  if (!l.net_devices.empty()) {
    Json& devices = j["netDevices"] = Json::object();
    for (const auto& [name, device] : l.net_devices) {
      Json d = Json::object();
      put(d, "name", device.name);
      devices[name] = std::move(d);
    }
  }
  put_array(j, "uidMappings", l.uid_mappings, id_mapping);
  put_array(j, "gidMappings", l.gid_mappings, id_mapping);
  put(j, "sysctl", l.sysctl);
  put(j, "cgroupsPath", l.cgroups_path);
  if (l.resources) j["resources"] = resources_json(*l.resources);
  put(j, "rootfsPropagation", l.rootfs_propagation);
  if (l.seccomp) j["seccomp"] = seccomp_json(*l.seccomp);
  if (!l.time_offsets.empty()) {
    Json& offsets = j["timeOffsets"] = Json::object();
    for (const auto& [clock, offset] : l.time_offsets)
      offsets[clock] = Json{{"secs", offset.secs}, {"nanosecs", offset.nanosecs}};
  }
  put_array(j, "namespaces", l.namespaces, [](const Namespace& ns) {
    Json n{{"type", to_string(ns.type)}};
    put(n, "path", ns.path);
    return n;
  });
  put(j, "maskedPaths", l.masked_paths);
  put(j, "readonlyPaths", l.readonly_paths);
  put(j, "mountLabel", l.mount_label);
  if (l.intel_rdt) {
    const IntelRdt& r = *l.intel_rdt;
    Json rdt = Json::object();
    put(rdt, "closID", r.clos_id);
    put(rdt, "l3CacheSchema", r.l3_cache_schema);
    put(rdt, "memBwSchema", r.mem_bw_schema);
    put(rdt, "schemata", r.schemata);
    put_true(rdt, "enableMonitoring", r.enable_monitoring);
    j["intelRdt"] = std::move(rdt);
  }
  if (l.personality) {
    Json p{{"domain", l.personality->domain}};
    put(p, "flags", l.personality->flags);
    j["personality"] = std::move(p);
  }
  if (l.memory_policy) {
    Json m{{"mode", l.memory_policy->mode}};
    put(m, "nodes", l.memory_policy->nodes);
    put(m, "flags", l.memory_policy->flags);
    j["memoryPolicy"] = std::move(m);
  }
  return j;
}

std::string dump(const Json& j, int indent) {
  // Invalid UTF-8 in a string is replaced rather than thrown about.
  return j.dump(indent < 0 ? -1 : indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string spec_to_json(const Spec& spec, int indent) {
  Json j{{"ociVersion", spec.oci_version}};
  if (spec.process) j["process"] = process_json(*spec.process);
  if (spec.root) {
    Json root{{"path", spec.root->path}};
    put_true(root, "readonly", spec.root->readonly);
    j["root"] = std::move(root);
  }
  put(j, "hostname", spec.hostname);
  put(j, "domainname", spec.domainname);
  put_array(j, "mounts", spec.mounts, mount_json);
  Json hooks = hooks_json(spec.hooks);
  if (!hooks.empty()) j["hooks"] = std::move(hooks);
  put(j, "annotations", spec.annotations);
  if (spec.linux_config) j["linux"] = linux_json(*spec.linux_config);
  return dump(j, indent);
}

std::string state_to_json(const State& state) {
  Json j{{"ociVersion", state.oci_version},
         {"id", state.id},
         {"status", to_string(state.status)},
         {"pid", state.pid},
         {"bundle", state.bundle}};
  put(j, "annotations", state.annotations);
  return dump(j, -1);
}

}  // namespace krill::oci
