// What `krill network create|ls|inspect|rm|prune|connect|disconnect` parse into (podman's and
// Docker's flags).
#pragma once

#include <string>
#include <vector>

namespace krill::cli {

struct NetworkCreateFlags {
  std::string name;
  std::string driver = "bridge";
  std::vector<std::string> subnets, gateways, ip_ranges, labels, options;
  std::string interface_name;
  bool internal = false;
  bool ipv6 = false;
  bool ignore = false;
};

struct NetworkLsFlags {
  std::vector<std::string> filters;  // name=, id=, driver=, label=
  std::string format;
  bool quiet = false;
  bool noheading = false;
  bool no_trunc = false;
};

struct NetworkInspectFlags {
  std::vector<std::string> names;
  std::string format;
};

struct NetworkRmFlags {
  std::vector<std::string> names;
  bool force = false;  // also removes the containers on it
};

struct NetworkPruneFlags {
  std::vector<std::string> filters;  // label=, label!=
  bool force = false;
};

struct NetworkConnectFlags {
  std::string network, container;
  std::vector<std::string> aliases;
  std::string ip, ip6, mac_address;
};

struct NetworkDisconnectFlags {
  std::string network, container;
  bool force = false;
};

struct NetworkFlags {
  NetworkCreateFlags create;
  NetworkLsFlags ls;
  NetworkInspectFlags inspect;
  NetworkRmFlags rm;
  NetworkPruneFlags prune;
  NetworkConnectFlags connect;
  NetworkDisconnectFlags disconnect;
};

}  // namespace krill::cli
