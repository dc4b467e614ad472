#include "network/ip_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace krill::network {
namespace {

using ::testing::HasSubstr;

IpAddress ip(const char* text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(IpAddress{});
}

Subnet net(const char* text) {
  auto parsed = Subnet::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message());
  return parsed.value_or(Subnet{});
}

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  const IpAddress v4 = ip("10.88.0.1");
  EXPECT_FALSE(v4.v6);
  EXPECT_EQ(v4.bit_length(), 32);
  EXPECT_EQ(v4.bytes[0], 10);
  EXPECT_EQ(v4.bytes[3], 1);
  EXPECT_EQ(v4.bytes[4], 0);
  EXPECT_EQ(v4.to_string(), "10.88.0.1");

  const IpAddress v6 = ip("FD00:0:0::1");
  EXPECT_TRUE(v6.v6);
  EXPECT_EQ(v6.bit_length(), 128);
  EXPECT_EQ(v6.to_string(), "fd00::1");

  const IpAddress mapped = ip("::ffff:10.1.2.3");
  EXPECT_TRUE(mapped.v6);
  EXPECT_EQ(mapped.to_string(), "::ffff:10.1.2.3");
}

TEST(IpAddress, RejectsBadTextNamingIt) {
  for (const char* bad : {"", "10.88.0", "10.88.0.256", "10.88.0.1 ", "fd00:::1", "abc",
                          "1.2.3.4/8", "fd00::1%eth0", "::g"}) {
    auto parsed = IpAddress::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().message(), "invalid IP address \"" + std::string(bad) + "\"");
  }
}

TEST(IpAddress, OrdersByFamilyThenValue) {
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("9.255.255.255"), ip("10.0.0.0"));
  EXPECT_LT(ip("255.255.255.255"), ip("::1"));  // IPv4 sorts before IPv6
  EXPECT_EQ(ip("fd00::1"), ip("fd00:0::1"));
}

