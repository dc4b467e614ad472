#include "network/container_network.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file_io.h"
#include "base/file_lock.h"
#include "base/unique_fd.h"
#include "network/cni_conflist.h"
#include "network/netns.h"
#include "network/pasta.h"

namespace krill::network {
namespace {

using nlohmann::json;

json port_to_json(const PortMapping& port) {
  return {{"host_ip", port.host_ip},
          {"host_port", port.host_port},
          {"container_port", port.container_port},
          {"protocol", port.protocol}};
}

// The portMappings capability as the portmap plugin reads it.
std::string port_mappings_capability(const std::vector<PortMapping>& ports) {
  json list = json::array();
  for (const auto& port : ports)
    list.push_back({{"hostPort", port.host_port},
                    {"containerPort", port.container_port},
                    {"protocol", port.protocol},
                    {"hostIP", port.host_ip}});
  return list.dump();
}

std::string port_text(const PortMapping& port) {
  return std::to_string(port.host_port) + "/" + port.protocol;
}

bool same_host_port(const PortMapping& a, const PortMapping& b) {
  return a.host_port == b.host_port && a.protocol == b.protocol &&
         (a.host_ip.empty() || b.host_ip.empty() || a.host_ip == b.host_ip);
}

// Binds the host port for a moment: EADDRINUSE means a host program serves it. `port` 0 asks
// the kernel for a free one, which is returned.
Result<uint16_t> probe_host_port(const PortMapping& port) {
  bool v6 = port.host_ip.find(':') != std::string::npos;
  int type = port.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  if (port.protocol == "sctp") return port.host_port;  // no portable probe; rules decide
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail_errno("socket for port " + port_text(port));
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_port = htons(port.host_port);
    if (::inet_pton(AF_INET6, port.host_ip.c_str(), &address->sin6_addr) != 1)
      return fail("invalid host IP " + port.host_ip);
    length = sizeof(sockaddr_in6);
  } else {
    auto* address = reinterpret_cast<sockaddr_in*>(&storage);
    address->sin_family = AF_INET;
    address->sin_port = htons(port.host_port);
    if (port.host_ip.empty()) {
      address->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (::inet_pton(AF_INET, port.host_ip.c_str(), &address->sin_addr) != 1) {
      return fail("invalid host IP " + port.host_ip);
    }
    length = sizeof(sockaddr_in);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (errno == EADDRINUSE)
      return std::unexpected(
          Error("port " + port_text(port) + " is already in use on the host", EADDRINUSE));
    if (errno == EADDRNOTAVAIL)
      return std::unexpected(
          Error("host IP " + port.host_ip + " is not an address of this host", EADDRNOTAVAIL));
    return fail_errno("bind port " + port_text(port));
  }
  if (port.host_port != 0) return port.host_port;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    return fail_errno("getsockname");
  return v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port)
            : ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

Result<uint16_t> parse_port_number(std::string_view text, std::string_view whole) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos)
    return std::unexpected(Error(
        "invalid port \"" + std::string(text) + "\" in \"" + std::string(whole) + "\"", EINVAL));
  int value = std::stoi(std::string(text));
  if (value < 1 || value > 65535)
    return std::unexpected(Error("port " + std::string(text) + " in \"" + std::string(whole) +
                                     "\" is out of range (1-65535)",
                                 EINVAL));
  return static_cast<uint16_t>(value);
}

// "8000-8002" -> {8000, 3}; "80" -> {80, 1}.
Result<std::pair<uint16_t, int>> parse_port_range(std::string_view text, std::string_view whole) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos)
    return std::pair{KRILL_TRY(parse_port_number(text, whole)), 1};
  uint16_t first = KRILL_TRY(parse_port_number(text.substr(0, dash), whole));
  uint16_t last = KRILL_TRY(parse_port_number(text.substr(dash + 1), whole));
  if (last < first)
    return std::unexpected(
        Error("invalid port range \"" + std::string(text) + "\" in \"" + std::string(whole) + "\"",
              EINVAL));
  return std::pair{first, last - first + 1};
}

