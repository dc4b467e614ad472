// A container's place on krill's networks: its network namespace (bind-mounted at
// <run_root>/networks/netns/<id>), one CNI ADD per network it joins, published ports on its
// first network, and a state file (<run_root>/networks/containers/<id>.json) holding what each
// ADD returned, so that any later krill process can tear it all down (CNI DEL, netns removed)
// — also after the container's monitor was killed. Everything lives under the run root: a
// reboot clears namespaces, leases and state together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/file_lock.h"
#include "network/cni_plugin.h"
#include "network/network_store.h"

namespace krill::network {

struct PortMapping {
  std::string host_ip;  // "" = every address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // "tcp" | "udp" | "sctp"
  // Docker's -p 8000-8010:80: setup takes the first free host port of [host_port,
  // host_port_last] (and records that one alone); 0 = host_port only.
  uint16_t host_port_last = 0;
  friend bool operator==(const PortMapping&, const PortMapping&) = default;
};

struct AttachRequest {
  std::string network;  // name or id
  std::vector<std::string> aliases;
  std::string static_ip;   // --ip / --ip6: "" = from the pool
  std::string static_mac;  // --mac-address
};

struct AttachedNetwork {
  std::string network;  // its name
  std::string network_id;
  std::string interface;  // inside the container: eth0, eth1, ...
  std::string mac;
  std::vector<std::string> addresses;  // CIDR, e.g. "10.90.0.2/16"
  std::string gateway;                 // "" on internal networks
  std::vector<std::string> aliases;
  bool dns = true;         // the network resolves container names (its dns_enabled)
  std::string conflist;    // what ADD ran, for DEL
  std::string cni_result;  // what ADD returned, for DEL
};

struct ContainerNetworkState {
  std::string container_name;  // as it was when the container joined (for peers' /etc/hosts)
  std::string netns_path;
  std::vector<AttachedNetwork> networks;
  std::vector<PortMapping> ports;
  // Rootless: pasta (network/pasta.h) connects the namespace and publishes `ports`; no CNI
  // networks. Its pid file is container_pasta_pid_path.
  bool pasta = false;
};

// Where a container's namespace and state live under the run root.
std::string container_netns_path(const std::string& run_root, const std::string& id);
std::string container_network_state_path(const std::string& run_root, const std::string& id);
std::string container_pasta_pid_path(const std::string& run_root, const std::string& id);

std::string container_network_state_to_json(const ContainerNetworkState& state);
Result<ContainerNetworkState> container_network_state_from_json(std::string_view text);

// "[ip:][hostPort:]containerPort[/proto]" and ranges "8000-8001:80-81" (Docker's -p), one
// mapping per port. A missing host port means "any free port" (host_port 0: setup picks one).
Result<std::vector<PortMapping>> parse_port_mappings(std::string_view text);

// Deletes the bridge device `name` (down first); fine when it does not exist.
Result<void> delete_bridge(const std::string& name);

class ContainerNetworks {
 public:
  ContainerNetworks(NetworkStore& networks, std::string run_root,
                    std::vector<std::string> plugin_dirs, PluginExecutor& executor);

  // The lock every attach and teardown holds: `network rm` holds it too, so that no container
  // joins a network while it is removed.
  Result<FileLock> lock() const;

  std::string netns_path(const std::string& id) const;
  std::string state_path(const std::string& id) const;

  // Makes the namespace and joins `attachments` in order (eth0, eth1, ...); `ports` go to the
  // first one (not on an internal network: error). Host ports already published by another
  // container or bound on the host are refused ("port 8080/tcp is already in use"). On any
  // failure everything made so far is torn down again.
  Result<ContainerNetworkState> setup(const std::string& id, const std::string& name,
                                      const std::vector<AttachRequest>& attachments,
                                      std::vector<PortMapping> ports);
  // Rootless: makes the namespace and connects it through pasta, which also publishes `ports`
  // (checked as for setup). On any failure everything made so far is torn down again.
  Result<ContainerNetworkState> setup_pasta(const std::string& id, const std::string& name,
                                            std::vector<PortMapping> ports);
  // nullopt when the container has no network state (not started, or torn down).
  Result<std::optional<ContainerNetworkState>> state(const std::string& id) const;
  // Every container's state, by id.
  Result<std::vector<std::pair<std::string, ContainerNetworkState>>> all_states() const;
  // CNI DEL for every network (reverse order), the namespace removed, the state file removed.
  // Idempotent; keeps going past errors and reports the first; the networks whose DEL failed
  // stay in the state file for the next try.
  Result<void> teardown(const std::string& id);
  // The same for a caller that holds lock() already.
  Result<void> teardown(const std::string& id, const FileLock& held);
  // Live: one more network on a set-up container (the next ethN).
  Result<AttachedNetwork> connect(const std::string& id, const std::string& name,
                                  const AttachRequest& attachment);
  Result<void> disconnect(const std::string& id, const std::string& network);

 private:
  Result<AttachedNetwork> attach(const std::string& id, const std::string& name,
                                 const std::string& netns, const AttachRequest& attachment,
                                 const std::string& ifname, const std::vector<PortMapping>& ports);
  Result<void> detach(const std::string& id, const std::string& netns,
                      const AttachedNetwork& network, const std::vector<PortMapping>& ports);
  Result<void> teardown_unlocked(const std::string& id);
  // Published ports checked (not twice, not another container's, not bound on the host) and
  // host port 0 made a free one.
  Result<std::vector<PortMapping>> claim_ports(const std::string& id,
                                               std::vector<PortMapping> ports) const;
  // The state of a new start: what an earlier one left torn down, the namespace made.
  Result<ContainerNetworkState> fresh_state(const std::string& id, const std::string& name,
                                            const std::vector<PortMapping>& ports);
  // Deletes the network's bridge when no container is on the network any more (the bridge
  // plugin makes bridges but never removes them).
  void release_unused_bridge(const AttachedNetwork& network);
  Result<void> save(const std::string& id, const ContainerNetworkState& state) const;

  NetworkStore& networks_;
  std::string run_root_;
  std::vector<std::string> plugin_dirs_;
  PluginExecutor& executor_;
};

}  // namespace krill::network
