// The engine's side of networks: a container's namespace and CNI attachments made before its
// runtime starts and torn down when it stops (or its monitor is found dead), published ports,
// the peers' /etc/hosts sections, and connect/disconnect of running containers.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "base/file_io.h"
#include "base/file_lock.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/network_hosts.h"
#include "network/ip_address.h"
#include "network/network_defaults.h"
#include "network/pasta.h"

namespace krill::engine {
namespace {

std::string without_prefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// "80/tcp" -> a mapping of that port to a free host port.
Result<PublishedPort> exposed_port(const std::string& text) {
  PublishedPort port;
  std::string number = text.substr(0, text.find('/'));
  if (auto slash = text.find('/'); slash != std::string::npos)
    port.protocol = text.substr(slash + 1);
  if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos ||
      number.size() > 5 || std::stoi(number) < 1 || std::stoi(number) > 65535)
    return fail("the image exposes an invalid port \"" + text + "\"");
  port.container_port = static_cast<uint16_t>(std::stoi(number));
  return port;
}

// -p mappings, then -P's EXPOSE'd ports that -p did not give (host port 0: any free one).
Result<std::vector<network::PortMapping>> published_ports(
    const ContainerConfig& config, const image::ContainerConfig& image_config) {
  std::vector<network::PortMapping> ports;
  for (const auto& port : config.ports)
    ports.push_back(
        {port.host_ip, port.host_port, port.container_port, port.protocol, port.host_port_last});
  if (config.publish_all) {
    for (const auto& text : image_config.exposed_ports) {
      auto exposed = KRILL_TRY(exposed_port(text));
      bool given = std::any_of(ports.begin(), ports.end(), [&](const network::PortMapping& p) {
        return p.container_port == exposed.container_port && p.protocol == exposed.protocol;
      });
      if (!given) ports.push_back({"", 0, exposed.container_port, exposed.protocol});
    }
  }
  return ports;
}

}  // namespace

Result<void> validate_aliases(const std::vector<std::string>& aliases) {
  for (const auto& alias : aliases) {
    bool ok =
        !alias.empty() && alias.size() <= 253 && std::isalnum(static_cast<unsigned char>(alias[0]));
    for (char c : alias)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!ok)
      return std::unexpected(Error(
          "invalid network alias \"" + alias + "\": want a host name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
          EINVAL));
  }
  return {};
}

Result<network::NetworkStore*> Engine::networks() {
  if (networks_) return networks_.get();
  auto settings = KRILL_TRY(network::load_network_settings());
  auto store = KRILL_TRY(network::NetworkStore::open(
      options_.store_root + "/networks", settings.defaults, network::host_route_subnets()));
  networks_ = std::make_unique<network::NetworkStore>(std::move(store));
  cni_executor_ = network::make_process_plugin_executor();
  container_networks_ = std::make_unique<network::ContainerNetworks>(
      *networks_, options_.run_root, settings.cni_plugin_dirs, *cni_executor_);
  return networks_.get();
}

Result<network::ContainerNetworks*> Engine::container_networks() {
  KRILL_TRY(networks());
  return container_networks_.get();
}

Result<std::optional<network::ContainerNetworkState>> Engine::network_state(
    const ContainerRecord& record) {
  std::string path = network::container_network_state_path(options_.run_root, record.id);
  if (::access(path.c_str(), F_OK) != 0) return std::optional<network::ContainerNetworkState>();
  auto* networking = KRILL_TRY(container_networks());
  return networking->state(record.id);
}

