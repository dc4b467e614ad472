// Addresses as 128-bit integers: masks, containment and host indexes are plain arithmetic.
#include "network/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <sstream>

#include "base/file_io.h"

namespace krill::network {
namespace {

using U128 = unsigned __int128;

U128 to_integer(const IpAddress& ip) {
  U128 value = 0;
  const int bytes = ip.v6 ? 16 : 4;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | ip.bytes[i];
  return value;
}

IpAddress from_integer(U128 value, bool v6) {
  IpAddress ip;
  ip.v6 = v6;
  const int bytes = v6 ? 16 : 4;
  for (int i = bytes - 1; i >= 0; --i) {
    ip.bytes[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
  return ip;
}

// The host bits of a /prefix_length in an address of `bits` bits.
U128 host_mask(int bits, int prefix_length) {
  const int host_bits = bits - prefix_length;
  if (host_bits <= 0) return 0;
  if (host_bits >= 128) return ~U128{0};
  return (U128{1} << host_bits) - 1;
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
  IpAddress ip;
  ip.v6 = text.find(':') != std::string_view::npos;
  // inet_pton accepts only the dotted quad for IPv4 ("10.88.0" and "010.1.1.1" are errors).
  const std::string copy(text);
  if (text.empty() || ::inet_pton(ip.v6 ? AF_INET6 : AF_INET, copy.c_str(), ip.bytes.data()) != 1)
    return fail("invalid IP address " + quoted(text));
  return ip;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

Result<Subnet> Subnet::parse(std::string_view text) {
  const std::string error_prefix = "invalid subnet " + quoted(text) + ": ";
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    const bool v6 = text.find(':') != std::string_view::npos;
    return fail(error_prefix + "no prefix length (like " + std::string(text) +
                (v6 ? "/64" : "/16") + ")");
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return fail(error_prefix + address.error().message());
  const std::string_view prefix_text = text.substr(slash + 1);
  int prefix = -1;
  const auto [end, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (prefix_text.empty() || ec != std::errc() || end != prefix_text.data() + prefix_text.size() ||
      prefix < 0 || prefix > address->bit_length())
    return fail(error_prefix + "prefix length must be a number from 0 to " +
                std::to_string(address->bit_length()));
  const Subnet network = containing(*address, prefix);
  if (network.address != *address)
    return fail(error_prefix + "it should be " + network.to_string());
  return network;
}

Subnet Subnet::containing(const IpAddress& address, int prefix_length) {
  Subnet subnet;
  subnet.prefix_length = prefix_length;
  const int bits = address.bit_length();
  subnet.address = from_integer(to_integer(address) & ~host_mask(bits, prefix_length), address.v6);
  return subnet;
}

std::string Subnet::to_string() const {
  return address.to_string() + "/" + std::to_string(prefix_length);
}

bool Subnet::contains(const IpAddress& ip) const {
  if (ip.v6 != address.v6) return false;
  return containing(ip, prefix_length).address == address;
}

bool Subnet::overlaps(const Subnet& other) const {
  return contains(other.address) || other.contains(address);
}

Result<IpAddress> Subnet::host(uint64_t index) const {
  const U128 mask = host_mask(address.bit_length(), prefix_length);
  if (U128{index} > mask)
    return fail("address index " + std::to_string(index) + " is outside subnet " + to_string());
  return from_integer(to_integer(address) + index, address.v6);
}

IpAddress Subnet::last_host() const {
  const int bits = address.bit_length();
  U128 last = to_integer(address) | host_mask(bits, prefix_length);
  // IPv4 keeps its broadcast address out; /31 and /32 have none (RFC 3021).
  if (!address.v6 && prefix_length < 31) --last;
  return from_integer(last, address.v6);
}

namespace {

bool parse_hex(std::string_view text, U128& out) {
  if (text.empty() || text.size() > 32) return false;
  out = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return false;
    out = (out << 4) | static_cast<unsigned>(digit);
  }
  return true;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string field; in >> field;) out.push_back(field);
  return out;
}

bool is_link_local_or_multicast(const Subnet& subnet) {
  static const Subnet kV4LinkLocal = *Subnet::parse("169.254.0.0/16");
  static const Subnet kV4Multicast = *Subnet::parse("224.0.0.0/4");
  static const Subnet kV6LinkLocal = *Subnet::parse("fe80::/10");
  static const Subnet kV6Multicast = *Subnet::parse("ff00::/8");
  for (const Subnet* special : {&kV4LinkLocal, &kV4Multicast, &kV6LinkLocal, &kV6Multicast})
    if (special->contains(subnet.address) && subnet.prefix_length >= special->prefix_length)
      return true;
  return false;
}

constexpr unsigned kRouteFlagUp = 0x0001;      // RTF_UP
constexpr unsigned kRouteFlagReject = 0x0200;  // RTF_REJECT: unreachable/prohibit routes

// /proc/net/route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...", the
// destination and mask as the hex of the kernel's network-order u32 read in host order.
void add_ipv4_routes(std::vector<Subnet>& out) {
  auto text = read_file("/proc/net/route");
  if (!text) return;
  std::istringstream in(*text);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    const std::vector<std::string> f = fields(line);
    U128 destination = 0, flags = 0, mask = 0;
    if (f.size() < 8 || !parse_hex(f[1], destination) || !parse_hex(f[3], flags) ||
        !parse_hex(f[7], mask))
      continue;
    if (f[0] == "lo" || !(flags & kRouteFlagUp) || (flags & kRouteFlagReject)) continue;
    const auto destination32 = static_cast<uint32_t>(destination);
    const auto mask32 = static_cast<uint32_t>(mask);
    IpAddress ip;
    std::memcpy(ip.bytes.data(), &destination32, 4);
    uint8_t mask_bytes[4];
    std::memcpy(mask_bytes, &mask32, 4);
    int prefix = 0;
    for (uint8_t b : mask_bytes) prefix += __builtin_popcount(b);
    if (prefix == 0) continue;  // a default route
    const Subnet subnet = Subnet::containing(ip, prefix);
    if (!is_link_local_or_multicast(subnet)) out.push_back(subnet);
  }
}

// /proc/net/ipv6_route: "dest dest_prefix src src_prefix next_hop metric refcnt use flags dev",
// addresses as 32 hex digits in network order, prefixes and flags in hex.
void add_ipv6_routes(std::vector<Subnet>& out) {
  auto text = read_file("/proc/net/ipv6_route");
  if (!text) return;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = fields(line);
    U128 destination = 0, prefix = 0, flags = 0;
    if (f.size() < 10 || f[0].size() != 32 || !parse_hex(f[0], destination) ||
        !parse_hex(f[1], prefix) || !parse_hex(f[8], flags) || prefix > 128)
      continue;
    if (f[9] == "lo" || !(flags & kRouteFlagUp) || (flags & kRouteFlagReject)) continue;
    // Default routes, and /128s: the host's own addresses and neighbours, not networks.
    if (prefix == 0 || prefix == 128) continue;
    const Subnet subnet =
        Subnet::containing(from_integer(destination, true), static_cast<int>(prefix));
    if (!is_link_local_or_multicast(subnet)) out.push_back(subnet);
  }
}

}  // namespace

std::vector<Subnet> host_route_subnets() {
  std::vector<Subnet> out;
  add_ipv4_routes(out);
  add_ipv6_routes(out);
  return out;
}

}  // namespace krill::network
