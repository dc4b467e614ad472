// Where networks come from by default: krill's own config files, in podman's TOML style.
//
//   /etc/krill/krill.conf, then $XDG_CONFIG_HOME/krill/krill.conf (or ~/.config/...), later
//   files overriding earlier ones key by key:
//
//   [network]
//   default_network = "krill"
//   default_subnet = "10.90.0.0/16"
//   default_interface = "krill0"
//   default_subnet_pools = ["10.91.0.0/16", "10.92.0.0/16"]
//   cni_plugin_dirs = ["/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"]
//
// Read with krill's TOML subset (base/toml_subset.h). Every value must be a string or an array
// of strings; anything else (an integer, a syntax error, a duplicate key or section) is an error
// naming file and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "network/network_store.h"

namespace krill::network {

struct NetworkSettingsFile {
  NetworkDefaults defaults;
  std::vector<std::string> cni_plugin_dirs = {"/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"};
};

// Applies one file's [network] section over `settings`. Error: "krill.conf:4: expected
// key = \"value\"".
Result<void> apply_network_settings(std::string_view file_name, std::string_view text,
                                    NetworkSettingsFile& settings);
// The system file then the user's, each only when it exists.
Result<NetworkSettingsFile> load_network_settings();

}  // namespace krill::network
