// ContainerConfig <-> JSON for the container database. Member names are the C++ field names;
// a missing member keeps the field's default and unknown members are ignored, so rows written by
// an older or newer krill still load.
#include <nlohmann/json.hpp>

#include "engine/container_config.h"

namespace krill::engine {

using nlohmann::json;

namespace {

json mount_to_json(const MountRequest& m) {
  return json{{"type", m.type},
              {"source", m.source},
              {"destination", m.destination},
              {"read_only", m.read_only},
              {"chown", m.chown},
              {"relabel", m.relabel},
              {"propagation", m.propagation},
              {"options", m.options}};
}

// Reads `key` into `out` when present (nlohmann throws type_error on a mismatch; the caller
// catches it).
template <typename T>
void get_if(const json& object, const char* key, T& out) {
  auto it = object.find(key);
  if (it != object.end() && !it->is_null()) it->get_to(out);
}

MountRequest mount_from_json(const json& j) {
  MountRequest m;
  get_if(j, "type", m.type);
  get_if(j, "source", m.source);
  get_if(j, "destination", m.destination);
  get_if(j, "read_only", m.read_only);
  get_if(j, "chown", m.chown);
  get_if(j, "relabel", m.relabel);
  get_if(j, "propagation", m.propagation);
  get_if(j, "options", m.options);
  return m;
}

json healthcheck_to_json(const HealthcheckRequest& h) {
  return json{{"test", h.test},
              {"interval_ns", h.interval_ns},
              {"timeout_ns", h.timeout_ns},
              {"start_period_ns", h.start_period_ns},
              {"retries", h.retries}};
}

HealthcheckRequest healthcheck_from_json(const json& j) {
  HealthcheckRequest h;
  get_if(j, "test", h.test);
  get_if(j, "interval_ns", h.interval_ns);
  get_if(j, "timeout_ns", h.timeout_ns);
  get_if(j, "start_period_ns", h.start_period_ns);
  get_if(j, "retries", h.retries);
  return h;
}

json startup_healthcheck_to_json(const StartupHealthcheckRequest& h) {
  return json{{"test", h.test},
              {"interval_ns", h.interval_ns},
              {"timeout_ns", h.timeout_ns},
              {"retries", h.retries},
              {"successes", h.successes}};
}

StartupHealthcheckRequest startup_healthcheck_from_json(const json& j) {
  StartupHealthcheckRequest h;
  get_if(j, "test", h.test);
  get_if(j, "interval_ns", h.interval_ns);
  get_if(j, "timeout_ns", h.timeout_ns);
  get_if(j, "retries", h.retries);
  get_if(j, "successes", h.successes);
  return h;
}

ContainerConfig config_from(const json& j) {
  ContainerConfig c;
  get_if(j, "image_ref", c.image_ref);
  get_if(j, "image_name", c.image_name);
  get_if(j, "image_id", c.image_id);
  if (auto it = j.find("entrypoint"); it != j.end() && !it->is_null())
    c.entrypoint = it->get<std::vector<std::string>>();
  get_if(j, "command", c.command);
  get_if(j, "env", c.env);
  get_if(j, "working_dir", c.working_dir);
  get_if(j, "user", c.user);
  get_if(j, "group_add", c.group_add);
  get_if(j, "hostname", c.hostname);
  get_if(j, "add_hosts", c.add_hosts);
  get_if(j, "dns_servers", c.dns_servers);
  get_if(j, "dns_search", c.dns_search);
  get_if(j, "dns_options", c.dns_options);
  get_if(j, "labels", c.labels);
  get_if(j, "annotations", c.annotations);
  get_if(j, "tty", c.tty);
  get_if(j, "interactive", c.interactive);
  get_if(j, "read_only", c.read_only);
  get_if(j, "privileged", c.privileged);
  get_if(j, "init", c.init);
  get_if(j, "init_path", c.init_path);
  get_if(j, "auto_remove", c.auto_remove);
  get_if(j, "cap_add", c.cap_add);
  get_if(j, "cap_drop", c.cap_drop);
  get_if(j, "security_opt", c.security_opt);
  if (auto it = j.find("mounts"); it != j.end() && it->is_array())
    for (const auto& m : *it) c.mounts.push_back(mount_from_json(m));
  if (auto it = j.find("devices"); it != j.end() && it->is_array()) {
    for (const auto& d : *it) {
      DeviceRequest device;
      get_if(d, "host_path", device.host_path);
      get_if(d, "container_path", device.container_path);
      get_if(d, "permissions", device.permissions);
      c.devices.push_back(std::move(device));
    }
  }
  if (auto it = j.find("ulimits"); it != j.end() && it->is_array()) {
    for (const auto& u : *it) {
      UlimitRequest ulimit;
      get_if(u, "name", ulimit.name);
      get_if(u, "soft", ulimit.soft);
      get_if(u, "hard", ulimit.hard);
      c.ulimits.push_back(std::move(ulimit));
    }
  }
  if (auto it = j.find("resources"); it != j.end() && it->is_object()) {
    const json& r = *it;
    get_if(r, "memory", c.resources.memory);
    get_if(r, "memory_swap", c.resources.memory_swap);
    get_if(r, "nano_cpus", c.resources.nano_cpus);
    get_if(r, "cpu_shares", c.resources.cpu_shares);
    get_if(r, "cpuset_cpus", c.resources.cpuset_cpus);
    get_if(r, "pids_limit", c.resources.pids_limit);
    get_if(r, "shm_size", c.resources.shm_size);
  }
  get_if(j, "network", c.network);
  if (auto it = j.find("networks"); it != j.end() && it->is_array()) {
    for (const auto& n : *it) {
      NetworkRequest request;
      get_if(n, "name", request.name);
      get_if(n, "aliases", request.aliases);
      get_if(n, "ip", request.ip);
      get_if(n, "mac", request.mac);
      c.networks.push_back(std::move(request));
    }
  }
  if (auto it = j.find("ports"); it != j.end() && it->is_array()) {
    for (const auto& p : *it) {
      PublishedPort port;
      get_if(p, "host_ip", port.host_ip);
      get_if(p, "host_port", port.host_port);
      get_if(p, "host_port_last", port.host_port_last);
      get_if(p, "container_port", port.container_port);
      get_if(p, "protocol", port.protocol);
      c.ports.push_back(std::move(port));
    }
  }
  get_if(j, "publish_all", c.publish_all);
  get_if(j, "userns", c.userns);
  for (auto [key, map] : {std::pair{"uid_map", &c.uid_map}, std::pair{"gid_map", &c.gid_map}}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) continue;
    for (const auto& range : *it)  // [inside, outside, count]; at() throws on a short one
      map->push_back(IdMapRange{.inside = range.at(0).get<unsigned long>(),
                                .outside = range.at(1).get<unsigned long>(),
                                .count = range.at(2).get<unsigned long>()});
  }
  get_if(j, "stop_signal", c.stop_signal);
  get_if(j, "stop_timeout", c.stop_timeout);
  if (auto it = j.find("restart"); it != j.end() && it->is_object()) {
    get_if(*it, "name", c.restart.name);
    get_if(*it, "max_retries", c.restart.max_retries);
  }
  if (auto it = j.find("healthcheck"); it != j.end() && it->is_object())
    c.healthcheck = healthcheck_from_json(*it);
  get_if(j, "no_healthcheck", c.no_healthcheck);
  if (auto it = j.find("startup_healthcheck"); it != j.end() && it->is_object())
    c.startup_healthcheck = startup_healthcheck_from_json(*it);
  get_if(j, "log_driver", c.log_driver);
  get_if(j, "log_options", c.log_options);
  get_if(j, "runtime", c.runtime);
  return c;
}

}  // namespace