// The bridge device a network's conflist names ("" when none).
std::string bridge_of(const std::string& conflist) {
  json doc = json::parse(conflist, nullptr, false);
  if (doc.is_discarded()) return "";
  if (!doc.is_object() || !doc.contains("plugins") || !doc["plugins"].is_array()) return "";
  for (const auto& plugin : doc["plugins"]) {
    if (!plugin.is_object()) continue;
    auto type = plugin.find("type");
    auto bridge = plugin.find("bridge");
    if (type != plugin.end() && *type == "bridge" && bridge != plugin.end() && bridge->is_string())
      return bridge->get<std::string>();
  }
  return "";
}

}  // namespace

Result<void> delete_bridge(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return {};
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail_errno("socket");
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &request) != 0) {
    if (errno == ENODEV) return {};
    return fail_errno("bridge " + name);
  }
  request.ifr_flags &= ~IFF_UP;
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &request) != 0)
    return fail_errno("set bridge " + name + " down");
  // The bridge ioctl takes the name itself as its argument.
  char buffer[IFNAMSIZ] = {};
  std::memcpy(buffer, name.data(), name.size());
  if (::ioctl(fd.get(), SIOCBRDELBR, buffer) != 0 && errno != ENXIO && errno != ENODEV)
    return fail_errno("delete bridge " + name);
  return {};
}

std::string container_network_state_to_json(const ContainerNetworkState& state) {
  json networks = json::array();
  for (const auto& n : state.networks)
    networks.push_back({{"network", n.network},
                        {"network_id", n.network_id},
                        {"interface", n.interface},
                        {"mac", n.mac},
                        {"addresses", n.addresses},
                        {"gateway", n.gateway},
                        {"aliases", n.aliases},
                        {"dns", n.dns},
                        {"conflist", n.conflist},
                        {"cni_result", n.cni_result}});
  json ports = json::array();
  for (const auto& port : state.ports) ports.push_back(port_to_json(port));
  return json{{"container_name", state.container_name},
              {"netns", state.netns_path},
              {"networks", networks},
              {"ports", ports},
              {"pasta", state.pasta}}
      .dump(2);
}

Result<ContainerNetworkState> container_network_state_from_json(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("container network state: not JSON");
  ContainerNetworkState state;
  try {
    state.container_name = doc.value("container_name", "");
    state.netns_path = doc.value("netns", "");
    state.pasta = doc.value("pasta", false);
    for (const auto& n : doc.value("networks", json::array())) {
      AttachedNetwork network;
      network.network = n.value("network", "");
      network.network_id = n.value("network_id", "");
      network.interface = n.value("interface", "");
      network.mac = n.value("mac", "");
      network.addresses = n.value("addresses", std::vector<std::string>{});
      network.gateway = n.value("gateway", "");
      network.aliases = n.value("aliases", std::vector<std::string>{});
      network.dns = n.value("dns", true);
      network.conflist = n.value("conflist", "");
      network.cni_result = n.value("cni_result", "");
      state.networks.push_back(std::move(network));
    }
    for (const auto& p : doc.value("ports", json::array())) {
      PortMapping port;
      port.host_ip = p.value("host_ip", "");
      port.host_port = p.value("host_port", uint16_t{0});
      port.container_port = p.value("container_port", uint16_t{0});
      port.protocol = p.value("protocol", "tcp");
      state.ports.push_back(std::move(port));
    }
  } catch (const json::exception& e) {
    return fail(std::string("container network state: ") + e.what());
  }
  return state;
}

