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
// What one attachment needs beyond the bridge and the firewall: each plugin costs a fork, an
// exec and iptables calls on every start and stop (portmap ~70 ms + ~130 ms here), so a
// container that publishes no port gets no portmap and one without --mac-address no tuning.
// The conflist is stored with the attachment, so its DEL runs the same plugins.
struct ConflistNeeds {
  bool publish_ports = true;
  bool set_mac = true;
};

std::string cni_conflist(const NetworkConfig& network, const std::string& ipam_data_dir,
                         const ConflistNeeds& needs = {});

}  // namespace krill::network