TEST(IpAddressSubnet, ParsesStrictlyLikeDocker) {
  const Subnet s = net("10.88.0.0/16");
  EXPECT_EQ(s.prefix_length, 16);
  EXPECT_EQ(s.to_string(), "10.88.0.0/16");
  EXPECT_EQ(net("fd00:1::/64").to_string(), "fd00:1::/64");
  EXPECT_EQ(net("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(net("10.1.2.3/32").to_string(), "10.1.2.3/32");

  auto host_bits = Subnet::parse("10.88.0.1/16");
  ASSERT_FALSE(host_bits);
  EXPECT_EQ(host_bits.error().message(),
            "invalid subnet \"10.88.0.1/16\": it should be 10.88.0.0/16");

  auto no_prefix = Subnet::parse("10.88.0.0");
  ASSERT_FALSE(no_prefix);
  EXPECT_EQ(no_prefix.error().message(),
            "invalid subnet \"10.88.0.0\": no prefix length (like 10.88.0.0/16)");

  auto v6_host_bits = Subnet::parse("fd00::1/64");
  ASSERT_FALSE(v6_host_bits);
  EXPECT_THAT(v6_host_bits.error().message(), HasSubstr("it should be fd00::/64"));

  for (const char* bad : {"10.88.0.0/33", "10.88.0.0/-1", "10.88.0.0/", "10.88.0.0/1x",
                          "fd00::/129", "10.88.0.0/ 16"}) {
    auto parsed = Subnet::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_THAT(parsed.error().message(), HasSubstr("invalid subnet \"" + std::string(bad) + "\""));
    EXPECT_THAT(parsed.error().message(), HasSubstr("prefix length must be a number from 0 to"));
  }
  auto bad_address = Subnet::parse("10.88.0/16");
  ASSERT_FALSE(bad_address);
  EXPECT_EQ(bad_address.error().message(),
            "invalid subnet \"10.88.0/16\": invalid IP address \"10.88.0\"");
}

TEST(IpAddressSubnet, ContainingMasksHostBits) {
  EXPECT_EQ(Subnet::containing(ip("10.88.7.9"), 16).to_string(), "10.88.0.0/16");
  EXPECT_EQ(Subnet::containing(ip("10.88.7.9"), 0).to_string(), "0.0.0.0/0");
  EXPECT_EQ(Subnet::containing(ip("10.88.7.9"), 32).to_string(), "10.88.7.9/32");
  EXPECT_EQ(Subnet::containing(ip("10.88.7.9"), 20).to_string(), "10.88.0.0/20");
  EXPECT_EQ(Subnet::containing(ip("fd12:3456:789a:1::5"), 48).to_string(), "fd12:3456:789a::/48");
  EXPECT_EQ(Subnet::containing(ip("fd12::5"), 128).to_string(), "fd12::5/128");
}

TEST(IpAddressSubnet, ContainsAndOverlaps) {
  const Subnet s = net("10.88.0.0/16");
  EXPECT_TRUE(s.contains(ip("10.88.0.0")));
  EXPECT_TRUE(s.contains(ip("10.88.255.255")));
  EXPECT_FALSE(s.contains(ip("10.89.0.0")));
  EXPECT_FALSE(s.contains(ip("10.87.255.255")));
  EXPECT_FALSE(s.contains(ip("::a58:1")));  // other family, same low bits

  EXPECT_TRUE(s.overlaps(net("10.88.3.0/24")));
  EXPECT_TRUE(net("10.88.3.0/24").overlaps(s));
  EXPECT_TRUE(s.overlaps(net("10.0.0.0/8")));
  EXPECT_TRUE(s.overlaps(s));
  EXPECT_FALSE(s.overlaps(net("10.89.0.0/16")));
  EXPECT_FALSE(net("10.88.0.0/24").overlaps(net("10.88.1.0/24")));
  EXPECT_FALSE(net("0.0.0.0/0").overlaps(net("::/0")));
  EXPECT_TRUE(net("fd00::/8").overlaps(net("fd12:3456::/64")));
  EXPECT_FALSE(net("fd00::/64").overlaps(net("fd00:0:0:1::/64")));
}

TEST(IpAddressSubnet, HostsByIndex) {
  const Subnet s = net("10.88.0.0/16");
  EXPECT_EQ(s.host(1)->to_string(), "10.88.0.1");
  EXPECT_EQ(s.host(256)->to_string(), "10.88.1.0");
  EXPECT_EQ(s.host(65535)->to_string(), "10.88.255.255");
  auto outside = s.host(65536);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().message(), "address index 65536 is outside subnet 10.88.0.0/16");
  EXPECT_FALSE(net("10.1.2.3/32").host(1));
  EXPECT_EQ(net("10.1.2.3/32").host(0)->to_string(), "10.1.2.3");

  EXPECT_EQ(net("fd00::/64").host(1)->to_string(), "fd00::1");
  EXPECT_EQ(net("fd00::/64").host(0x10000)->to_string(), "fd00::1:0");
  EXPECT_EQ(net("fd00::/120").host(255)->to_string(), "fd00::ff");
  EXPECT_FALSE(net("fd00::/120").host(256));
  // Carries across bytes.
  EXPECT_EQ(net("10.0.0.0/8").host(0xffff01)->to_string(), "10.255.255.1");
}

TEST(IpAddressSubnet, LastHost) {
  EXPECT_EQ(net("10.88.0.0/16").last_host().to_string(), "10.88.255.254");
  EXPECT_EQ(net("10.88.0.0/24").last_host().to_string(), "10.88.0.254");
  EXPECT_EQ(net("10.88.0.0/30").last_host().to_string(), "10.88.0.2");
  EXPECT_EQ(net("10.88.0.0/31").last_host().to_string(), "10.88.0.1");
  EXPECT_EQ(net("10.88.0.7/32").last_host().to_string(), "10.88.0.7");
  EXPECT_EQ(net("fd00::/64").last_host().to_string(), "fd00::ffff:ffff:ffff:ffff");
  EXPECT_EQ(net("0.0.0.0/0").last_host().to_string(), "255.255.255.254");
}

TEST(IpAddressHostRoutes, ReadsTheKernelsTablesWithoutDefaultOrLocalRoutes) {
  const std::vector<Subnet> routes = host_route_subnets();
  for (const Subnet& s : routes) {
    EXPECT_NE(s.prefix_length, 0) << s.to_string();
    EXPECT_FALSE(s.address.v6 && s.prefix_length == 128) << s.to_string();
    EXPECT_FALSE(net("fe80::/10").overlaps(s)) << s.to_string();
    EXPECT_FALSE(net("127.0.0.0/8").overlaps(s)) << s.to_string();
    EXPECT_EQ(Subnet::containing(s.address, s.prefix_length), s);
  }
}

}  // namespace
}  // namespace krill::network
