// A network as krill stores it: one JSON file per network, in the format `podman network
// inspect` prints for netavark networks (name, id, driver, network_interface, created,
// subnets[{subnet, gateway, lease_range{start_ip,end_ip}}], ipv6_enabled, internal,
// dns_enabled, labels, options, ipam_options), so the inspect output is the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "network/ip_address.h"

namespace krill::network {

struct LeaseRange {
  IpAddress start;
  IpAddress end;
};

struct SubnetConfig {
  Subnet subnet;
  std::optional<IpAddress> gateway;       // none on an --internal network without a gateway
  std::optional<LeaseRange> lease_range;  // --ip-range: containers' addresses come from here
};

struct NetworkConfig {
  std::string name;
  std::string id;  // 64 lower-case hex digits
  std::string driver = "bridge";
  std::string interface_name;  // the bridge device, e.g. "krill0" (at most 15 bytes)
  std::vector<SubnetConfig> subnets;
  bool ipv6_enabled = false;
  bool internal = false;
  bool dns_enabled = true;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // -o: mtu, vlan, isolate, com.docker.network.*
  int64_t created_ns = 0;                      // printed as RFC 3339 "created"
};

std::string network_config_to_json(const NetworkConfig& config);  // one object, pretty
// Errors name the bad field: "network file: subnets[0].subnet: invalid subnet ...".
Result<NetworkConfig> network_config_from_json(std::string_view text);

}  // namespace krill::network
