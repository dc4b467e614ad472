#include "cli/krill/container_json.h"

#include <fnmatch.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <regex>

#include "cli/krill/image_json.h"
#include "engine/engine_health.h"

namespace krill::cli {

using engine::ContainerRecord;
using engine::ContainerStatus;
using nlohmann::json;

std::string human_duration_ns(int64_t ns) {
  return human_duration(static_cast<std::time_t>(ns / 1000000000));
}

std::string status_text(const ContainerRecord& r, int64_t now_ns) {
  switch (r.status) {
    case ContainerStatus::kCreated:
      return "Created";
    case ContainerStatus::kRunning:
    case ContainerStatus::kStopping:
      return "Up " + human_duration_ns(now_ns - r.started_ns);
    case ContainerStatus::kPaused:
      return "Up " + human_duration_ns(now_ns - r.started_ns) + " (Paused)";
    case ContainerStatus::kExited:
      return "Exited (" + std::to_string(r.exit_code) + ") " +
             human_duration_ns(now_ns - r.finished_ns) + " ago";
    case ContainerStatus::kRemoving:
      return "Removal In Progress";
  }
  return "Unknown";
}

std::string health_suffix(const ContainerRecord& r,
                          const std::optional<engine::HealthState>& health) {
  if (!health || r.status != ContainerStatus::kRunning) return "";
  if (health->status == engine::kHealthStarting) return " (health: starting)";
  return " (" + health->status + ")";
}

std::string command_text(const std::vector<std::string>& args, bool no_trunc) {
  std::string text;
  for (const auto& a : args) text += (text.empty() ? "" : " ") + a;
  if (!no_trunc && text.size() > 20) text = text.substr(0, 17) + "...";
  return text;
}

std::string time_text(int64_t unix_ns) {
  if (unix_ns <= 0) return "0001-01-01T00:00:00Z";
  std::time_t seconds = static_cast<std::time_t>(unix_ns / 1000000000);
  long nanos = static_cast<long>(unix_ns % 1000000000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string text = buf;
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09ld", nanos);
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    text += f;
  }
  return text + "Z";
}

namespace {

std::string created_at_text(int64_t unix_ns) {
  std::time_t seconds = static_cast<std::time_t>(unix_ns / 1000000000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

std::string image_display(const ContainerRecord& r) {
  if (!r.config.image_name.empty()) return r.config.image_name;
  return r.config.image_ref;
}

std::string short_id(const std::string& id, bool no_trunc) {
  return no_trunc ? id : id.substr(0, 12);
}

std::string image_hex(const std::string& image_id) {
  return image_id.starts_with("sha256:") ? image_id.substr(7) : image_id;
}

nlohmann::ordered_json mounts_json(const ContainerRecord& r, const ContainerPaths& paths) {
  nlohmann::ordered_json mounts = nlohmann::ordered_json::array();
  for (size_t i = 0; i < r.config.mounts.size(); ++i) {
    const auto& m = r.config.mounts[i];
    nlohmann::ordered_json entry;
    entry["Type"] = m.type;
    if (m.type == "volume") {
      entry["Name"] = m.source;
      entry["Driver"] = "local";
    }
    entry["Source"] = i < paths.mount_sources.size() ? paths.mount_sources[i] : m.source;
    entry["Destination"] = m.destination;
    std::string mode = m.relabel;
    entry["Mode"] = mode;
    entry["RW"] = !m.read_only;
    entry["Propagation"] = m.propagation.empty() && m.type == "bind" ? "rprivate" : m.propagation;
    if (!m.options.empty()) entry["Options"] = m.options;
    mounts.push_back(entry);
  }
  return mounts;
}

std::string signal_name(int signal) {
  if (signal <= 0) return "";
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(signal);
}

}  // namespace

// The networks a container is on (or would join): "krill", "a,b", "none", "host".
static std::string network_names(const ContainerRecord& r, const ContainerPaths& paths) {
  if (!r.config.network.empty()) return r.config.network;
  if (r.config.networks.empty()) return paths.default_network;
  std::string names;
  for (const auto& n : r.config.networks)
    names += (names.empty() ? "" : ",") + (n.name == "bridge" ? paths.default_network : n.name);
  return names;
}

// Docker's NetworkSettings: the first network's address at the top, every network by name,
// published ports as "80/tcp": [{"HostIp", "HostPort"}] (configured ones when not running).
static nlohmann::ordered_json network_settings_json(const ContainerRecord& r,
                                                    const ContainerPaths& paths) {
  using ojson = nlohmann::ordered_json;
  ojson settings;
  settings["Bridge"] = "";
  settings["SandboxID"] = paths.network ? r.id : "";
  settings["SandboxKey"] = paths.network ? paths.network->netns_path : "";
  ojson ports = ojson::object();
  auto add_port = [&](const std::string& host_ip, uint16_t host_port, uint16_t container_port,
                      const std::string& protocol) {
    std::string key = std::to_string(container_port) + "/" + protocol;
    if (!ports.contains(key)) ports[key] = ojson::array();
    ports[key].push_back({{"HostIp", host_ip.empty() ? "0.0.0.0" : host_ip},
                          {"HostPort", host_port ? std::to_string(host_port) : ""}});
  };
  if (paths.network) {
    for (const auto& p : paths.network->ports)
      add_port(p.host_ip, p.host_port, p.container_port, p.protocol);
  } else {
    for (const auto& p : r.config.ports)
      add_port(p.host_ip, p.host_port, p.container_port, p.protocol);
  }
  settings["Ports"] = ports;
  std::string gateway, address, mac;
  int prefix = 0;
  ojson networks = ojson::object();
  if (paths.network) {
    for (const auto& n : paths.network->networks) {
      ojson entry;
      std::string ip, ip6, gw = n.gateway;
      int ip_prefix = 0, ip6_prefix = 0;
      for (const auto& cidr : n.addresses) {
        auto slash = cidr.find('/');
        std::string bare = cidr.substr(0, slash);
        int length = slash == std::string::npos ? 0 : std::atoi(cidr.c_str() + slash + 1);
        if (bare.find(':') == std::string::npos && ip.empty()) {
          ip = bare;
          ip_prefix = length;
        } else if (bare.find(':') != std::string::npos && ip6.empty()) {
          ip6 = bare;
          ip6_prefix = length;
        }
      }
      entry["IPAMConfig"] = nullptr;
      entry["Links"] = nullptr;
      entry["Aliases"] = n.aliases;
      entry["MacAddress"] = n.mac;
      entry["NetworkID"] = n.network_id;
      entry["EndpointID"] = "";
      entry["Gateway"] = gw;
      entry["IPAddress"] = ip;
      entry["IPPrefixLen"] = ip_prefix;
      entry["IPv6Gateway"] = "";
      entry["GlobalIPv6Address"] = ip6;
      entry["GlobalIPv6PrefixLen"] = ip6_prefix;
      std::vector<std::string> dns_names = {r.name, r.id.substr(0, 12)};
      for (const auto& alias : n.aliases) dns_names.push_back(alias);
      entry["DNSNames"] = dns_names;
      entry["InterfaceName"] = n.interface;
      if (address.empty()) {
        address = ip;
        prefix = ip_prefix;
        gateway = gw;
        mac = n.mac;
      }
      networks[n.network] = entry;
    }
  }
  settings["Gateway"] = gateway;
  settings["IPAddress"] = address;
  settings["IPPrefixLen"] = prefix;
  settings["MacAddress"] = mac;
  settings["Networks"] = networks;
  return settings;
}

std::string ports_text(const std::vector<network::PortMapping>& ports) {
  std::string text;
  for (const auto& p : ports) {
    if (!text.empty()) text += ", ";
    text += (p.host_ip.empty() ? std::string("0.0.0.0") : p.host_ip) + ":" +
            std::to_string(p.host_port) + "->" + std::to_string(p.container_port) + "/" +
            p.protocol;
  }
  return text;
}

json ps_row(const ContainerRecord& r, const ContainerPaths& paths, bool no_trunc, int64_t now_ns) {
  json row;
  row["ID"] = short_id(r.id, no_trunc);
  row["Names"] = r.name;
  row["Image"] = image_display(r);
  row["ImageID"] = image_hex(r.config.image_id);
  row["Command"] = command_text(paths.args, no_trunc);
  row["Created"] = r.created_ns / 1000000000;
  row["CreatedAt"] = created_at_text(r.created_ns);
  row["RunningFor"] = human_duration_ns(now_ns - r.created_ns) + " ago";
  row["Status"] = status_text(r, now_ns) + health_suffix(r, paths.health);
  row["State"] = engine::status_name(r.status);
  row["Ports"] = paths.network ? ports_text(paths.network->ports) : "";
  row["Labels"] = r.config.labels.empty() ? json::object() : json(r.config.labels);
  json mounts = json::array();
  for (const auto& m : r.config.mounts) mounts.push_back(m.destination);
  row["Mounts"] = mounts;
  row["ExitCode"] = r.exit_code;
  row["Exited"] = r.status == ContainerStatus::kExited;
  row["Pid"] = r.pid;
  row["AutoRemove"] = r.config.auto_remove;
  row["Size"] = "";
  row["Networks"] = network_names(r, paths);
  return row;
}

nlohmann::ordered_json container_inspect_json(const ContainerRecord& r,
                                              const ContainerPaths& paths) {
  const auto& c = r.config;
  nlohmann::ordered_json doc;
  doc["Id"] = r.id;
  doc["Created"] = time_text(r.created_ns);
  doc["Path"] = paths.args.empty() ? "" : paths.args.front();
  doc["Args"] = paths.args.size() > 1 ? nlohmann::ordered_json(std::vector<std::string>(
                                            paths.args.begin() + 1, paths.args.end()))
                                      : nlohmann::ordered_json::array();
  bool running = r.status == ContainerStatus::kRunning || r.status == ContainerStatus::kPaused;
  nlohmann::ordered_json state;
  state["Status"] = engine::status_name(r.status);
  state["Running"] = running;
  state["Paused"] = r.status == ContainerStatus::kPaused;
  state["Restarting"] = false;
  state["OOMKilled"] = r.oom_killed;
  state["Dead"] = false;
  state["Pid"] = running ? r.pid : 0;
  state["ConmonPid"] = running ? r.monitor_pid : 0;
  state["ExitCode"] = r.exit_code;
  state["Error"] = r.error;
  state["StartedAt"] = time_text(r.started_ns);
  state["FinishedAt"] = time_text(r.finished_ns);
  if (paths.health) {
    // Docker's State.Health; podman also calls it State.Healthcheck.
    nlohmann::ordered_json health;
    health["Status"] = paths.health->status;
    health["FailingStreak"] = paths.health->failing_streak;
    nlohmann::ordered_json log = nlohmann::ordered_json::array();
    for (const auto& entry : paths.health->log)
      log.push_back({{"Start", time_text(entry.start_ns)},
                     {"End", time_text(entry.end_ns)},
                     {"ExitCode", entry.exit_code},
                     {"Output", entry.output}});
    health["Log"] = log;
    state["Health"] = health;
    state["Healthcheck"] = health;
  }
  doc["State"] = state;
  doc["Image"] = c.image_id;
  doc["ImageName"] = image_display(r);
  doc["ResolvConfPath"] = paths.resolv_conf_path;
  doc["HostnamePath"] = paths.hostname_path;
  doc["HostsPath"] = paths.hosts_path;
  doc["LogPath"] = paths.log_path;
  doc["Name"] = r.name;
  doc["RestartCount"] = r.restart_count;
  doc["Driver"] = paths.driver;
  doc["Mounts"] = mounts_json(r, paths);

  nlohmann::ordered_json config;
  config["Hostname"] = c.hostname.empty() ? r.id.substr(0, 12) : c.hostname;
  config["User"] = c.user;
  config["Env"] = c.env;
  config["Cmd"] =
      c.command.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.command);
  config["Entrypoint"] =
      c.entrypoint ? nlohmann::ordered_json(*c.entrypoint) : nlohmann::ordered_json(nullptr);
  config["Image"] = c.image_ref;
  config["WorkingDir"] = c.working_dir;
  config["Labels"] =
      c.labels.empty() ? nlohmann::ordered_json::object() : nlohmann::ordered_json(c.labels);
  config["Annotations"] = c.annotations.empty() ? nlohmann::ordered_json::object()
                                                : nlohmann::ordered_json(c.annotations);
  config["StopSignal"] = signal_name(c.stop_signal);
  config["StopTimeout"] = c.stop_timeout >= 0 ? c.stop_timeout : 10;
  config["Tty"] = c.tty;
  config["OpenStdin"] = c.interactive;
  config["AttachStdin"] = c.interactive;
  config["AttachStdout"] = true;
  config["AttachStderr"] = true;
  if (paths.healthcheck) {
    nlohmann::ordered_json health;
    health["Test"] = paths.healthcheck->test;
    health["Interval"] = paths.healthcheck->interval_ns;
    health["Timeout"] = paths.healthcheck->timeout_ns;
    health["StartPeriod"] = paths.healthcheck->start_period_ns;
    health["Retries"] = paths.healthcheck->retries;
    config["Healthcheck"] = health;
  }
  if (c.startup_healthcheck) {
    // podman's Config.StartupHealthCheck (as given: 0 means the default).
    nlohmann::ordered_json startup;
    startup["Test"] = c.startup_healthcheck->test;
    startup["Interval"] = c.startup_healthcheck->interval_ns;
    startup["Timeout"] = c.startup_healthcheck->timeout_ns;
    startup["Retries"] = c.startup_healthcheck->retries;
    startup["Successes"] = c.startup_healthcheck->successes;
    config["StartupHealthCheck"] = startup;
  }
  config["HealthcheckOnFailureAction"] = engine::health_on_failure(c);
  doc["Config"] = config;

  nlohmann::ordered_json host;
  json binds = nlohmann::ordered_json::array();
  for (const auto& m : c.mounts) {
    if (m.type != "bind" && m.type != "volume") continue;
    if (m.type == "volume" && m.source.size() == 64) continue;  // anonymous
    std::string bind = m.source + ":" + m.destination;
    std::vector<std::string> opts;
    if (m.read_only) opts.push_back("ro");
    if (!m.relabel.empty()) opts.push_back(m.relabel);
    if (m.chown) opts.push_back("U");
    if (!m.propagation.empty()) opts.push_back(m.propagation);
    for (size_t i = 0; i < opts.size(); ++i) bind += (i == 0 ? ":" : ",") + opts[i];
    binds.push_back(bind);
  }
  host["Binds"] = binds;
  host["Memory"] = c.resources.memory;
  host["MemorySwap"] = c.resources.memory_swap;
  host["NanoCpus"] = c.resources.nano_cpus;
  host["CpuShares"] = c.resources.cpu_shares;
  host["CpusetCpus"] = c.resources.cpuset_cpus;
  host["PidsLimit"] = c.resources.pids_limit;
  host["ShmSize"] = c.resources.shm_size > 0 ? c.resources.shm_size : 64 * 1024 * 1024;
  host["RestartPolicy"] = {{"Name", c.restart.name}, {"MaximumRetryCount", c.restart.max_retries}};
  host["AutoRemove"] = c.auto_remove;
  host["Privileged"] = c.privileged;
  host["ReadonlyRootfs"] = c.read_only;
  host["CapAdd"] = c.cap_add;
  host["CapDrop"] = c.cap_drop;
  host["SecurityOpt"] = c.security_opt;
  host["Init"] = c.init;
  host["NetworkMode"] = c.network.empty() ? "bridge" : c.network;
  {
    nlohmann::ordered_json bindings = nlohmann::ordered_json::object();
    for (const auto& p : c.ports) {
      std::string key = std::to_string(p.container_port) + "/" + p.protocol;
      if (!bindings.contains(key)) bindings[key] = nlohmann::ordered_json::array();
      bindings[key].push_back(
          {{"HostIp", p.host_ip}, {"HostPort", p.host_port ? std::to_string(p.host_port) : ""}});
    }
    host["PortBindings"] = bindings;
    host["PublishAllPorts"] = c.publish_all;
  }
  host["UsernsMode"] = c.userns;
  host["GroupAdd"] = c.group_add;
  host["ExtraHosts"] = c.add_hosts;
  host["Dns"] = c.dns_servers;
  host["DnsSearch"] = c.dns_search;
  host["DnsOptions"] = c.dns_options;
  json devices = nlohmann::ordered_json::array();
  for (const auto& d : c.devices)
    devices.push_back({{"PathOnHost", d.host_path},
                       {"PathInContainer", d.container_path},
                       {"CgroupPermissions", d.permissions}});
  host["Devices"] = devices;
  json ulimits = nlohmann::ordered_json::array();
  for (const auto& u : c.ulimits)
    ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
  host["Ulimits"] = ulimits;
  json log_config_options = nlohmann::ordered_json::object();
  for (const auto& [k, v] : c.log_options) log_config_options[k] = v;
  host["LogConfig"] = {
      {"Type", c.log_driver}, {"Config", log_config_options}, {"Path", paths.log_path}};
  host["Runtime"] = c.runtime.empty() ? "krill-runtime" : c.runtime;
  doc["HostConfig"] = host;

  nlohmann::ordered_json graph;
  graph["Name"] = paths.driver;
  if (paths.driver == "overlay") {
    graph["Data"] = {{"UpperDir", paths.snapshot_dir + "/upper"},
                     {"WorkDir", paths.snapshot_dir + "/work"},
                     {"MergedDir", paths.rootfs}};
  } else {
    graph["Data"] = {{"Dir", paths.rootfs}};
  }
  doc["GraphDriver"] = graph;
  doc["NetworkSettings"] = network_settings_json(r, paths);
  return doc;
}

Result<bool> ps_filter_matches(
    const ContainerRecord& r, const std::vector<std::string>& filters,
    const std::vector<ContainerRecord>& all,
    const std::function<std::string(const ContainerRecord&)>& health_of) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail("invalid filter \"" + f + "\": want KEY=VALUE");
    by_key[f.substr(0, eq)].push_back(f.substr(eq + 1));
  }
  auto find_created = [&](const std::string& ref) -> std::optional<int64_t> {
    for (const auto& other : all)
      if (other.name == ref || other.id.starts_with(ref)) return other.created_ns;
    return std::nullopt;
  };
  for (const auto& [key, values] : by_key) {
    bool any = false;
    for (const auto& v : values) {
      bool match = false;
      if (key == "status") {
        static const std::vector<std::string> known = {
            "created", "restarting", "running", "removing", "paused",
            "exited",  "dead",       "stopped", "stopping", "configured"};
        if (std::find(known.begin(), known.end(), v) == known.end())
          return fail("invalid filter \"status=" + v + "\": " + v + " is not a valid status");
        std::string s = engine::status_name(r.status);
        match =
            s == v || (v == "stopped" && s == "exited") || (v == "configured" && s == "created");
      } else if (key == "name") {
        try {
          match = std::regex_search(r.name, std::regex(v));
        } catch (const std::regex_error&) {
          match = r.name.find(v) != std::string::npos;
        }
      } else if (key == "id") {
        match = r.id.starts_with(v);
      } else if (key == "label") {
        auto eq = v.find('=');
        std::string k = v.substr(0, eq);
        auto it = r.config.labels.find(k);
        match = it != r.config.labels.end() &&
                (eq == std::string::npos || it->second == v.substr(eq + 1));
      } else if (key == "ancestor") {
        std::string name = image_display(r);
        auto familiar = [](std::string n) {
          for (const char* p : {"docker.io/library/", "docker.io/", "localhost/"})
            if (n.starts_with(p)) n.erase(0, std::strlen(p));
          return n;
        };
        std::string hex = image_hex(r.config.image_id);
        match = name == v || familiar(name) == v || familiar(name) == v + ":latest" ||
                r.config.image_ref == v ||
                (!hex.empty() && v.size() >= 3 && (hex.starts_with(v) || "sha256:" + hex == v)) ||
                fnmatch(v.c_str(), familiar(name).c_str(), 0) == 0;
      } else if (key == "exited") {
        match = r.status == ContainerStatus::kExited && std::to_string(r.exit_code) == v;
      } else if (key == "before") {
        auto t = find_created(v);
        if (!t) return fail("no container with name or ID \"" + v + "\" found: no such container");
        match = r.created_ns < *t;
      } else if (key == "since") {
        auto t = find_created(v);
        if (!t) return fail("no container with name or ID \"" + v + "\" found: no such container");
        match = r.created_ns > *t;
      } else if (key == "health") {
        if (v != "starting" && v != "healthy" && v != "unhealthy" && v != "none")
          return fail("invalid filter \"health=" + v +
                      "\": want starting, healthy, unhealthy or none");
        match = (health_of ? health_of(r) : std::string("none")) == v;
      } else if (key == "volume") {
        for (const auto& m : r.config.mounts) match = match || m.source == v || m.destination == v;
      } else {
        return fail("invalid filter \"" + key + "=" + v +
                    "\": supported are status, name, id, label, ancestor, exited, before, "
                    "since, volume, health");
      }
      any = any || match;
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace krill::cli
