#include "network/network_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace krill::network {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::string kId = "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9";

NetworkConfig sample() {
  NetworkConfig config;
  config.name = "web";
  config.id = kId;
  config.interface_name = "krill3";
  SubnetConfig v4;
  v4.subnet = *Subnet::parse("10.91.3.0/24");
  v4.gateway = *IpAddress::parse("10.91.3.1");
  v4.lease_range = LeaseRange{*IpAddress::parse("10.91.3.128"), *IpAddress::parse("10.91.3.254")};
  SubnetConfig v6;
  v6.subnet = *Subnet::parse("fd12:3456:789a::/64");
  v6.gateway = *IpAddress::parse("fd12:3456:789a::1");
  config.subnets = {v4, v6};
  config.ipv6_enabled = true;
  config.internal = true;
  config.dns_enabled = false;
  config.labels = {{"app", "shop"}, {"tier", "front"}};
  config.options = {{"mtu", "1400"}, {"isolate", "true"}};
  config.created_ns = 1714564984123456789;  // 2024-05-01T12:03:04.123456789Z
  return config;
}

void expect_same(const NetworkConfig& a, const NetworkConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.driver, b.driver);
  EXPECT_EQ(a.interface_name, b.interface_name);
  ASSERT_EQ(a.subnets.size(), b.subnets.size());
  for (size_t i = 0; i < a.subnets.size(); ++i) {
    EXPECT_EQ(a.subnets[i].subnet, b.subnets[i].subnet);
    EXPECT_EQ(a.subnets[i].gateway, b.subnets[i].gateway);
    ASSERT_EQ(a.subnets[i].lease_range.has_value(), b.subnets[i].lease_range.has_value());
    if (a.subnets[i].lease_range) {
      EXPECT_EQ(a.subnets[i].lease_range->start, b.subnets[i].lease_range->start);
      EXPECT_EQ(a.subnets[i].lease_range->end, b.subnets[i].lease_range->end);
    }
  }
  EXPECT_EQ(a.ipv6_enabled, b.ipv6_enabled);
  EXPECT_EQ(a.internal, b.internal);
  EXPECT_EQ(a.dns_enabled, b.dns_enabled);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.options, b.options);
  EXPECT_EQ(a.created_ns, b.created_ns);
}

TEST(NetworkConfig, WritesPodmanInspectFormatInItsKeyOrder) {
  const std::string text = network_config_to_json(sample());
  const json j = json::parse(text);
  EXPECT_EQ(j["name"], "web");
  EXPECT_EQ(j["id"], kId);
  EXPECT_EQ(j["driver"], "bridge");
  EXPECT_EQ(j["network_interface"], "krill3");
  EXPECT_EQ(j["created"], "2024-05-01T12:03:04.123456789Z");
  EXPECT_EQ(j["subnets"], json::parse(R"([
    {"subnet":"10.91.3.0/24","gateway":"10.91.3.1",
     "lease_range":{"start_ip":"10.91.3.128","end_ip":"10.91.3.254"}},
    {"subnet":"fd12:3456:789a::/64","gateway":"fd12:3456:789a::1"}])"));
  EXPECT_EQ(j["ipv6_enabled"], true);
  EXPECT_EQ(j["internal"], true);
  EXPECT_EQ(j["dns_enabled"], false);
  EXPECT_EQ(j["labels"], json::parse(R"({"app":"shop","tier":"front"})"));
  EXPECT_EQ(j["options"], json::parse(R"({"isolate":"true","mtu":"1400"})"));
  EXPECT_EQ(j["ipam_options"], json::parse(R"({"driver":"host-local"})"));
  // podman's order, not alphabetical.
  const size_t name = text.find("\"name\"");
  const size_t id = text.find("\"id\"");
  const size_t driver = text.find("\"driver\"");
  const size_t created = text.find("\"created\"");
  const size_t ipam = text.find("\"ipam_options\"");
  EXPECT_LT(name, id);
  EXPECT_LT(id, driver);
  EXPECT_LT(driver, created);
  EXPECT_LT(created, ipam);
}

TEST(NetworkConfig, OmitsEmptyLabelsOptionsGatewayAndRange) {
  NetworkConfig config = sample();
  config.labels.clear();
  config.options.clear();
  config.subnets[0].gateway.reset();
  config.subnets[0].lease_range.reset();
  config.created_ns = 1714564984000000000;
  const json j = json::parse(network_config_to_json(config));
  EXPECT_FALSE(j.contains("labels"));
  EXPECT_FALSE(j.contains("options"));
  EXPECT_EQ(j["subnets"][0], json::parse(R"({"subnet":"10.91.3.0/24"})"));
  EXPECT_EQ(j["created"], "2024-05-01T12:03:04Z");
}

TEST(NetworkConfig, RoundTrips) {
  const NetworkConfig original = sample();
  auto parsed = network_config_from_json(network_config_to_json(original));
  ASSERT_TRUE(parsed) << parsed.error().message();
  expect_same(original, *parsed);

  NetworkConfig plain = sample();
  plain.labels.clear();
  plain.options.clear();
  plain.internal = false;
  plain.dns_enabled = true;
  plain.subnets.resize(1);
  plain.subnets[0].lease_range.reset();
  plain.created_ns = 1714564984100000000;  // ".1"
  auto parsed_plain = network_config_from_json(network_config_to_json(plain));
  ASSERT_TRUE(parsed_plain) << parsed_plain.error().message();
  expect_same(plain, *parsed_plain);
}