Result<Engine::NetworkSetup> Engine::setup_network(const ContainerRecord& record,
                                                   const image::ContainerConfig& image_config) {
  const ContainerConfig& config = record.config;
  NetworkSetup setup;
  if (config.network == "none" || config.network == "host") {
    if (!config.ports.empty() || config.publish_all)
      return fail("--publish needs a network: the container uses --network " + config.network);
    return setup;
  }
  if (config.network.starts_with("ns:")) {
    setup.netns_path = config.network.substr(3);
    if (setup.netns_path.empty() || setup.netns_path.front() != '/')
      return fail("--network " + config.network + ": the path must be absolute");
    if (::access(setup.netns_path.c_str(), F_OK) != 0)
      return fail_errno("--network " + config.network);
    return setup;
  }
  if (config.network.starts_with("container:")) {
    std::string other_name = config.network.substr(10);
    auto other = KRILL_TRY(find(other_name));
    if (other.id == record.id) return fail("--network container: cannot name the container itself");
    if (other.status != ContainerStatus::kRunning || other.pid <= 0)
      return fail("--network container:" + other_name + ": container " + other.id.substr(0, 12) +
                  " is not running");
    setup.netns_path = "/proc/" + std::to_string(other.pid) + "/ns/net";
    return setup;
  }
  std::vector<network::PortMapping> ports = KRILL_TRY(published_ports(config, image_config));
  if (options_.rootless) {
    // Bridges and firewall rules need root: a rootless container gets a namespace of its own
    // that pasta connects to the host (podman's default), or loopback only on a host without a
    // route to copy.
    if (!config.networks.empty() &&
        !(config.networks.size() == 1 && config.networks.front().name == "pasta"))
      return fail("--network " + config.networks.front().name +
                  ": rootless containers cannot join networks (bridges need root); use pasta "
                  "(the default), none, host, container:NAME or ns:PATH");
    if (!network::host_has_default_route()) {
      if (!ports.empty())
        return fail(
            "publishing ports rootless needs a host interface with a default route "
            "(pasta copies its addresses into the container)");
      return setup;
    }
    auto* networking = KRILL_TRY(container_networks());
    auto state = KRILL_TRY(networking->setup_pasta(record.id, record.name, ports));
    setup.netns_path = state.netns_path;
    return setup;
  }

  std::vector<network::AttachRequest> attachments;
  for (const auto& request : config.networks)
    attachments.push_back({request.name, request.aliases, request.ip, request.mac});
  if (attachments.empty()) {
    auto* store = KRILL_TRY(networks());
    attachments.push_back({store->defaults().default_network, {}, "", ""});
  }
  auto* networking = KRILL_TRY(container_networks());
  auto state = KRILL_TRY(networking->setup(record.id, record.name, attachments, ports));
  setup.netns_path = state.netns_path;
  for (const auto& attached : state.networks)
    for (const auto& address : attached.addresses)
      setup.addresses.push_back(without_prefix(address));
  if (!state.networks.empty()) setup.gateway = state.networks.front().gateway;
  auto states = networking->all_states();
  if (states) setup.peer_hosts = peer_hosts_section(record.id, state, *states);
  update_peer_hosts();
  return setup;
}

void Engine::update_peer_hosts() {
  auto networking = container_networks();
  if (!networking) return;
  auto lock = FileLock::exclusive(options_.run_root + "/networks/hosts.lock");
  auto states = (*networking)->all_states();
  if (!states) return;
  for (const auto& [id, state] : *states)
    (void)replace_peer_hosts_section(userdata_dir(id) + "/hosts",
                                     peer_hosts_section(id, state, *states));
}

Result<void> Engine::release_network(const std::string& id) {
  std::string state_path = network::container_network_state_path(options_.run_root, id);
  std::string netns_path = network::container_netns_path(options_.run_root, id);
  if (::access(state_path.c_str(), F_OK) != 0 && ::access(netns_path.c_str(), F_OK) != 0) return {};
  auto* networking = KRILL_TRY(container_networks());
  auto released = networking->teardown(id);
  update_peer_hosts();
  return released;
}

Result<std::vector<ContainerRecord>> Engine::network_users(const network::NetworkConfig& network) {
  auto* store = KRILL_TRY(networks());
  auto* networking = KRILL_TRY(container_networks());
  std::set<std::string> attached;  // containers whose live state names the network
  for (const auto& [id, state] : KRILL_TRY(networking->all_states()))
    for (const auto& n : state.networks)
      if (n.network_id == network.id) attached.insert(id);
  std::vector<ContainerRecord> users;
  for (const auto& record : KRILL_TRY(list())) {
    const ContainerConfig& config = record.config;
    bool uses = attached.contains(record.id);
    if (config.network.empty() && config.networks.empty())
      uses = uses || network.name == store->defaults().default_network;
    if (config.network.empty())
      for (const auto& request : config.networks) {
        auto named = store->find(request.name);
        uses = uses || (named && named->id == network.id);
      }
    if (uses) users.push_back(record);
  }
  return users;
}

