// Network namespaces that outlive the process that made them: a new namespace bind-mounted on
// a file, the way `ip netns add` keeps one (the container's runtime then joins it by path).
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace krill::network {

// Creates `path` (its directory must exist) and bind-mounts a new network namespace on it,
// with its loopback interface up. Made in a short-lived child process so the caller's own
// namespaces never change. On failure nothing is left (no file, no mount).
// Error: "create network namespace /run/krill/netns/x: mount: Operation not permitted".
Result<void> create_persistent_netns(const std::string& path);

// Unmounts (lazily) and removes `path`. Succeeds when it does not exist.
Result<void> remove_persistent_netns(const std::string& path);

// Runs `fn` with the calling thread inside the network namespace at `path`, then returns the
// thread to its own namespace (setns twice). For reading a container's interfaces.
Result<void> in_netns(const std::string& path, const std::function<Result<void>()>& fn);

}  // namespace krill::network