Result<std::vector<PortMapping>> parse_port_mappings(std::string_view text) {
  std::string_view rest = text;
  std::string protocol = "tcp";
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return std::unexpected(Error("invalid protocol \"" + protocol + "\" in \"" +
                                       std::string(text) + "\" (tcp, udp or sctp)",
                                   EINVAL));
  }
  std::string host_ip;
  // An IPv6 host address comes in brackets: [::1]:8080:80.
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return std::unexpected(
          Error("invalid IPv6 address in \"" + std::string(text) + "\"", EINVAL));
    host_ip = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 2);
  }
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string_view host_ports, container_ports;
  if (parts.size() == 1) {
    container_ports = parts[0];
  } else if (parts.size() == 2) {
    host_ports = parts[0];
    container_ports = parts[1];
  } else if (parts.size() == 3 && host_ip.empty()) {
    host_ip = std::string(parts[0]);
    host_ports = parts[1];
    container_ports = parts[2];
  } else {
    return std::unexpected(Error("invalid port mapping \"" + std::string(text) +
                                     "\": want [ip:][hostPort:]containerPort[/protocol]",
                                 EINVAL));
  }
  if (!host_ip.empty()) {
    unsigned char buffer[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, host_ip.c_str(), buffer) != 1 &&
        ::inet_pton(AF_INET6, host_ip.c_str(), buffer) != 1)
      return std::unexpected(
          Error("invalid IP address \"" + host_ip + "\" in \"" + std::string(text) + "\"", EINVAL));
    if (host_ip == "0.0.0.0") host_ip.clear();
  }
  auto [container_first, count] = KRILL_TRY(parse_port_range(container_ports, text));
  uint16_t host_first = 0;
  if (!host_ports.empty()) {
    auto [first, host_count] = KRILL_TRY(parse_port_range(host_ports, text));
    if (count == 1 && host_count > 1) {
      // Docker's "any free port of the range".
      return std::vector<PortMapping>{PortMapping{host_ip, first, container_first, protocol,
                                                  static_cast<uint16_t>(first + host_count - 1)}};
    }
    if (host_count != count && host_count != 1)
      return std::unexpected(
          Error("port ranges in \"" + std::string(text) + "\" differ in length", EINVAL));
    if (host_count == 1 && count > 1)
      return std::unexpected(Error("a range of container ports in \"" + std::string(text) +
                                       "\" needs a host port range of the same length",
                                   EINVAL));
    host_first = first;
  }
  std::vector<PortMapping> mappings;
  for (int i = 0; i < count; ++i)
    mappings.push_back(PortMapping{host_ip,
                                   static_cast<uint16_t>(host_first == 0 ? 0 : host_first + i),
                                   static_cast<uint16_t>(container_first + i), protocol});
  return mappings;
}

ContainerNetworks::ContainerNetworks(NetworkStore& networks, std::string run_root,
                                     std::vector<std::string> plugin_dirs, PluginExecutor& executor)
    : networks_(networks),
      run_root_(std::move(run_root)),
      plugin_dirs_(std::move(plugin_dirs)),
      executor_(executor) {}

std::string container_netns_path(const std::string& run_root, const std::string& id) {
  return run_root + "/networks/netns/" + id;
}

std::string container_network_state_path(const std::string& run_root, const std::string& id) {
  return run_root + "/networks/containers/" + id + ".json";
}

std::string container_pasta_pid_path(const std::string& run_root, const std::string& id) {
  return run_root + "/networks/containers/" + id + ".pasta.pid";
}

Result<FileLock> ContainerNetworks::lock() const {
  KRILL_CHECK(mkdir_all(run_root_ + "/networks", 0700));
  return FileLock::exclusive(run_root_ + "/networks/attach.lock");
}

std::string ContainerNetworks::netns_path(const std::string& id) const {
  return container_netns_path(run_root_, id);
}

std::string ContainerNetworks::state_path(const std::string& id) const {
  return container_network_state_path(run_root_, id);
}

Result<void> ContainerNetworks::save(const std::string& id,
                                     const ContainerNetworkState& state) const {
  return write_file_atomic(state_path(id), container_network_state_to_json(state), 0600,
                           Durability::kVolatile);
}

