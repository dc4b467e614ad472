#include "cli/krill/cmd_container_flags.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/engine_health.h"
#include "engine/spec_builder.h"
#include "engine/userns_auto.h"
#include "monitor/log_file.h"
#include "network/container_network.h"

namespace krill::cli {
namespace {

std::unexpected<Error> bad_value(std::string_view flag, std::string_view value, const Error& why) {
  return fail("invalid argument \"" + std::string(value) + "\" for \"" + std::string(flag) +
              "\" flag: " + why.message());
}

template <typename T>
Result<T> flag_value(std::string_view flag, std::string_view value, Result<T> parsed) {
  if (!parsed) return bad_value(flag, value, parsed.error());
  return parsed;
}

Result<int64_t> parse_integer(std::string_view flag, std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0)
    return bad_value(flag, text, Error("strconv.ParseInt: parsing \"" + s + "\": invalid syntax"));
  return static_cast<int64_t>(v);
}

std::optional<std::string> resolve_env_entry(const std::string& entry, const EnvLookup& lookup) {
  if (entry.find('=') != std::string::npos) return entry;
  if (entry.empty()) return std::nullopt;
  auto value = lookup ? lookup(entry) : std::nullopt;
  if (!value) return std::nullopt;
  return entry + "=" + *value;
}

Result<std::pair<std::string, std::string>> key_value(std::string_view flag,
                                                      const std::string& text) {
  auto eq = text.find('=');
  if (text.empty() || eq == 0)
    return bad_value(flag, text, Error("invalid format, want KEY=VALUE"));
  if (eq == std::string::npos) return std::pair{text, std::string()};
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

// A healthcheck command as podman takes it: a JSON array (["CMD", ...], ["CMD-SHELL", "..."],
// or plain arguments, which become CMD), "none", or a shell command (CMD-SHELL).
Result<std::vector<std::string>> health_test(std::string_view flag, const std::string& value) {
  if (value == "none") return std::vector<std::string>{"NONE"};
  if (value.starts_with("[")) {
    auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_array() || parsed.empty() ||
        !std::all_of(parsed.begin(), parsed.end(), [](const auto& v) { return v.is_string(); }))
      return bad_value(flag, value, Error("want a JSON array of strings or a shell command"));
    auto args = parsed.get<std::vector<std::string>>();
    if (args[0] != "CMD" && args[0] != "CMD-SHELL" && args[0] != "NONE")
      args.insert(args.begin(), "CMD");
    return args;
  }
  return std::vector<std::string>{"CMD-SHELL", value};
}

// A --health-* duration: Go's syntax, at least 1ms (Docker's minimum); "" is 0 (the default).
Result<int64_t> health_duration(std::string_view flag, const std::string& value) {
  if (value.empty()) return 0;
  auto d = KRILL_TRY(flag_value(flag, value, parse_go_duration(value)));
  if (d < 0) return bad_value(flag, value, Error("must not be negative"));
  if (d > 0 && d < 1000000) return bad_value(flag, value, Error("must be at least 1ms"));
  return d;
}

Result<int> health_count(std::string_view flag, const std::string& value) {
  if (value.empty()) return 0;
  auto n = KRILL_TRY(parse_integer(flag, value));
  if (n < 0 || n > 1000000000) return bad_value(flag, value, Error("must not be negative"));
  return static_cast<int>(n);
}

// --health-* and --health-startup-* into the container's config.
Result<void> apply_health_flags(const RunFlags& f, engine::ContainerConfig& c) {
  if (!f.health_cmd.empty() || !f.health_interval.empty() || !f.health_timeout.empty() ||
      !f.health_start_period.empty() || !f.health_retries.empty()) {
    if (f.no_healthcheck) return fail("--no-healthcheck conflicts with --health-* options");
    engine::HealthcheckRequest h;
    if (!f.health_cmd.empty()) h.test = KRILL_TRY(health_test("--health-cmd", f.health_cmd));
    h.interval_ns = KRILL_TRY(health_duration("--health-interval", f.health_interval));
    h.timeout_ns = KRILL_TRY(health_duration("--health-timeout", f.health_timeout));
    h.start_period_ns = KRILL_TRY(health_duration("--health-start-period", f.health_start_period));
    h.retries = KRILL_TRY(health_count("--health-retries", f.health_retries));
    c.healthcheck = h;
  }
  c.no_healthcheck = f.no_healthcheck;
  const bool startup_flags = !f.health_startup_interval.empty() ||
                             !f.health_startup_timeout.empty() ||
                             !f.health_startup_retries.empty() || !f.health_startup_success.empty();
  if (f.health_startup_cmd.empty()) {
    if (startup_flags) return fail("--health-startup-* options need --health-startup-cmd");
    return {};
  }
  if (f.no_healthcheck) return fail("--no-healthcheck conflicts with --health-startup-cmd");
  engine::StartupHealthcheckRequest startup;
  startup.test = KRILL_TRY(health_test("--health-startup-cmd", f.health_startup_cmd));
  if (startup.test.front() == "NONE")
    return bad_value("--health-startup-cmd", f.health_startup_cmd,
                     Error("a startup healthcheck cannot be \"none\""));
  if (startup.test.size() < 2)
    return bad_value("--health-startup-cmd", f.health_startup_cmd, Error("no command"));
  startup.interval_ns =
      KRILL_TRY(health_duration("--health-startup-interval", f.health_startup_interval));
  startup.timeout_ns =
      KRILL_TRY(health_duration("--health-startup-timeout", f.health_startup_timeout));
  startup.retries = KRILL_TRY(health_count("--health-startup-retries", f.health_startup_retries));
  startup.successes = KRILL_TRY(health_count("--health-startup-success", f.health_startup_success));
  c.startup_healthcheck = startup;
  return {};
}

}  // namespace

