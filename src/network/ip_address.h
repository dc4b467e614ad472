// IPv4 and IPv6 addresses and subnets (CIDR), for networks' address plans: parsing with errors
// that name the bad text, containment, overlap, and host addresses by index.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::network {

struct IpAddress {
  bool v6 = false;
  // Network byte order; an IPv4 address uses bytes[0..3] and leaves the rest 0.
  std::array<uint8_t, 16> bytes{};

  // "10.88.0.1", "fd00::1" (any form inet_pton accepts; IPv4-mapped IPv6 stays IPv6).
  // Error: "invalid IP address \"10.88.0\"".
  static Result<IpAddress> parse(std::string_view text);
  // inet_ntop's form: "10.88.0.1", "fd00::1".
  std::string to_string() const;
  int bit_length() const { return v6 ? 128 : 32; }
  auto operator<=>(const IpAddress&) const = default;
};

struct Subnet {
  IpAddress address;  // the network address: host bits are always 0
  int prefix_length = 0;

  // "10.88.0.0/16". Strict like Docker: the host bits must be 0 ("10.88.0.1/16" is an error
  // naming the network address it should be), the prefix must be present and in range.
  // Errors: "invalid subnet \"10.88.0.1/16\": it should be 10.88.0.0/16",
  // "invalid subnet \"10.88.0.0\": no prefix length (like 10.88.0.0/16)".
  static Result<Subnet> parse(std::string_view text);
  // The subnet that contains `address` with `prefix_length` ("10.88.0.7", 16 -> 10.88.0.0/16).
  static Subnet containing(const IpAddress& address, int prefix_length);
  std::string to_string() const;  // "10.88.0.0/16"

  bool contains(const IpAddress& ip) const;
  // Either contains the other's network address (same family only; families never overlap).
  bool overlaps(const Subnet& other) const;
  // The address `index` places after the network address (index 1 = the first host, usually
  // the gateway). Error when it falls outside the subnet.
  Result<IpAddress> host(uint64_t index) const;
  // The last usable address: the broadcast address minus one for IPv4 (for /31 and /32 the
  // last address), the last address for IPv6.
  IpAddress last_host() const;
  auto operator<=>(const Subnet&) const = default;
};

// The subnets the host routes to already (its interfaces' networks): /proc/net/route and
// /proc/net/ipv6_route of the caller's network namespace, without default routes and without
// host routes of loopback/link-local. Unreadable files give an empty list.
std::vector<Subnet> host_route_subnets();

}  // namespace krill::network