Result<void> Engine::network_remove(const network::NetworkConfig& network) {
  auto* store = KRILL_TRY(networks());
  auto* networking = KRILL_TRY(container_networks());
  // No reconcile under this lock (its teardown takes the same lock): the raw records and the
  // live attachments decide.
  auto held = KRILL_TRY(networking->lock());
  std::vector<std::string> users;
  for (const auto& [id, state] : KRILL_TRY(networking->all_states())) {
    bool on_it =
        std::any_of(state.networks.begin(), state.networks.end(),
                    [&](const network::AttachedNetwork& n) { return n.network_id == network.id; });
    if (!on_it) continue;
    // Left by a container that is gone (its DEL failed, then it was removed): retry it now.
    auto owner = store_->find(id);
    if (!owner && owner.error().errno_value() == ENOENT && networking->teardown(id, held)) continue;
    users.push_back(id.substr(0, 12));
  }
  for (const auto& record : KRILL_TRY(store_->list())) {
    if (!record.config.network.empty()) continue;
    bool uses = record.config.networks.empty() && network.name == store->defaults().default_network;
    for (const auto& request : record.config.networks) {
      auto named = store->find(request.name);
      uses = uses || (named && named->id == network.id);
    }
    if (uses && std::find(users.begin(), users.end(), record.id.substr(0, 12)) == users.end())
      users.push_back(record.id.substr(0, 12));
  }
  if (!users.empty()) {
    std::string ids;
    for (const auto& id : users) ids += (ids.empty() ? "" : ", ") + id;
    return std::unexpected(Error("network " + network.name + " is being used by container(s) " +
                                     ids +
                                     ": use -f to "
                                     "remove them too",
                                 EBUSY));
  }
  KRILL_CHECK(store->remove(network.id));
  // What the plugins left of it: its bridge and its address leases' directory.
  (void)network::delete_bridge(network.interface_name);
  (void)remove_all(options_.run_root + "/networks/ipam/" + network.name);
  return {};
}

Result<void> Engine::network_connect(const std::string& container, const NetworkRequest& request) {
  auto* store = KRILL_TRY(networks());
  auto target = KRILL_TRY(store->find(request.name));
  auto found = KRILL_TRY(store_->find(container));
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, found.id));
  auto record = KRILL_TRY(reconcile_locked(KRILL_TRY(store_->find(found.id))));
  bool disconnected = record.config.annotations.contains(kDisconnectedAnnotation);
  if (!record.config.network.empty() && !disconnected)
    return fail("container " + record.id.substr(0, 12) + " uses --network " +
                record.config.network + ": it cannot join networks");
  KRILL_CHECK(validate_aliases(request.aliases));
  std::vector<NetworkRequest> joined = record.config.networks;
  if (joined.empty() && !disconnected)
    joined.push_back({store->defaults().default_network, {}, "", ""});
  for (const auto& existing : joined) {
    auto existing_network = store->find(existing.name);
    if (existing_network && existing_network->id == target.id)
      return std::unexpected(Error("container " + record.id.substr(0, 12) +
                                       " is already connected to network " + target.name,
                                   EEXIST));
  }
  NetworkRequest added = request;
  added.name = target.name;
  if (disconnected &&
      (record.status == ContainerStatus::kRunning || record.status == ContainerStatus::kPaused) &&
      !network_state(record).value_or(std::nullopt))
    return fail("container " + record.id.substr(0, 12) +
                " lost its network namespace with its last network: stop it, connect, start");
  if (record.status == ContainerStatus::kRunning || record.status == ContainerStatus::kPaused) {
    auto* networking = KRILL_TRY(container_networks());
    if (network_state(record).value_or(std::nullopt)) {
      KRILL_TRY(networking->connect(record.id, record.name,
                                    {added.name, added.aliases, added.ip, added.mac}));
    }
  }
  joined.push_back(added);
  KRILL_CHECK(store_->modify(record.id, [&](ContainerRecord& r) -> Result<void> {
    r.config.networks = joined;
    if (disconnected) {
      r.config.network.clear();
      r.config.annotations.erase(kDisconnectedAnnotation);
    }
    return {};
  }));
  update_peer_hosts();
  return {};
}