std::string container_config_to_json(const ContainerConfig& c) {
  json j;
  j["image_ref"] = c.image_ref;
  j["image_name"] = c.image_name;
  j["image_id"] = c.image_id;
  j["entrypoint"] = c.entrypoint ? json(*c.entrypoint) : json(nullptr);
  j["command"] = c.command;
  j["env"] = c.env;
  j["working_dir"] = c.working_dir;
  j["user"] = c.user;
  j["group_add"] = c.group_add;
  j["hostname"] = c.hostname;
  j["add_hosts"] = c.add_hosts;
  j["dns_servers"] = c.dns_servers;
  j["dns_search"] = c.dns_search;
  j["dns_options"] = c.dns_options;
  j["labels"] = c.labels;
  j["annotations"] = c.annotations;
  j["tty"] = c.tty;
  j["interactive"] = c.interactive;
  j["read_only"] = c.read_only;
  j["privileged"] = c.privileged;
  j["init"] = c.init;
  if (!c.init_path.empty()) j["init_path"] = c.init_path;
  j["auto_remove"] = c.auto_remove;
  j["cap_add"] = c.cap_add;
  j["cap_drop"] = c.cap_drop;
  j["security_opt"] = c.security_opt;
  json mounts = json::array();
  for (const auto& m : c.mounts) mounts.push_back(mount_to_json(m));
  j["mounts"] = std::move(mounts);
  json devices = json::array();
  for (const auto& d : c.devices)
    devices.push_back(json{{"host_path", d.host_path},
                           {"container_path", d.container_path},
                           {"permissions", d.permissions}});
  j["devices"] = std::move(devices);
  json ulimits = json::array();
  for (const auto& u : c.ulimits)
    ulimits.push_back(json{{"name", u.name}, {"soft", u.soft}, {"hard", u.hard}});
  j["ulimits"] = std::move(ulimits);
  j["resources"] =
      json{{"memory", c.resources.memory},           {"memory_swap", c.resources.memory_swap},
           {"nano_cpus", c.resources.nano_cpus},     {"cpu_shares", c.resources.cpu_shares},
           {"cpuset_cpus", c.resources.cpuset_cpus}, {"pids_limit", c.resources.pids_limit},
           {"shm_size", c.resources.shm_size}};
  j["network"] = c.network;
  json networks = json::array();
  for (const auto& n : c.networks)
    networks.push_back(
        json{{"name", n.name}, {"aliases", n.aliases}, {"ip", n.ip}, {"mac", n.mac}});
  j["networks"] = std::move(networks);
  json ports = json::array();
  for (const auto& p : c.ports) {
    json port{{"host_ip", p.host_ip},
              {"host_port", p.host_port},
              {"container_port", p.container_port},
              {"protocol", p.protocol}};
    if (p.host_port_last != 0) port["host_port_last"] = p.host_port_last;
    ports.push_back(std::move(port));
  }
  j["ports"] = std::move(ports);
  j["publish_all"] = c.publish_all;
  j["userns"] = c.userns;
  for (auto [key, map] : {std::pair{"uid_map", &c.uid_map}, std::pair{"gid_map", &c.gid_map}}) {
    if (map->empty()) continue;
    json ranges = json::array();
    for (const auto& r : *map) ranges.push_back(json::array({r.inside, r.outside, r.count}));
    j[key] = std::move(ranges);
  }
  j["stop_signal"] = c.stop_signal;
  j["stop_timeout"] = c.stop_timeout;
  j["restart"] = json{{"name", c.restart.name}, {"max_retries", c.restart.max_retries}};
  j["healthcheck"] = c.healthcheck ? healthcheck_to_json(*c.healthcheck) : json(nullptr);
  j["no_healthcheck"] = c.no_healthcheck;
  j["startup_healthcheck"] =
      c.startup_healthcheck ? startup_healthcheck_to_json(*c.startup_healthcheck) : json(nullptr);
  j["log_driver"] = c.log_driver;
  j["log_options"] = c.log_options;
  j["runtime"] = c.runtime;
  // Invalid UTF-8 (an env value in another encoding) is replaced rather than thrown.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ContainerConfig> container_config_from_json(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail("parse container config: invalid JSON");
  if (!j.is_object()) return fail("parse container config: not a JSON object");
  try {
    return config_from(j);
  } catch (const json::exception& e) {
    return fail(std::string("parse container config: ") + e.what());
  }
}

}  // namespace krill::engine