TEST(NetworkConfig, ReadsPodmanFilesWithZoneOffsetsAndDefaults) {
  auto parsed = network_config_from_json(R"({
    "name": "podman", "id": ")" + kId + R"(",
    "driver": "bridge", "network_interface": "podman0",
    "created": "2024-05-01T14:03:04.5+02:00",
    "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}],
    "ipv6_enabled": false, "internal": false, "dns_enabled": false,
    "ipam_options": {"driver": "host-local"}})");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->created_ns, 1714564984500000000);
  EXPECT_EQ(parsed->interface_name, "podman0");
  EXPECT_FALSE(parsed->dns_enabled);
  EXPECT_TRUE(parsed->labels.empty());

  auto minimal = network_config_from_json(R"({"name":"m","id":")" + kId + R"("})");
  ASSERT_TRUE(minimal) << minimal.error().message();
  EXPECT_EQ(minimal->driver, "bridge");
  EXPECT_TRUE(minimal->subnets.empty());
  EXPECT_EQ(minimal->created_ns, 0);
}

std::string error_of(const std::string& text) {
  auto parsed = network_config_from_json(text);
  if (parsed) return "(no error)";
  return parsed.error().message();
}

// The sample as JSON with one key replaced by `value` (or removed when `value` is null).
std::string with(const std::string& key, const json& value) {
  json j = json::parse(network_config_to_json(sample()));
  if (value.is_null())
    j.erase(key);
  else
    j[key] = value;
  return j.dump();
}

TEST(NetworkConfig, ErrorsNameTheBadField) {
  EXPECT_EQ(error_of("{"), "network file: invalid JSON");
  EXPECT_EQ(error_of("[]"), "network file: expected a JSON object");
  EXPECT_EQ(error_of(with("name", nullptr)), "network file: name: missing");
  EXPECT_EQ(error_of(with("name", 3)), "network file: name: expected a string");
  EXPECT_EQ(error_of(with("id", "abc")),
            "network file: id: \"abc\" is not 64 lower-case hex digits");
  EXPECT_THAT(error_of(with("id", std::string(64, 'A'))), HasSubstr("network file: id:"));
  EXPECT_EQ(error_of(with("internal", "yes")), "network file: internal: expected true or false");
  EXPECT_EQ(error_of(with("created", "yesterday")),
            "network file: created: invalid RFC 3339 time \"yesterday\"");
  EXPECT_THAT(error_of(with("created", "2024-13-01T00:00:00Z")), HasSubstr("created"));
  EXPECT_THAT(error_of(with("created", "2024-05-01T12:03:04")), HasSubstr("created"));
  EXPECT_THAT(error_of(with("created", "2024-05-01T12:03:04.Z")), HasSubstr("created"));
  EXPECT_EQ(error_of(with("subnets", "10.0.0.0/8")), "network file: subnets: expected an array");
  // The sample with `subnets` replaced by this JSON array.
  auto subnets_error = [](const char* subnets) {
    return error_of(with("subnets", json::parse(subnets)));
  };
  EXPECT_EQ(subnets_error(R"([{"subnet":"10.0.0.0/8"},{"subnet":"10.1.0.1/16"}])"),
            "network file: subnets[1].subnet: invalid subnet \"10.1.0.1/16\": it should be "
            "10.1.0.0/16");
  EXPECT_EQ(subnets_error(R"([{"gateway":"10.0.0.1"}])"),
            "network file: subnets[0].subnet: missing");
  EXPECT_EQ(subnets_error(R"([{"subnet":"10.0.0.0/8","gateway":"10.0.0"}])"),
            "network file: subnets[0].gateway: invalid IP address \"10.0.0\"");
  EXPECT_EQ(subnets_error(R"([{"subnet":"10.0.0.0/8","gateway":"11.0.0.1"}])"),
            "network file: subnets[0].gateway: 11.0.0.1 is not in subnet 10.0.0.0/8");
  EXPECT_EQ(subnets_error(R"([{"subnet":"10.0.0.0/8",
                               "lease_range":{"start_ip":"10.0.0.9","end_ip":"10.0.0.2"}}])"),
            "network file: subnets[0].lease_range: start_ip 10.0.0.9 is after end_ip 10.0.0.2");
  EXPECT_EQ(subnets_error(R"([{"subnet":"10.0.0.0/8",
                               "lease_range":{"start_ip":"10.0.0.9","end_ip":"11.0.0.2"}}])"),
            "network file: subnets[0].lease_range: 11.0.0.2 is not in subnet 10.0.0.0/8");
  EXPECT_EQ(subnets_error(R"([{"subnet":"10.0.0.0/8","lease_range":{"start_ip":"10.0.0.9"}}])"),
            "network file: subnets[0].lease_range.end_ip: missing");
  EXPECT_EQ(subnets_error(R"(["10.0.0.0/8"])"), "network file: subnets[0]: expected an object");
  EXPECT_EQ(error_of(with("labels", json::parse(R"({"a":1})"))),
            "network file: labels.a: expected a string");
  EXPECT_EQ(error_of(with("options", json::array())),
            "network file: options: expected an object of strings");
  EXPECT_EQ(error_of(with("ipam_options", json::parse(R"({"driver":"dhcp"})"))),
            "network file: ipam_options.driver: unsupported IPAM driver \"dhcp\"");
}

}  // namespace
}  // namespace krill::network
