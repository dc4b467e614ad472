// Network files in podman's netavark JSON, key order included, so that `network inspect` can
// print the file as it is and podman users recognize it.
#include "network/network_config.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/file_io.h"

namespace krill::network {
namespace {

using Json = nlohmann::ordered_json;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Go's time.Parse(time.RFC3339Nano, ...): "Z" or a numeric zone offset ("+02:00"), which podman
// writes for networks created in a local time zone.
Result<int64_t> parse_rfc3339(const std::string& text) {
  auto parsed = parse_rfc3339_nano(text);
  if (!parsed) return fail("invalid RFC 3339 time \"" + text + "\"");
  return *parsed;
}

std::string format_created(int64_t created_ns) {
  int64_t seconds = created_ns / kNanosPerSecond;
  int64_t nanos = created_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  return format_rfc3339_nano(seconds, static_cast<long>(nanos));
}

bool is_network_id(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  return true;
}

std::unexpected<Error> field_error(const std::string& field, const std::string& what) {
  return fail("network file: " + field + ": " + what);
}

Result<std::string> get_string(const Json& object, const std::string& key, const std::string& field,
                               bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) return field_error(field, "missing");
    return std::string();
  }
  if (!it->is_string()) return field_error(field, "expected a string");
  return it->get<std::string>();
}

Result<bool> get_bool(const Json& object, const std::string& key, bool fallback) {
  auto it = object.find(key);
  if (it == object.end()) return fallback;
  if (!it->is_boolean()) return field_error(key, "expected true or false");
  return it->get<bool>();
}

Result<std::map<std::string, std::string>> get_string_map(const Json& object,
                                                          const std::string& key) {
  std::map<std::string, std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object()) return field_error(key, "expected an object of strings");
  for (auto entry = it->begin(); entry != it->end(); ++entry) {
    if (!entry.value().is_string())
      return field_error(key + "." + entry.key(), "expected a string");
    out[entry.key()] = entry.value().get<std::string>();
  }
  return out;
}

Result<IpAddress> get_address(const Json& object, const std::string& key,
                              const std::string& field) {
  const std::string text = KRILL_TRY(get_string(object, key, field, true));
  auto ip = IpAddress::parse(text);
  if (!ip) return field_error(field, ip.error().message());
  return *ip;
}

Result<SubnetConfig> parse_subnet(const Json& value, const std::string& field) {
  if (!value.is_object()) return field_error(field, "expected an object");
  SubnetConfig out;
  const std::string text = KRILL_TRY(get_string(value, "subnet", field + ".subnet", true));
  auto subnet = Subnet::parse(text);
  if (!subnet) return field_error(field + ".subnet", subnet.error().message());
  out.subnet = *subnet;
  if (value.contains("gateway")) {
    const IpAddress gateway = KRILL_TRY(get_address(value, "gateway", field + ".gateway"));
    if (!out.subnet.contains(gateway))
      return field_error(field + ".gateway",
                         gateway.to_string() + " is not in subnet " + out.subnet.to_string());
    out.gateway = gateway;
  }
  auto range = value.find("lease_range");
  if (range != value.end()) {
    const std::string range_field = field + ".lease_range";
    if (!range->is_object()) return field_error(range_field, "expected an object");
    LeaseRange lease;
    lease.start = KRILL_TRY(get_address(*range, "start_ip", range_field + ".start_ip"));
    lease.end = KRILL_TRY(get_address(*range, "end_ip", range_field + ".end_ip"));
    for (const IpAddress* ip : {&lease.start, &lease.end})
      if (!out.subnet.contains(*ip))
        return field_error(range_field,
                           ip->to_string() + " is not in subnet " + out.subnet.to_string());
    if (lease.end < lease.start)
      return field_error(range_field, "start_ip " + lease.start.to_string() + " is after end_ip " +
                                          lease.end.to_string());
    out.lease_range = lease;
  }
  return out;
}

}  // namespace

std::string network_config_to_json(const NetworkConfig& config) {
  Json out = Json::object();
  out["name"] = config.name;
  out["id"] = config.id;
  out["driver"] = config.driver;
  out["network_interface"] = config.interface_name;
  out["created"] = format_created(config.created_ns);
  Json subnets = Json::array();
  for (const SubnetConfig& subnet : config.subnets) {
    Json entry = Json::object();
    entry["subnet"] = subnet.subnet.to_string();
    if (subnet.gateway) entry["gateway"] = subnet.gateway->to_string();
    if (subnet.lease_range)
      entry["lease_range"] = {{"start_ip", subnet.lease_range->start.to_string()},
                              {"end_ip", subnet.lease_range->end.to_string()}};
    subnets.push_back(std::move(entry));
  }
  out["subnets"] = std::move(subnets);
  out["ipv6_enabled"] = config.ipv6_enabled;
  out["internal"] = config.internal;
  out["dns_enabled"] = config.dns_enabled;
  // Go's omitempty, as podman prints them.
  if (!config.labels.empty()) out["labels"] = config.labels;
  if (!config.options.empty()) out["options"] = config.options;
  out["ipam_options"] = {{"driver", "host-local"}};
  return out.dump(2) + "\n";
}

Result<NetworkConfig> network_config_from_json(std::string_view text) {
  const Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return fail("network file: invalid JSON");
  if (!root.is_object()) return fail("network file: expected a JSON object");
  NetworkConfig config;
  config.name = KRILL_TRY(get_string(root, "name", "name", true));
  if (config.name.empty()) return field_error("name", "empty");
  config.id = KRILL_TRY(get_string(root, "id", "id", true));
  if (!is_network_id(config.id))
    return field_error("id", "\"" + config.id + "\" is not 64 lower-case hex digits");
  if (root.contains("driver"))
    config.driver = KRILL_TRY(get_string(root, "driver", "driver", true));
  config.interface_name =
      KRILL_TRY(get_string(root, "network_interface", "network_interface", false));
  const std::string created = KRILL_TRY(get_string(root, "created", "created", false));
  if (!created.empty()) {
    auto ns = parse_rfc3339(created);
    if (!ns) return field_error("created", ns.error().message());
    config.created_ns = *ns;
  }
  auto subnets = root.find("subnets");
  if (subnets != root.end() && !subnets->is_null()) {
    if (!subnets->is_array()) return field_error("subnets", "expected an array");
    for (size_t i = 0; i < subnets->size(); ++i)
      config.subnets.push_back(
          KRILL_TRY(parse_subnet((*subnets)[i], "subnets[" + std::to_string(i) + "]")));
  }
  config.ipv6_enabled = KRILL_TRY(get_bool(root, "ipv6_enabled", false));
  config.internal = KRILL_TRY(get_bool(root, "internal", false));
  config.dns_enabled = KRILL_TRY(get_bool(root, "dns_enabled", false));
  config.labels = KRILL_TRY(get_string_map(root, "labels"));
  config.options = KRILL_TRY(get_string_map(root, "options"));
  auto ipam = root.find("ipam_options");
  if (ipam != root.end() && !ipam->is_null()) {
    if (!ipam->is_object()) return field_error("ipam_options", "expected an object");
    const std::string driver = KRILL_TRY(get_string(*ipam, "driver", "ipam_options.driver", false));
    // Only host-local is implemented; a dhcp or none network would silently behave differently.
    if (!driver.empty() && driver != "host-local")
      return field_error("ipam_options.driver", "unsupported IPAM driver \"" + driver + "\"");
  }
  return config;
}

}  // namespace krill::network
