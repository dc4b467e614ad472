// Name resolution between containers on one network, through their /etc/hosts: each hosts file
// ends with a section krill manages, one line per address of every other container that shares
// a network with it (its name and its aliases on that network). Starting, stopping, connecting
// and disconnecting a container rewrites the section in the files of the containers it shares
// networks with — in place, because the file is bind-mounted into the running container.
// docs/architecture.md ("Networks") says why this and not a DNS server.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "network/container_network.h"

namespace krill::engine {

using NetworkStates = std::vector<std::pair<std::string, network::ContainerNetworkState>>;

// The section for container `id` (the marker line first; "" when it shares no network with
// anyone). `self` is its own state; `states` may include it (skipped).
std::string peer_hosts_section(const std::string& id, const network::ContainerNetworkState& self,
                               const NetworkStates& states);

// Replaces the section at the end of the hosts file at `path` (or appends it), keeping what is
// above it, writing in place so the container sees the change. A missing file is left alone.
Result<void> replace_peer_hosts_section(const std::string& path, std::string_view section);

}  // namespace krill::engine