EnvLookup process_env_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

Result<int64_t> parse_time_or_duration(std::string_view text, int64_t now_ns) {
  if (text.empty()) return fail("empty time");
  // Unix seconds, optionally with a fraction.
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; })) {
    long double seconds = std::strtold(std::string(text).c_str(), nullptr);
    return static_cast<int64_t>(seconds * 1e9L);
  }
  if (auto duration = parse_go_duration(text)) return now_ns - *duration;
  if (auto parsed = parse_rfc3339_nano(text)) return *parsed;
  // A date, or a date and time without zone (UTC).
  std::string s(text);
  for (const char* format :
       {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), format, &tm);
    if (end && *end == '\0') return static_cast<int64_t>(::timegm(&tm)) * 1000000000LL;
  }
  return fail("invalid time or duration \"" + s +
              "\": use RFC 3339 (2026-11-28T11:00:00Z), Unix seconds or a duration (10m)");
}

Result<std::vector<std::string>> read_env_file(const std::string& path, const EnvLookup& lookup) {
  std::ifstream in(path);
  if (!in) return fail("open env file " + path + ": no such file or directory");
  std::vector<std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line.erase(0, start);
    if (auto entry = resolve_env_entry(line, lookup)) env.push_back(*entry);
  }
  return env;
}

// --network (repeatable, with podman's NAME:alias=A,ip=IP,mac=MAC), --network-alias, --ip,
// --ip6, --mac-address, -p and -P.
static Result<void> apply_network_flags(const RunFlags& f, engine::ContainerConfig& c) {
  auto bad_network = [](const std::string& value, const std::string& why) {
    return fail("invalid argument \"" + value + "\" for \"--network\" flag: " + why);
  };
  for (const auto& value : f.network) {
    bool mode = value == "none" || value == "host" || value.starts_with("container:") ||
                value.starts_with("ns:");
    if (mode) {
      if (f.network.size() > 1)
        return bad_network(value,
                           "none, host, container: and ns: cannot be combined with other "
                           "networks");
      if (value == "container:" || value == "ns:")
        return bad_network(value, "missing the container or path after the colon");
      c.network = value;
      continue;
    }
    if (value.empty()) return bad_network(value, "empty network name");
    engine::NetworkRequest request;
    auto colon = value.find(':');
    request.name = value.substr(0, colon);
    if (request.name == "default" || request.name == "private") request.name = "bridge";
    if (colon != std::string::npos) {
      std::string options = value.substr(colon + 1);
      size_t start = 0;
      while (start <= options.size()) {
        auto comma = options.find(',', start);
        std::string option = options.substr(start, comma - start);
        auto eq = option.find('=');
        std::string key = option.substr(0, eq);
        std::string v = eq == std::string::npos ? "" : option.substr(eq + 1);
        if (eq == std::string::npos || v.empty())
          return bad_network(value, "want NAME:alias=A,ip=IP,mac=MAC");
        if (key == "alias") {
          request.aliases.push_back(v);
        } else if (key == "ip" || key == "ip6") {
          request.ip = v;
        } else if (key == "mac") {
          request.mac = v;
        } else {
          return bad_network(value, "unknown option \"" + key + "\" (alias, ip, mac)");
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    for (const auto& existing : c.networks)
      if (existing.name == request.name)
        return bad_network(value, "network " + request.name + " is given twice");
    c.networks.push_back(std::move(request));
  }
  bool per_network =
      !f.network_alias.empty() || !f.ip.empty() || !f.ip6.empty() || !f.mac_address.empty();
  if (per_network) {
    if (!c.network.empty())
      return fail("--network-alias, --ip, --ip6 and --mac-address need a network, not --network " +
                  c.network);
    if (c.networks.empty()) c.networks.push_back({"bridge", {}, "", ""});
    auto& first = c.networks.front();
    for (const auto& alias : f.network_alias) first.aliases.push_back(alias);
    if (!f.ip.empty()) first.ip = f.ip;
    if (!f.ip.empty() && !f.ip6.empty())
      return fail("--ip and --ip6 together are not supported yet: give one address");
    if (!f.ip6.empty()) first.ip = f.ip6;
    if (!f.mac_address.empty()) first.mac = f.mac_address;
  }
  // A lone default network is the default: nothing to record.
  if (c.networks.size() == 1 && c.networks.front() == engine::NetworkRequest{"bridge", {}, "", ""})
    c.networks.clear();
  for (const auto& text : f.publish) {
    auto mappings = network::parse_port_mappings(text);
    if (!mappings)
      return fail("invalid argument \"" + text +
                  "\" for \"-p, --publish\" flag: " + mappings.error().message());
    for (const auto& m : *mappings)
      c.ports.push_back({m.host_ip, m.host_port, m.container_port, m.protocol, m.host_port_last});
  }
  c.publish_all = f.publish_all;
  if ((!c.ports.empty() || c.publish_all) &&
      (c.network == "none" || c.network == "host" || c.network.starts_with("container:") ||
       c.network.starts_with("ns:")))
    return fail("--publish needs a bridge network: the container uses --network " + c.network);
  return {};
}

Result<engine::ContainerConfig> run_flags_to_config(const RunFlags& f, const EnvLookup& lookup) {
  engine::ContainerConfig c;
  c.image_ref = f.image;
  if (f.entrypoint_given) {
    if (f.entrypoint.empty()) {
      c.entrypoint = std::vector<std::string>{};
    } else if (f.entrypoint.front() == '[') {
      auto parsed = nlohmann::json::parse(f.entrypoint, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_array())
        return fail("invalid argument \"" + f.entrypoint +
                    "\" for \"--entrypoint\" flag: not a JSON array of strings");
      std::vector<std::string> args;
      for (const auto& a : parsed) {
        if (!a.is_string())
          return fail("invalid argument \"" + f.entrypoint +
                      "\" for \"--entrypoint\" flag: not a JSON array of strings");
        args.push_back(a.get<std::string>());
      }
      c.entrypoint = args;
    } else {
      c.entrypoint = std::vector<std::string>{f.entrypoint};
    }
  }
  c.command = f.command;
  for (const auto& file : f.env_file)
    for (auto& e : KRILL_TRY(read_env_file(file, lookup))) c.env.push_back(e);
  for (const auto& e : f.env)
    if (auto entry = resolve_env_entry(e, lookup)) c.env.push_back(*entry);
  c.working_dir = f.workdir;
  if (!c.working_dir.empty() && c.working_dir.front() != '/')
    return fail("invalid argument \"" + f.workdir +
                "\" for \"--workdir\" flag: the working directory must be an absolute path");
  c.user = f.user;
  c.group_add = f.group_add;
  c.hostname = f.hostname;
  c.add_hosts = f.add_host;
  for (const auto& h : f.add_host)
    if (h.find(':') == std::string::npos && h.find('=') == std::string::npos)
      return fail("invalid argument \"" + h + "\" for \"--add-host\" flag: want HOST:IP");
  c.dns_servers = f.dns;
  c.dns_search = f.dns_search;
  c.dns_options = f.dns_option;
  for (const auto& file : f.label_file) {
    std::ifstream in(file);
    if (!in) return fail("open label file " + file + ": no such file or directory");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line.front() == '#') continue;
      auto [k, v] = KRILL_TRY(key_value("--label-file", line));
      c.labels[k] = v;
    }
  }
  for (const auto& l : f.label) {
    auto [k, v] = KRILL_TRY(key_value("--label", l));
    c.labels[k] = v;
  }
  for (const auto& a : f.annotation) {
    auto [k, v] = KRILL_TRY(key_value("--annotation", a));
    c.annotations[k] = v;
  }
  c.tty = f.tty;
  c.interactive = f.interactive;
  c.read_only = f.read_only;
  c.privileged = f.privileged;
  c.init = f.init;
  c.init_path = f.init_path;
  c.auto_remove = f.rm;
  c.cap_add = f.cap_add;
  c.cap_drop = f.cap_drop;
  for (const auto& s : f.security_opt) {
    // The values are checked where they are used (engine/spec_builder.cpp); the keys here, so
    // that a typo fails before anything is pulled or created.
    static constexpr std::string_view kKeys[] = {"no-new-privileges", "seccomp", "label",
                                                 "apparmor", "mask", "unmask", "systempaths"};
    std::string_view key = std::string_view(s).substr(0, s.find_first_of("=:"));
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      return fail("invalid argument \"" + s +
                  "\" for \"--security-opt\" flag: want seccomp=FILE|unconfined, "
                  "no-new-privileges, label=..., apparmor=..., mask=PATHS, unmask=PATHS|ALL, "
                  "systempaths=unconfined");
  }
  c.security_opt = f.security_opt;
  for (const auto& v : f.volumes)
    c.mounts.push_back(KRILL_TRY(flag_value("-v, --volume", v, engine::parse_volume_flag(v))));
  for (const auto& m : f.mounts)
    c.mounts.push_back(KRILL_TRY(flag_value("--mount", m, engine::parse_mount_flag(m))));
  for (const auto& t : f.tmpfs)
    c.mounts.push_back(KRILL_TRY(flag_value("--tmpfs", t, engine::parse_tmpfs_flag(t))));
  for (size_t i = 0; i < c.mounts.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (c.mounts[i].destination == c.mounts[j].destination)
        return fail("duplicate mount destination " + c.mounts[i].destination +
                    ": invalid argument");
  for (const auto& d : f.device)
    c.devices.push_back(KRILL_TRY(flag_value("--device", d, engine::parse_device(d))));
  for (const auto& u : f.ulimit)
    c.ulimits.push_back(KRILL_TRY(flag_value("--ulimit", u, engine::parse_ulimit(u))));
  auto& r = c.resources;
  if (!f.memory.empty())
    r.memory = KRILL_TRY(flag_value("-m, --memory", f.memory, engine::parse_byte_size(f.memory)));
  if (!f.memory_swap.empty()) {
    r.memory_swap = f.memory_swap == "-1"
                        ? -1
                        : KRILL_TRY(flag_value("--memory-swap", f.memory_swap,
                                               engine::parse_byte_size(f.memory_swap)));
    if (r.memory_swap > 0 && r.memory == 0)
      return fail("you should always set a memory limit when using a memory swap limit");
    if (r.memory_swap > 0 && r.memory_swap < r.memory)
      return fail("minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (!f.cpus.empty())
    r.nano_cpus = KRILL_TRY(flag_value("--cpus", f.cpus, engine::parse_cpus(f.cpus)));
  if (!f.cpu_shares.empty()) {
    auto shares = KRILL_TRY(parse_integer("-c, --cpu-shares", f.cpu_shares));
    if (shares < 0) return bad_value("-c, --cpu-shares", f.cpu_shares, Error("must be >= 0"));
    r.cpu_shares = static_cast<uint64_t>(shares);
  }
  r.cpuset_cpus = f.cpuset_cpus;
  if (!r.cpuset_cpus.empty() &&
      r.cpuset_cpus.find_first_not_of("0123456789,-") != std::string::npos)
    return bad_value("--cpuset-cpus", r.cpuset_cpus, Error("want a list like 0-3,5"));
  if (!f.pids_limit.empty()) {
    r.pids_limit = KRILL_TRY(parse_integer("--pids-limit", f.pids_limit));
    if (r.pids_limit == 0) r.pids_limit = -1;  // podman: 0 = unlimited
  }
  if (!f.shm_size.empty())
    r.shm_size =
        KRILL_TRY(flag_value("--shm-size", f.shm_size, engine::parse_byte_size(f.shm_size)));
  KRILL_CHECK(apply_network_flags(f, c));
  // podman's keep-id and nomap are for rootless krill, whose store Linux does not let it
  // id-map; ns:PATH is not there yet.
  if (engine::is_auto_userns(f.userns)) {
    KRILL_CHECK(flag_value("--userns", f.userns, engine::auto_userns_size(f.userns)));
  } else if (!f.userns.empty() && f.userns != "host") {
    return bad_value("--userns", f.userns,
                     Error("host or auto[:size=N] (keep-id and nomap need a rootless store "
                           "that Linux lets krill id-map)"));
  }
  c.userns = f.userns;
  if (!f.stop_signal.empty())
    c.stop_signal =
        KRILL_TRY(flag_value("--stop-signal", f.stop_signal, engine::parse_signal(f.stop_signal)));
  if (!f.stop_timeout.empty()) {
    auto timeout = KRILL_TRY(parse_integer("--stop-timeout", f.stop_timeout));
    if (timeout < 0) return bad_value("--stop-timeout", f.stop_timeout, Error("must be >= 0"));
    c.stop_timeout = static_cast<int>(timeout);
  }
  if (!f.restart.empty())
    c.restart = KRILL_TRY(flag_value("--restart", f.restart, engine::parse_restart(f.restart)));
  if (c.auto_remove && c.restart.name != "no")
    return fail(
        "the --rm option conflicts with --restart (Conflicting options: --restart and "
        "--rm)");
  KRILL_CHECK(apply_health_flags(f, c));
  // --health-on-failure arrives as its annotation (cmd_container_line.cpp).
  if (auto it = c.annotations.find(engine::kHealthOnFailureAnnotation); it != c.annotations.end()) {
    const std::string& action = it->second;
    if (action != "none" && action != "kill" && action != "restart" && action != "stop")
      return bad_value("--health-on-failure", action, Error("want none, kill, restart or stop"));
  }
  std::string driver = f.log_driver.empty() ? "k8s-file" : f.log_driver;
  if (driver == "json-file" || driver == "k8s-file" || driver == "none") {
    c.log_driver = driver;
  } else {
    return fail("invalid argument \"" + driver +
                "\" for \"--log-driver\" flag: supported are k8s-file, json-file and none");
  }
  for (const auto& o : f.log_opt) {
    auto [k, v] = KRILL_TRY(key_value("--log-opt", o));
    if (k == "max-size") {
      KRILL_TRY(flag_value("--log-opt", o, engine::parse_byte_size(v)));
    } else if (k == "max-file") {
      auto n = KRILL_TRY(parse_integer("--log-opt", v));
      if (n < 1) return bad_value("--log-opt", o, Error("max-file must be at least 1"));
    } else if (k != "path" && k != "tag" && k != "labels" && k != "env" && k != "compress" &&
               k != "mode") {
      return bad_value("--log-opt", o, Error("unknown log option " + k));
    }
    c.log_options[k] = v;
  }
  c.runtime = f.runtime;
  return c;
}

}  // namespace krill::cli
