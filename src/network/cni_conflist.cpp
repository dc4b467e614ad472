// The conflist podman's CNI backend would write for the same network, with the reference
// plugins only (no dnsname: krill resolves container names itself).
#include "network/cni_conflist.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace krill::network {

std::string cni_conflist(const NetworkConfig& network, const std::string& ipam_data_dir,
                         const ConflistNeeds& needs) {
  using Json = nlohmann::ordered_json;
  const bool routed = !network.internal;

  Json ranges = Json::array();
  bool has_v4 = false;
  bool has_v6 = false;
  for (const SubnetConfig& subnet : network.subnets) {
    Json range = Json::object();
    range["subnet"] = subnet.subnet.to_string();
    // Without a gateway host-local still reserves the first host, but nothing owns it: an
    // internal network's containers get no way out.
    if (routed && subnet.gateway) range["gateway"] = subnet.gateway->to_string();
    if (subnet.lease_range) {
      range["rangeStart"] = subnet.lease_range->start.to_string();
      range["rangeEnd"] = subnet.lease_range->end.to_string();
    }
    ranges.push_back(Json::array({std::move(range)}));
    (subnet.subnet.address.v6 ? has_v6 : has_v4) = true;
  }
  Json ipam = Json::object();
  ipam["type"] = "host-local";
  ipam["ranges"] = std::move(ranges);
  if (routed) {
    // A default route per family the network has: a v4 route without a v4 gateway would fail.
    Json routes = Json::array();
    if (has_v4) routes.push_back(Json{{"dst", "0.0.0.0/0"}});
    if (has_v6) routes.push_back(Json{{"dst", "::/0"}});
    ipam["routes"] = std::move(routes);
  }
  ipam["dataDir"] = ipam_data_dir;

  Json bridge = Json::object();
  bridge["type"] = "bridge";
  bridge["bridge"] = network.interface_name;
  bridge["isGateway"] = routed;
  bridge["ipMasq"] = routed;
  bridge["hairpinMode"] = true;
  if (auto mtu = network.options.find("mtu"); mtu != network.options.end()) {
    // The store accepts only 68..65535; anything else in a hand-edited file is left out.
    int value = 0;
    const std::string& text = mtu->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && value >= 68 && value <= 65535)
      bridge["mtu"] = value;
  }
  // "ips": static addresses (--ip) reach host-local through the bridge's runtimeConfig.
  bridge["capabilities"] = {{"ips", true}};
  bridge["ipam"] = std::move(ipam);

  Json plugins = Json::array();
  plugins.push_back(std::move(bridge));
  if (routed && needs.publish_ports) {
    plugins.push_back(Json{{"type", "portmap"}, {"capabilities", Json{{"portMappings", true}}}});
  }
  Json firewall = Json{{"type", "firewall"}, {"backend", "iptables"}};
  // -o isolate=true: no traffic in from other bridges, as podman's CNI backend does it.
  if (auto isolate = network.options.find("isolate");
      isolate != network.options.end() && isolate->second == "true")
    firewall["ingressPolicy"] = "same-bridge";
  plugins.push_back(std::move(firewall));
  // "mac": --mac-address is applied by tuning.
  if (needs.set_mac)
    plugins.push_back(Json{{"type", "tuning"}, {"capabilities", Json{{"mac", true}}}});

  Json out = Json::object();
  out["cniVersion"] = "1.0.0";
  out["name"] = network.name;
  out["plugins"] = std::move(plugins);
  return out.dump(2) + "\n";
}

}  // namespace krill::network
