#include "network/cni_conflist.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace krill::network {
namespace {

using nlohmann::json;

NetworkConfig network(bool internal) {
  NetworkConfig config;
  config.name = "web";
  config.id = std::string(64, 'a');
  config.interface_name = "krill3";
  config.internal = internal;
  SubnetConfig v4;
  v4.subnet = *Subnet::parse("10.91.3.0/24");
  v4.gateway = *IpAddress::parse("10.91.3.1");
  config.subnets = {v4};
  return config;
}

std::vector<std::string> plugin_types(const json& conflist) {
  std::vector<std::string> types;
  for (const json& plugin : conflist["plugins"]) types.push_back(plugin["type"]);
  return types;
}

TEST(CniConflist, NormalNetwork) {
  const json conflist = json::parse(cni_conflist(network(false), "/run/krill/cni/ipam"));
  EXPECT_EQ(conflist["cniVersion"], "1.0.0");
  EXPECT_EQ(conflist["name"], "web");
  EXPECT_EQ(plugin_types(conflist),
            (std::vector<std::string>{"bridge", "portmap", "firewall", "tuning"}));
  EXPECT_EQ(conflist["plugins"][0], json::parse(R"({
    "type": "bridge", "bridge": "krill3", "isGateway": true, "ipMasq": true,
    "hairpinMode": true, "capabilities": {"ips": true},
    "ipam": {"type": "host-local",
             "ranges": [[{"subnet": "10.91.3.0/24", "gateway": "10.91.3.1"}]],
             "routes": [{"dst": "0.0.0.0/0"}],
             "dataDir": "/run/krill/cni/ipam"}})"));
  EXPECT_EQ(conflist["plugins"][1],
            json::parse(R"({"type": "portmap", "capabilities": {"portMappings": true}})"));
  EXPECT_EQ(conflist["plugins"][2], json::parse(R"({"type": "firewall", "backend": "iptables"})"));
  EXPECT_EQ(conflist["plugins"][3],
            json::parse(R"({"type": "tuning", "capabilities": {"mac": true}})"));
}

TEST(CniConflist, InternalNetworkHasNoGatewayRoutesMasqueradeOrPortmap) {
  const json conflist = json::parse(cni_conflist(network(true), "/d"));
  EXPECT_EQ(plugin_types(conflist), (std::vector<std::string>{"bridge", "firewall", "tuning"}));
  const json& bridge = conflist["plugins"][0];
  EXPECT_EQ(bridge["isGateway"], false);
  EXPECT_EQ(bridge["ipMasq"], false);
  EXPECT_EQ(bridge["hairpinMode"], true);
  EXPECT_EQ(bridge["ipam"], json::parse(R"({"type": "host-local",
      "ranges": [[{"subnet": "10.91.3.0/24"}]], "dataDir": "/d"})"));
}

TEST(CniConflist, DualStackRangesRoutesAndLeaseRanges) {
  NetworkConfig config = network(false);
  config.subnets[0].lease_range =
      LeaseRange{*IpAddress::parse("10.91.3.100"), *IpAddress::parse("10.91.3.200")};
  SubnetConfig v6;
  v6.subnet = *Subnet::parse("fd12:3456:789a::/64");
  v6.gateway = *IpAddress::parse("fd12:3456:789a::1");
  config.subnets.push_back(v6);
  config.ipv6_enabled = true;
  const json ipam = json::parse(cni_conflist(config, "/d"))["plugins"][0]["ipam"];
  EXPECT_EQ(ipam["ranges"], json::parse(R"([
    [{"subnet": "10.91.3.0/24", "gateway": "10.91.3.1",
      "rangeStart": "10.91.3.100", "rangeEnd": "10.91.3.200"}],
    [{"subnet": "fd12:3456:789a::/64", "gateway": "fd12:3456:789a::1"}]])"));
  EXPECT_EQ(ipam["routes"], json::parse(R"([{"dst": "0.0.0.0/0"}, {"dst": "::/0"}])"));
}

TEST(CniConflist, Ipv6OnlyNetworkRoutesOnlyIpv6) {
  NetworkConfig config = network(false);
  config.subnets[0].subnet = *Subnet::parse("fd00:1::/64");
  config.subnets[0].gateway = *IpAddress::parse("fd00:1::1");
  const json ipam = json::parse(cni_conflist(config, "/d"))["plugins"][0]["ipam"];
  EXPECT_EQ(ipam["routes"], json::parse(R"([{"dst": "::/0"}])"));
}

TEST(CniConflist, MtuAndIsolateOptions) {
  NetworkConfig config = network(false);
  config.options = {{"mtu", "1400"}, {"isolate", "true"}};
  json conflist = json::parse(cni_conflist(config, "/d"));
  EXPECT_EQ(conflist["plugins"][0]["mtu"], 1400);  // a number, as the bridge plugin wants
  EXPECT_EQ(conflist["plugins"][2], json::parse(R"({"type": "firewall", "backend": "iptables",
                            "ingressPolicy": "same-bridge"})"));

  config.options = {{"mtu", "junk"}, {"isolate", "false"}};
  conflist = json::parse(cni_conflist(config, "/d"));
  EXPECT_FALSE(conflist["plugins"][0].contains("mtu"));
  EXPECT_FALSE(conflist["plugins"][2].contains("ingressPolicy"));
  EXPECT_FALSE(json::parse(cni_conflist(network(false), "/d"))["plugins"][0].contains("mtu"));
}

TEST(CniConflist, PortmapAndTuningOnlyWhenNeeded) {
  auto types = [](const std::string& text) {
    std::vector<std::string> names;
    const json doc = json::parse(text);
    for (const auto& plugin : doc["plugins"]) names.push_back(plugin["type"]);
    return names;
  };
  EXPECT_EQ(types(cni_conflist(network(false), "/d", {false, false})),
            (std::vector<std::string>{"bridge", "firewall"}));
  EXPECT_EQ(types(cni_conflist(network(false), "/d", {true, false})),
            (std::vector<std::string>{"bridge", "portmap", "firewall"}));
  EXPECT_EQ(types(cni_conflist(network(false), "/d", {false, true})),
            (std::vector<std::string>{"bridge", "firewall", "tuning"}));
}

}  // namespace
}  // namespace krill::network
