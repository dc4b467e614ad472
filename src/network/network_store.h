// The networks krill knows: <store_root>/networks/<name>.json (network_config.h), created and
// removed under a lock file in that directory so that concurrent krill processes agree.
//
// The default network is not a file until first use: find() of its name (or "bridge") creates
// it from the defaults (network_defaults.h). Subnets of new networks come from a pool when not
// given, skipping every subnet already used by another network or routed by the host.
//
// Errors carry an errno for exit codes and for callers that test them: ENOENT "unable to find
// network with name or ID x: network not found", EEXIST "network name x already used: network
// already exists", EINVAL for bad names/subnets/drivers/options, EBUSY for subnets in use
// ("subnet 10.88.0.0/16 is already used on the host or by another config").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "network/network_config.h"

namespace krill::network {

struct NetworkDefaults {
  std::string default_network = "krill";        // its name
  std::string default_interface = "krill0";     // its bridge
  std::string default_subnet = "10.90.0.0/16";  // its subnet
  // Where new networks' /24s (or the pool's prefix) come from, in order.
  std::vector<std::string> subnet_pools = {"10.91.0.0/16", "10.92.0.0/16", "10.93.0.0/16"};
  int pool_prefix_length = 24;
  std::string bridge_prefix = "krill";  // new networks' bridges: krill1, krill2, ...
};

struct NetworkCreateOptions {
  std::string name;               // "" = generated: "krill<N>" (the first free one from 1)
  std::string driver = "bridge";  // only "bridge" (error otherwise: "unsupported driver x")
  // --subnet / --gateway / --ip-range, paired by position (a gateway or range belongs to the
  // subnet at the same index; a gateway must lie inside its subnet, a range inside it too).
  std::vector<std::string> subnets;
  std::vector<std::string> gateways;
  std::vector<std::string> ip_ranges;  // CIDR ("10.91.3.128/25") or "START-END"
  bool internal = false;
  bool ipv6 = false;           // without --subnet: also allocate an IPv6 /64 from fd00::/8 (ULA)
  std::string interface_name;  // -o/--interface-name; "" = next free bridge name
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // mtu=N (68..65535), isolate=true|false, ...
  bool ignore_existing = false;                // --ignore: return the existing network of that name
};

class NetworkStore {
 public:
  // `dir` is created (0700) when missing. `host_subnets` are what the host routes already
  // (ip_address.h host_route_subnets(); tests pass their own list).
  static Result<NetworkStore> open(std::string dir, NetworkDefaults defaults,
                                   std::vector<Subnet> host_subnets);

  Result<NetworkConfig> create(const NetworkCreateOptions& options);
  // By name, full id or unique id prefix. "bridge" and the default name give the default
  // network (created on first use).
  Result<NetworkConfig> find(const std::string& name_or_id);
  // Every network sorted by name, the default network included (created if missing).
  Result<std::vector<NetworkConfig>> list();
  // Removes the file; the default network cannot be removed (EPERM: "default network krill
  // cannot be removed"). Whether containers use it is the engine's business.
  Result<void> remove(const std::string& name_or_id);

  const NetworkDefaults& defaults() const { return defaults_; }
  const std::string& dir() const { return dir_; }

 private:
  NetworkStore(std::string dir, NetworkDefaults defaults, std::vector<Subnet> host_subnets);
  std::string dir_;
  NetworkDefaults defaults_;
  std::vector<Subnet> host_subnets_;
};

// Docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool is_valid_network_name(std::string_view name);

}  // namespace krill::network