Result<std::optional<ContainerNetworkState>> ContainerNetworks::state(const std::string& id) const {
  auto text = read_file(state_path(id));
  if (!text) {
    if (text.error().errno_value() == ENOENT) return std::optional<ContainerNetworkState>();
    return std::unexpected(text.error());
  }
  auto parsed = container_network_state_from_json(*text);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context(state_path(id)));
  return std::optional<ContainerNetworkState>(std::move(*parsed));
}

Result<std::vector<std::pair<std::string, ContainerNetworkState>>> ContainerNetworks::all_states()
    const {
  std::vector<std::pair<std::string, ContainerNetworkState>> states;
  std::error_code ec;
  std::string dir = run_root_ + "/networks/containers";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(".json")) continue;
    std::string id = file.substr(0, file.size() - 5);
    auto found = state(id);
    if (found && *found) states.emplace_back(id, std::move(**found));
  }
  return states;
}

Result<AttachedNetwork> ContainerNetworks::attach(const std::string& id, const std::string& name,
                                                  const std::string& netns,
                                                  const AttachRequest& attachment,
                                                  const std::string& ifname,
                                                  const std::vector<PortMapping>& ports) {
  NetworkConfig network = KRILL_TRY(networks_.find(attachment.network));
  if (!ports.empty() && network.internal)
    return std::unexpected(Error("cannot publish ports on internal network " + network.name +
                                     ": it has no way in from the host",
                                 EINVAL));
  AttachedNetwork attached;
  attached.network = network.name;
  attached.network_id = network.id;
  attached.interface = ifname;
  attached.aliases = attachment.aliases;
  attached.dns = network.dns_enabled;
  attached.conflist = cni_conflist(network, run_root_ + "/networks/ipam",
                                   {!ports.empty(), !attachment.static_mac.empty()});
  auto list = KRILL_TRY(CniNetworkList::parse(attached.conflist));

  CniInvocation invocation;
  invocation.container_id = id;
  invocation.netns_path = netns;
  invocation.ifname = ifname;
  invocation.args = {{"K8S_POD_NAME", name}};
  if (!ports.empty()) invocation.capability_args["portMappings"] = port_mappings_capability(ports);
  if (!attachment.static_ip.empty()) {
    auto ip = IpAddress::parse(attachment.static_ip);
    if (!ip) return std::unexpected(Error(ip.error().message(), EINVAL));
    const SubnetConfig* home = nullptr;
    for (const auto& subnet : network.subnets)
      if (subnet.subnet.contains(*ip)) home = &subnet;
    if (!home)
      return std::unexpected(
          Error("--ip " + attachment.static_ip + " is not in a subnet of network " + network.name,
                EINVAL));
    invocation.capability_args["ips"] =
        json::array({ip->to_string() + "/" + std::to_string(home->subnet.prefix_length)}).dump();
  }
  if (!attachment.static_mac.empty())
    invocation.capability_args["mac"] = json(attachment.static_mac).dump();

  auto result = KRILL_TRY(list.add(invocation, plugin_dirs_, executor_));
  attached.cni_result = result.json;
  int own_interface = -1;
  for (size_t i = 0; i < result.interfaces.size(); ++i) {
    if (result.interfaces[i].sandbox.empty() || result.interfaces[i].name != ifname) continue;
    own_interface = static_cast<int>(i);
    attached.mac = result.interfaces[i].mac;
  }
  for (const auto& ip : result.ips) {
    if (own_interface >= 0 && ip.interface >= 0 && ip.interface != own_interface) continue;
    attached.addresses.push_back(ip.address);
    if (attached.gateway.empty()) attached.gateway = ip.gateway;
  }
  return attached;
}

Result<void> ContainerNetworks::detach(const std::string& id, const std::string& netns,
                                       const AttachedNetwork& network,
                                       const std::vector<PortMapping>& ports) {
  auto list = KRILL_TRY(CniNetworkList::parse(network.conflist));
  CniInvocation invocation;
  invocation.container_id = id;
  invocation.netns_path = netns;
  invocation.ifname = network.interface;
  if (!ports.empty()) invocation.capability_args["portMappings"] = port_mappings_capability(ports);
  return list.del(invocation, network.cni_result, plugin_dirs_, executor_);
}

