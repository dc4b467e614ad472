// The CNI network configuration list (conflist, CNI spec 1.0.0) that implements a krill
// network with the reference plugins from Debian's containernetworking-plugins:
//   bridge (+ host-local IPAM over the network's subnets, its gateway, lease range and a
//   default route unless internal; isGateway and ipMasq unless internal; hairpin mode; mtu),
//   portmap (capability portMappings; not on internal networks),
//   firewall (iptables backend), tuning.
#pragma once

#include <string>

#include "network/network_config.h"

namespace krill::network {

// `ipam_data_dir`: host-local's dataDir (leases), under the run root so that a reboot clears
// them with the containers that held them.
std::string cni_conflist(const NetworkConfig& network, const std::string& ipam_data_dir);

}  // namespace krill::network
