// Docker's -p syntax and the container network state file, without a kernel.
#include "network/container_network.h"

#include <gtest/gtest.h>

namespace krill::network {
namespace {

TEST(PortMappings, DockerForms) {
  auto one = parse_port_mappings("80");
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(*one, (std::vector<PortMapping>{{"", 0, 80, "tcp"}}));
  auto pair = parse_port_mappings("8080:80/udp");
  ASSERT_TRUE(pair);
  EXPECT_EQ(*pair, (std::vector<PortMapping>{{"", 8080, 80, "udp"}}));
  auto with_ip = parse_port_mappings("127.0.0.1:8080:80");
  ASSERT_TRUE(with_ip);
  EXPECT_EQ(*with_ip, (std::vector<PortMapping>{{"127.0.0.1", 8080, 80, "tcp"}}));
  auto any_host_port = parse_port_mappings("127.0.0.1::80");
  ASSERT_TRUE(any_host_port);
  EXPECT_EQ(*any_host_port, (std::vector<PortMapping>{{"127.0.0.1", 0, 80, "tcp"}}));
  auto all_addresses = parse_port_mappings("0.0.0.0:81:80");
  ASSERT_TRUE(all_addresses);
  EXPECT_EQ(all_addresses->front().host_ip, "");
  auto v6 = parse_port_mappings("[::1]:8443:443/tcp");
  ASSERT_TRUE(v6);
  EXPECT_EQ(*v6, (std::vector<PortMapping>{{"::1", 8443, 443, "tcp"}}));
  auto range = parse_port_mappings("7000-7002:80-82");
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (std::vector<PortMapping>{
                        {"", 7000, 80, "tcp"}, {"", 7001, 81, "tcp"}, {"", 7002, 82, "tcp"}}));
  // Docker's host port range for one container port: any free one of it.
  auto any_of_range = parse_port_mappings("127.0.0.1:8000-8010:80/udp");
  ASSERT_TRUE(any_of_range) << any_of_range.error().message();
  EXPECT_EQ(*any_of_range, (std::vector<PortMapping>{{"127.0.0.1", 8000, 80, "udp", 8010}}));
}

TEST(PortMappings, BadInputNamesWhatIsWrong) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const auto& c : std::vector<Case>{{"", "invalid port"},
                                         {"0", "out of range"},
                                         {"65536", "out of range"},
                                         {"80/icmp", "invalid protocol"},
                                         {"x:80:80", "invalid IP address"},
                                         {"1:2:3:4", "invalid port mapping"},
                                         {"[::1:80:80", "invalid IPv6"},
                                         {"90-80", "invalid port range"},
                                         {"8000-8002:80-81", "differ in length"},
                                         {"8000:80-81", "needs a host port range"},
                                         {"abc", "invalid port"}}) {
    auto parsed = parse_port_mappings(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.error().message().find(c.expected), std::string::npos)
        << c.text << ": " << parsed.error().message();
    EXPECT_EQ(parsed.error().errno_value(), EINVAL) << c.text;
  }
}

TEST(ContainerNetworkState, JsonRoundTrip) {
  ContainerNetworkState state;
  state.container_name = "web";
  state.netns_path = "/run/krill/networks/netns/abc";
  AttachedNetwork attached;
  attached.network = "backend";
  attached.network_id = std::string(64, 'a');
  attached.interface = "eth0";
  attached.mac = "02:00:00:00:00:01";
  attached.addresses = {"10.91.0.2/24", "fd00::2/64"};
  attached.gateway = "10.91.0.1";
  attached.aliases = {"db"};
  attached.conflist = R"({"cniVersion":"1.0.0"})";
  attached.cni_result = R"({"ips":[]})";
  state.networks = {attached};
  state.ports = {{"127.0.0.1", 8080, 80, "tcp"}, {"", 5353, 53, "udp"}};
  auto parsed = container_network_state_from_json(container_network_state_to_json(state));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->container_name, "web");
  EXPECT_EQ(parsed->netns_path, state.netns_path);
  ASSERT_EQ(parsed->networks.size(), 1u);
  EXPECT_EQ(parsed->networks[0].addresses, attached.addresses);
  EXPECT_EQ(parsed->networks[0].aliases, attached.aliases);
  EXPECT_EQ(parsed->networks[0].conflist, attached.conflist);
  EXPECT_EQ(parsed->networks[0].cni_result, attached.cni_result);
  EXPECT_EQ(parsed->ports, state.ports);
  EXPECT_FALSE(container_network_state_from_json("not json"));
  EXPECT_FALSE(container_network_state_from_json(R"({"networks":[{"addresses":7}]})"));
}

}  // namespace
}  // namespace krill::network