Result<std::vector<PortMapping>> ContainerNetworks::claim_ports(
    const std::string& id, std::vector<PortMapping> ports) const {
  // Published ports: not twice in one request, not published by another container, not bound
  // by a host program; host port 0 becomes a free one.
  auto others = KRILL_TRY(all_states());
  // Another port of this request (earlier ones are final, later ones explicit or still 0) or
  // another container's port is the same host port as `candidate`.
  auto clashes = [&](const PortMapping& candidate, size_t i) {
    for (size_t j = 0; j < ports.size(); ++j)
      if (j != i && ports[j].host_port != 0 && same_host_port(candidate, ports[j])) return true;
    for (const auto& [other_id, other] : others)
      for (const auto& taken : other.ports)
        if (other_id != id && same_host_port(candidate, taken)) return true;
    return false;
  };
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].host_port_last != 0) {
      // -p 8000-8010:80: the first port of the range that nothing else has.
      PortMapping candidate = ports[i];
      candidate.host_port_last = 0;
      bool found = false;
      for (uint32_t port = ports[i].host_port; port <= ports[i].host_port_last && !found; ++port) {
        candidate.host_port = static_cast<uint16_t>(port);
        found = !clashes(candidate, i) && probe_host_port(candidate).has_value();
      }
      if (!found)
        return std::unexpected(Error("no free host port in " + std::to_string(ports[i].host_port) +
                                         "-" + std::to_string(ports[i].host_port_last) + " for " +
                                         std::to_string(ports[i].container_port) + "/" +
                                         ports[i].protocol,
                                     EADDRINUSE));
      ports[i] = candidate;
      continue;
    }
    for (size_t j = 0; j < i; ++j)
      if (ports[i].host_port != 0 && same_host_port(ports[i], ports[j]))
        return std::unexpected(
            Error("port " + port_text(ports[i]) + " is published twice", EADDRINUSE));
    for (const auto& [other_id, other] : others)
      for (const auto& taken : other.ports)
        if (ports[i].host_port != 0 && other_id != id && same_host_port(ports[i], taken))
          return std::unexpected(Error("port " + port_text(ports[i]) +
                                           " is already in use: container " +
                                           other_id.substr(0, 12) + " publishes it",
                                       EADDRINUSE));
    if (ports[i].host_port == 0 && ports[i].protocol == "sctp")
      return std::unexpected(Error("-p " + std::to_string(ports[i].container_port) +
                                       "/sctp: give a host port (krill cannot pick a free SCTP "
                                       "port)",
                                   EINVAL));
    // A port the kernel picks may still be one another container publishes (the rules do not
    // bind it): try again then.
    bool picked = ports[i].host_port == 0;
    for (int attempt = 0;; ++attempt) {
      PortMapping candidate = ports[i];
      candidate.host_port = KRILL_TRY(probe_host_port(ports[i]));
      if (!clashes(candidate, i) || !picked) {
        ports[i].host_port = candidate.host_port;
        break;
      }
      if (attempt == 20)
        return std::unexpected(Error("no free host port for " +
                                         std::to_string(ports[i].container_port) + "/" +
                                         ports[i].protocol,
                                     EADDRINUSE));
    }
  }

  return ports;
}

Result<ContainerNetworkState> ContainerNetworks::fresh_state(
    const std::string& id, const std::string& name, const std::vector<PortMapping>& ports) {
  ContainerNetworkState state;
  state.container_name = name;
  state.netns_path = netns_path(id);
  state.ports = ports;
  // A leftover of a crash (killed mid-start, a failed DEL): release its leases and rules first,
  // or host-local would refuse this container's addresses as already allocated.
  if (auto leftover = this->state(id); !leftover || *leftover) {
    auto released = teardown_unlocked(id);
    if (!released)
      return std::unexpected(std::move(released.error())
                                 .context("release what an earlier start of this container left "
                                          "(retry, or `krill system check --repair`)"));
  }
  (void)remove_persistent_netns(state.netns_path);
  KRILL_CHECK(create_persistent_netns(state.netns_path));
  return state;
}

