// Rootless networking through pasta (Debian's passt package), as podman 5 does it: pasta joins
// a container's network namespace, copies the host's addresses and routes into it, forwards
// outbound traffic through ordinary sockets of the user's, and listens on published host ports.
// It runs in the background until the namespace's bind mount is removed (it watches it) or it
// is killed through its pid file.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "network/container_network.h"

namespace krill::network {

struct PastaRequest {
  std::string binary = "pasta";    // a path, or a name looked up in PATH
  std::string netns_path;          // a persistent namespace (netns.h)
  std::vector<PortMapping> ports;  // published ports (tcp and udp)
  std::string pid_file;            // where pasta writes its pid once it is set up
};

// pasta's arguments for `request`, argv[0] first: --config-net, --netns, the forwarded ports
// (`-t [ADDR/]HOST:CONTAINER`, `-u ...`, `none` where nothing is published, also for the
// namespace-to-host direction), --pid. Error for sctp ports and host port 0 (pasta needs the
// host port).
Result<std::vector<std::string>> pasta_arguments(const PastaRequest& request);

// True when the host has a route pasta can copy into a namespace (a default route, IPv4 or v6):
// without one pasta has nothing to connect the namespace to.
bool host_has_default_route();

// Starts pasta and waits until it is set up and in the background. Error "start pasta: ..."
// with pasta's own message.
Result<void> start_pasta(const PastaRequest& request);

// Kills the pasta of `pid_file` (when it is still the process that wrote it) and removes the
// file. Succeeds when there is none.
Result<void> stop_pasta(const std::string& pid_file);

}  // namespace krill::network