Result<void> Engine::network_disconnect(const std::string& container, const std::string& network) {
  auto* store = KRILL_TRY(networks());
  auto target = KRILL_TRY(store->find(network));
  auto found = KRILL_TRY(store_->find(container));
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, found.id));
  auto record = KRILL_TRY(reconcile_locked(KRILL_TRY(store_->find(found.id))));
  std::vector<NetworkRequest> joined = record.config.networks;
  if (record.config.network.empty() && joined.empty())
    joined.push_back({store->defaults().default_network, {}, "", ""});
  auto it = std::find_if(joined.begin(), joined.end(), [&](const NetworkRequest& r) {
    auto n = store->find(r.name);
    return n && n->id == target.id;
  });
  if (it == joined.end())
    return std::unexpected(Error(
        "container " + record.id.substr(0, 12) + " is not connected to network " + target.name,
        ENOENT));
  if (record.status == ContainerStatus::kRunning || record.status == ContainerStatus::kPaused) {
    auto* networking = KRILL_TRY(container_networks());
    if (network_state(record).value_or(std::nullopt))
      KRILL_CHECK(networking->disconnect(record.id, target.name));
  }
  joined.erase(it);
  bool none_left = joined.empty();
  KRILL_CHECK(store_->modify(record.id, [&](ContainerRecord& r) -> Result<void> {
    r.config.networks = joined;
    // Docker: a container disconnected from its last network has none (not the default) —
    // and may be connected again, unlike one made with --network none.
    if (none_left) {
      r.config.network = "none";
      r.config.annotations[kDisconnectedAnnotation] = "true";
    }
    return {};
  }));
  update_peer_hosts();
  return {};
}

Result<std::vector<std::string>> Engine::check_networks(bool repair) {
  std::vector<std::string> findings;
  std::set<std::string> live;
  for (const auto& record : KRILL_TRY(list()))  // reconciles: dead monitors are released here
    if (record.status == ContainerStatus::kRunning || record.status == ContainerStatus::kPaused)
      live.insert(record.id);
  std::set<std::string> orphans;
  std::error_code ec;
  for (const char* dir : {"/networks/containers", "/networks/netns"}) {
    for (const auto& entry : std::filesystem::directory_iterator(options_.run_root + dir, ec)) {
      std::string id = entry.path().filename().string();
      if (id.ends_with(".json")) id.resize(id.size() - 5);
      if (!live.contains(id)) orphans.insert(id);
    }
  }
  for (const auto& id : orphans) {
    // Decided under the container's lock, on its current record: a container being started
    // holds the lock, and one that started since the listing is running now.
    std::optional<ContainerLock> lock;
    auto record = store_->find(id);
    if (!record && record.error().errno_value() != ENOENT) continue;  // cannot tell: leave it
    if (record) {
      auto acquired = ContainerLock::try_acquire(options_.store_root, id);
      if (!acquired || !*acquired) continue;
      lock = std::move(**acquired);
      auto current = store_->find(id);
      if (current && (current->status == ContainerStatus::kRunning ||
                      current->status == ContainerStatus::kPaused))
        continue;
    }
    std::string finding = "network namespace of container " + id.substr(0, 12) + " left behind";
    if (repair) {
      auto released = release_network(id);
      finding +=
          released ? " (removed)" : " (could not remove: " + released.error().message() + ")";
    }
    findings.push_back(finding);
  }
  return findings;
}

}  // namespace krill::engine