Result<ContainerNetworkState> ContainerNetworks::setup(
    const std::string& id, const std::string& name, const std::vector<AttachRequest>& attachments,
    std::vector<PortMapping> ports) {
  for (const char* dir : {"/networks", "/networks/netns", "/networks/containers", "/networks/ipam"})
    KRILL_CHECK(mkdir_all(run_root_ + dir, 0700));
  // One setup at a time: the published-port check and the rules that claim the ports.
  auto held = KRILL_TRY(lock());
  if (attachments.empty() && !ports.empty())
    return std::unexpected(Error("publishing ports needs a network (not --network none)", EINVAL));
  ports = KRILL_TRY(claim_ports(id, std::move(ports)));
  ContainerNetworkState state = KRILL_TRY(fresh_state(id, name, ports));
  auto undo = [&](Error error) -> Result<ContainerNetworkState> {
    (void)save(id, state);
    (void)teardown_unlocked(id);
    return std::unexpected(std::move(error));
  };
  for (size_t i = 0; i < attachments.size(); ++i) {
    auto attached = attach(id, name, state.netns_path, attachments[i], "eth" + std::to_string(i),
                           i == 0 ? ports : std::vector<PortMapping>{});
    if (!attached) return undo(std::move(attached.error()));
    state.networks.push_back(std::move(*attached));
  }
  if (auto saved = save(id, state); !saved) return undo(std::move(saved.error()));
  return state;
}

Result<ContainerNetworkState> ContainerNetworks::setup_pasta(const std::string& id,
                                                             const std::string& name,
                                                             std::vector<PortMapping> ports) {
  for (const char* dir : {"/networks", "/networks/netns", "/networks/containers"})
    KRILL_CHECK(mkdir_all(run_root_ + dir, 0700));
  auto held = KRILL_TRY(lock());
  ports = KRILL_TRY(claim_ports(id, std::move(ports)));
  ContainerNetworkState state = KRILL_TRY(fresh_state(id, name, ports));
  state.pasta = true;
  PastaRequest request;
  request.netns_path = state.netns_path;
  request.ports = ports;
  request.pid_file = container_pasta_pid_path(run_root_, id);
  auto saved = save(id, state);
  auto started = saved ? start_pasta(request) : Result<void>(std::unexpected(saved.error()));
  if (!started) {
    (void)teardown_unlocked(id);
    return std::unexpected(std::move(started.error()));
  }
  return state;
}

Result<void> ContainerNetworks::teardown(const std::string& id, const FileLock& held) {
  (void)held;  // proof that the caller holds lock()
  return teardown_unlocked(id);
}

Result<void> ContainerNetworks::teardown(const std::string& id) {
  if (::access((run_root_ + "/networks").c_str(), F_OK) != 0) return {};  // never set up
  auto held = KRILL_TRY(lock());
  return teardown_unlocked(id);
}

