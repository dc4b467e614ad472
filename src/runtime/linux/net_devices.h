// config-linux.md "Network Devices": moving host network devices into the container's network
// namespace, from the runtime (it is in the host's namespace; the container is not).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::linux_ns {

// Moves each `devices` entry (host name -> settings) into the network namespace of `netns_fd`:
// every device is checked first (it exists here; its name inside is free there, unless the
// name is a "%d" template the kernel fills in), then each is set down, moved and renamed in one
// request, given back its permanent global-scope addresses (moving drops them) and set up.
// Nothing moves back later: on the namespace's end the kernel returns physical devices to the
// initial namespace and destroys virtual ones, as the spec wants.
// Errors name the entry: "linux.netDevices.eth9: no network device eth9 on the host".
Result<void> move_net_devices(const std::map<std::string, oci::NetDevice>& devices, int netns_fd);

// The name a device gets inside: `name`, or the host name when it is empty.
std::string net_device_target_name(const std::string& host_name, const oci::NetDevice& device);

}  // namespace krill::linux_ns