Result<void> ContainerNetworks::teardown_unlocked(const std::string& id) {
  auto current = state(id);
  if (!current) {
    // Unreadable: what it recorded cannot be deleted, but the namespace and the file go, or
    // they would stay forever; the error says what was lost.
    (void)remove_persistent_netns(netns_path(id));
    (void)::unlink(state_path(id).c_str());
    return std::unexpected(std::move(current.error()).context("network state removed unread"));
  }
  std::optional<Error> first_error;
  std::string netns = netns_path(id);
  std::vector<AttachedNetwork> released, failed;
  if (*current) {
    const auto& s = **current;
    if (!s.netns_path.empty()) netns = s.netns_path;
    for (size_t i = s.networks.size(); i-- > 0;) {
      auto removed =
          detach(id, netns, s.networks[i], i == 0 ? s.ports : std::vector<PortMapping>{});
      if (removed) {
        released.push_back(s.networks[i]);
        continue;
      }
      failed.insert(failed.begin(), s.networks[i]);
      if (!first_error)
        first_error =
            std::move(removed.error()).context("disconnect from " + s.networks[i].network);
    }
  }
  if (*current && (*current)->pasta) {
    if (auto stopped = stop_pasta(container_pasta_pid_path(run_root_, id)); !stopped)
      first_error = std::move(stopped.error());
  }
  if (auto removed = remove_persistent_netns(netns); !removed && !first_error)
    first_error = removed.error();
  if (!failed.empty()) {
    // What could not be deleted stays on record (its lease, its rules): the next teardown —
    // `system check --repair`, or the container's next start — tries again.
    ContainerNetworkState rest = **current;
    rest.networks = failed;
    if (failed.front().network != (*current)->networks.front().network) rest.ports.clear();
    (void)save(id, rest);
  } else if (::unlink(state_path(id).c_str()) != 0 && errno != ENOENT && !first_error) {
    first_error = Error::from_errno("remove " + state_path(id));
  }
  for (const auto& network : released) release_unused_bridge(network);
  if (first_error) return std::unexpected(std::move(*first_error));
  return {};
}

void ContainerNetworks::release_unused_bridge(const AttachedNetwork& network) {
  auto states = all_states();
  if (!states) return;
  for (const auto& [id, state] : *states)
    for (const auto& attached : state.networks)
      if (attached.network_id == network.network_id) return;
  (void)delete_bridge(bridge_of(network.conflist));
}

Result<AttachedNetwork> ContainerNetworks::connect(const std::string& id, const std::string& name,
                                                   const AttachRequest& attachment) {
  auto held = KRILL_TRY(lock());
  auto current = KRILL_TRY(state(id));
  if (!current)
    return std::unexpected(Error("container " + id.substr(0, 12) +
                                     " has no network namespace of its own (not running, or "
                                     "--network none/host/container:)",
                                 EINVAL));
  NetworkConfig network = KRILL_TRY(networks_.find(attachment.network));
  std::set<std::string> used;
  for (const auto& attached : current->networks) {
    if (attached.network_id == network.id)
      return std::unexpected(Error(
          "container " + id.substr(0, 12) + " is already connected to network " + network.name,
          EEXIST));
    used.insert(attached.interface);
  }
  std::string ifname;
  for (int i = 0; ifname.empty(); ++i)
    if (!used.contains("eth" + std::to_string(i))) ifname = "eth" + std::to_string(i);
  auto attached = KRILL_TRY(attach(id, name, current->netns_path, attachment, ifname, {}));
  current->networks.push_back(attached);
  if (auto saved = save(id, *current); !saved) {
    (void)detach(id, current->netns_path, attached, {});
    return std::unexpected(saved.error());
  }
  return attached;
}

Result<void> ContainerNetworks::disconnect(const std::string& id, const std::string& network) {
  auto held = KRILL_TRY(lock());
  auto current = KRILL_TRY(state(id));
  NetworkConfig config = KRILL_TRY(networks_.find(network));
  auto it = current
                ? std::find_if(current->networks.begin(), current->networks.end(),
                               [&](const AttachedNetwork& n) { return n.network_id == config.id; })
                : std::vector<AttachedNetwork>::iterator{};
  if (!current || it == current->networks.end())
    return std::unexpected(Error(
        "container " + id.substr(0, 12) + " is not connected to network " + config.name, ENOENT));
  bool first = it == current->networks.begin();
  KRILL_CHECK(
      detach(id, current->netns_path, *it, first ? current->ports : std::vector<PortMapping>{}));
  AttachedNetwork gone = *it;
  current->networks.erase(it);
  if (first) current->ports.clear();  // the rules that published them went with it
  KRILL_CHECK(save(id, *current));
  release_unused_bridge(gone);
  return {};
}

}  // namespace krill::network
