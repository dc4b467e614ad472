// Network files, their lock, and the address and bridge-name plans of new networks.
#include "network/network_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "base/clock.h"
#include "base/file_io.h"
#include "base/unique_fd.h"

namespace krill::network {
namespace {

constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1
constexpr size_t kMaxNetworkName = 200;   // it is a file name with ".json" after it
// Pools are searched candidate by candidate; a /8 pool cut into /30s stays within this.
constexpr uint64_t kMaxPoolCandidates = uint64_t{1} << 24;

std::unexpected<Error> fail_with(int err, std::string message) {
  return std::unexpected<Error>(Error(std::move(message), err));
}

// Holds an exclusive flock on <dir>/.lock: create and remove read every file, decide, and
// write while no other krill process can do the same.
class DirLock {
 public:
  static Result<DirLock> acquire(const std::string& dir) {
    const std::string path = dir + "/.lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return fail_errno("open " + path);
    while (::flock(fd.get(), LOCK_EX) < 0) {
      if (errno != EINTR) return fail_errno("lock " + path);
    }
    return DirLock(std::move(fd));
  }

 private:
  explicit DirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing it releases the lock
};

Result<std::string> random_id() {
  uint8_t bytes[32];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("getrandom");
    }
    filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (uint8_t b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

// Linux's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or blanks.
Result<void> check_interface_name(const std::string& name) {
  if (name.size() > kMaxInterfaceName)
    return fail_with(EINVAL, "interface name " + name + " is longer than 15 bytes");
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of("/: \t\n\r\v\f") != std::string::npos)
    return fail_with(EINVAL, "invalid interface name \"" + name + "\"");
  return {};
}

Result<void> check_options(const std::map<std::string, std::string>& options) {
  for (const auto& [key, value] : options) {
    if (key == "mtu") {
      int mtu = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mtu);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || mtu < 68 ||
          mtu > 65535)
        return fail_with(EINVAL,
                         "invalid mtu \"" + value + "\": it must be an integer from 68 to 65535");
    } else if (key == "isolate") {
      if (value != "true" && value != "false")
        return fail_with(EINVAL, "invalid isolate \"" + value + "\": it must be true or false");
    } else {
      return fail_with(EINVAL, "unsupported network option " + key);
    }
  }
  return {};
}

Result<Subnet> parse_subnet_einval(const std::string& text) {
  auto subnet = Subnet::parse(text);
  if (!subnet) return fail_with(EINVAL, subnet.error().message());
  return *subnet;
}

Result<IpAddress> parse_address_einval(const std::string& text, const std::string& what) {
  auto ip = IpAddress::parse(text);
  if (!ip) return fail_with(EINVAL, what + ": " + ip.error().message());
  return *ip;
}

// --ip-range as CIDR (its first to last host, as podman does) or "START-END".
Result<LeaseRange> parse_ip_range(const std::string& text, const Subnet& subnet) {
  LeaseRange range;
  const size_t dash = text.find('-');
  if (dash != std::string::npos) {
    range.start = KRILL_TRY(parse_address_einval(text.substr(0, dash), "ip range " + text));
    range.end = KRILL_TRY(parse_address_einval(text.substr(dash + 1), "ip range " + text));
    if (range.end < range.start || range.start.v6 != range.end.v6)
      return fail_with(EINVAL, "ip range " + text + ": the start is after the end");
  } else {
    auto parsed = Subnet::parse(text);
    if (!parsed) return fail_with(EINVAL, "ip range " + text + ": " + parsed.error().message());
    const Subnet cidr = *parsed;
    if (!subnet.contains(cidr.address) || cidr.prefix_length < subnet.prefix_length)
      return fail_with(EINVAL, "ip range " + text + " is not inside subnet " + subnet.to_string());
    range.start = cidr.prefix_length == cidr.address.bit_length() ? cidr.address : *cidr.host(1);
    range.end = cidr.last_host();
    return range;
  }
  if (!subnet.contains(range.start) || !subnet.contains(range.end))
    return fail_with(EINVAL, "ip range " + text + " is not inside subnet " + subnet.to_string());
  return range;
}

struct StoredNetwork {
  std::string path;
  NetworkConfig config;
};

}  // namespace

bool is_valid_network_name(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || !alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

NetworkStore::NetworkStore(std::string dir, NetworkDefaults defaults,
                           std::vector<Subnet> host_subnets)
    : dir_(std::move(dir)),
      defaults_(std::move(defaults)),
      host_subnets_(std::move(host_subnets)) {}

Result<NetworkStore> NetworkStore::open(std::string dir, NetworkDefaults defaults,
                                        std::vector<Subnet> host_subnets) {
  // Bad defaults are reported once, here, instead of by every create.
  if (!is_valid_network_name(defaults.default_network))
    return fail_with(EINVAL, "default network name \"" + defaults.default_network +
                                 "\" is not a valid network name");
  KRILL_CHECK_CTX(check_interface_name(defaults.default_interface), "default network interface");
  KRILL_CHECK_CTX(parse_subnet_einval(defaults.default_subnet), "default network subnet");
  for (const std::string& pool : defaults.subnet_pools)
    KRILL_CHECK_CTX(parse_subnet_einval(pool), "subnet pool");
  if (defaults.pool_prefix_length < 1 || defaults.pool_prefix_length > 128)
    return fail_with(EINVAL, "pool prefix length " + std::to_string(defaults.pool_prefix_length) +
                                 " is out of range");
  KRILL_CHECK(mkdir_all(dir, 0700));
  return NetworkStore(std::move(dir), std::move(defaults), std::move(host_subnets));
}

namespace {

Result<std::vector<StoredNetwork>> load_all(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("open directory " + dir);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    // Dot files are the lock and write_file_atomic's temporaries.
    if (name.empty() || name.front() == '.' || !name.ends_with(".json")) continue;
    names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<StoredNetwork> out;
  for (const std::string& name : names) {
    StoredNetwork stored{dir + "/" + name, {}};
    auto text = read_file(stored.path);
    if (!text) {
      if (text.error().errno_value() == ENOENT) continue;  // removed meanwhile
      return std::unexpected(std::move(text.error()));
    }
    auto config = network_config_from_json(*text);
    if (!config) return std::unexpected(std::move(config.error()).context(stored.path));
    stored.config = std::move(*config);
    out.push_back(std::move(stored));
  }
  return out;
}

const StoredNetwork* find_by_name(const std::vector<StoredNetwork>& all, const std::string& name) {
  for (const StoredNetwork& n : all)
    if (n.config.name == name) return &n;
  return nullptr;
}

Result<NetworkConfig> make_default(const NetworkDefaults& defaults) {
  NetworkConfig config;
  config.name = defaults.default_network;
  config.id = KRILL_TRY(random_id());
  config.interface_name = defaults.default_interface;
  SubnetConfig subnet;
  subnet.subnet = KRILL_TRY(parse_subnet_einval(defaults.default_subnet));
  subnet.gateway = KRILL_TRY(subnet.subnet.host(1));
  config.subnets.push_back(subnet);
  config.ipv6_enabled = subnet.subnet.address.v6;
  // Like podman's and Docker's default networks: no name resolution between containers.
  config.dns_enabled = false;
  config.created_ns = now_ns();
  return config;
}

Result<void> write_network(const std::string& dir, const NetworkConfig& config) {
  return write_file_atomic(dir + "/" + config.name + ".json", network_config_to_json(config), 0644);
}

// The first subnet of /prefix_length inside one of `pools` that overlaps nothing in `used`.
Result<Subnet> allocate_from_pools(const std::vector<std::string>& pools, int prefix_length,
                                   const std::vector<Subnet>& used) {
  for (const std::string& pool_text : pools) {
    const Subnet pool = KRILL_TRY(parse_subnet_einval(pool_text));
    const int bits = pool.address.bit_length();
    const int step_prefix = std::min(std::max(prefix_length, pool.prefix_length), bits);
    const int spare_bits = step_prefix - pool.prefix_length;
    const uint64_t count = spare_bits >= 24 ? kMaxPoolCandidates : uint64_t{1} << spare_bits;
    const int host_bits = bits - step_prefix;
    for (uint64_t k = 0; k < count; ++k) {
      // Candidate k: the pool's address plus k blocks of 2^host_bits addresses.
      Subnet candidate = Subnet::containing(pool.address, step_prefix);
      unsigned __int128 offset = static_cast<unsigned __int128>(k) << host_bits;
      for (int i = (pool.address.v6 ? 15 : 3); i >= 0 && offset != 0; --i) {
        const unsigned sum = candidate.address.bytes[i] + static_cast<unsigned>(offset & 0xff);
        candidate.address.bytes[i] = static_cast<uint8_t>(sum);
        offset = (offset >> 8) + (sum >> 8);
      }
      const bool taken = std::any_of(used.begin(), used.end(),
                                     [&](const Subnet& s) { return s.overlaps(candidate); });
      if (!taken) return candidate;
    }
  }
  return fail_with(ENOSPC, "could not find a free subnet in the subnet pools");
}

// A /64 of fd00::/8 (RFC 4193): a global ID from the network's random id, then subnet IDs in
// order until one overlaps nothing.
Result<Subnet> allocate_ula(const std::string& network_id, const std::vector<Subnet>& used) {
  Subnet candidate;
  candidate.address.v6 = true;
  candidate.prefix_length = 64;
  candidate.address.bytes[0] = 0xfd;
  for (int i = 0; i < 5; ++i) {
    uint8_t byte = 0;
    std::from_chars(network_id.data() + 2 * i, network_id.data() + 2 * i + 2, byte, 16);
    candidate.address.bytes[1 + i] = byte;
  }
  for (unsigned subnet_id = 0; subnet_id <= 0xffff; ++subnet_id) {
    candidate.address.bytes[6] = static_cast<uint8_t>(subnet_id >> 8);
    candidate.address.bytes[7] = static_cast<uint8_t>(subnet_id & 0xff);
    const bool taken = std::any_of(used.begin(), used.end(),
                                   [&](const Subnet& s) { return s.overlaps(candidate); });
    if (!taken) return candidate;
  }
  return fail_with(ENOSPC, "could not find a free IPv6 subnet in fd00::/8");
}

// By name ("bridge" meaning the default network), full id, or unique id prefix.
Result<const NetworkConfig*> find_in(const std::vector<NetworkConfig>& all,
                                     const std::string& name_or_id,
                                     const std::string& default_network) {
  const std::string name = name_or_id == "bridge" ? default_network : name_or_id;
  for (const NetworkConfig& n : all)
    if (n.name == name || n.id == name_or_id) return &n;
  const NetworkConfig* match = nullptr;
  int matches = 0;
  if (!name_or_id.empty()) {
    for (const NetworkConfig& n : all) {
      if (n.id.starts_with(name_or_id)) {
        match = &n;
        ++matches;
      }
    }
  }
  if (matches > 1)
    return fail_with(EINVAL, "network " + name_or_id + " is ambiguous (" + std::to_string(matches) +
                                 " matches found based on ID prefix)");
  if (matches == 1) return match;
  return fail_with(ENOENT,
                   "unable to find network with name or ID " + name_or_id + ": network not found");
}

}  // namespace

Result<NetworkConfig> NetworkStore::create(const NetworkCreateOptions& options) {
  if (!options.name.empty()) {
    if (!is_valid_network_name(options.name))
      return fail_with(EINVAL, "invalid network name \"" + options.name +
                                   "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    if (options.name.size() > kMaxNetworkName)
      return fail_with(EINVAL, "network name " + options.name.substr(0, 20) +
                                   "... is longer than " + std::to_string(kMaxNetworkName) +
                                   " bytes");
    if (options.name == "none" || options.name == "host")
      return fail_with(EINVAL,
                       "network name " + options.name + " is reserved: it is a network mode");
  }

  auto lock = DirLock::acquire(dir_);
  if (!lock) return std::unexpected(std::move(lock.error()));
  std::vector<StoredNetwork> all = KRILL_TRY(load_all(dir_));
  // The default network exists from the first use of the store on, so that nothing new
  // takes its subnet or bridge.
  if (!find_by_name(all, defaults_.default_network)) {
    NetworkConfig config = KRILL_TRY(make_default(defaults_));
    KRILL_CHECK(write_network(dir_, config));
    all.push_back({dir_ + "/" + config.name + ".json", std::move(config)});
  }

  NetworkConfig config;
  config.name = options.name;
  if (config.name.empty()) {
    for (int n = 1; config.name.empty(); ++n) {
      const std::string candidate = "krill" + std::to_string(n);
      if (candidate != defaults_.default_network && !find_by_name(all, candidate))
        config.name = candidate;
    }
  }
  const std::string lookup = config.name == "bridge" ? defaults_.default_network : config.name;
  if (const StoredNetwork* existing = find_by_name(all, lookup)) {
    if (options.ignore_existing) return existing->config;
    return fail_with(EEXIST,
                     "network name " + config.name + " already used: network already exists");
  }

  if (options.driver != "bridge") return fail_with(EINVAL, "unsupported driver " + options.driver);
  KRILL_CHECK(check_options(options.options));
  config.driver = options.driver;
  config.internal = options.internal;
  config.labels = options.labels;
  config.options = options.options;
  config.created_ns = now_ns();
  do {
    config.id = KRILL_TRY(random_id());
  } while (std::any_of(all.begin(), all.end(),
                       [&](const StoredNetwork& n) { return n.config.id == config.id; }));

  // The bridge.
  auto interface_owner = [&](const std::string& name) -> const NetworkConfig* {
    for (const StoredNetwork& n : all)
      if (n.config.interface_name == name) return &n.config;
    return nullptr;
  };
  if (!options.interface_name.empty()) {
    KRILL_CHECK(check_interface_name(options.interface_name));
    if (const NetworkConfig* owner = interface_owner(options.interface_name))
      return fail_with(EEXIST, "interface name " + options.interface_name +
                                   " is already used by network " + owner->name);
    config.interface_name = options.interface_name;
  } else {
    for (int n = 1; config.interface_name.empty(); ++n) {
      const std::string candidate = defaults_.bridge_prefix + std::to_string(n);
      KRILL_CHECK(check_interface_name(candidate));
      if (!interface_owner(candidate)) config.interface_name = candidate;
    }
  }

  // The address plan.
  if (options.gateways.size() > options.subnets.size())
    return fail_with(EINVAL, "gateway " + options.gateways[options.subnets.size()] +
                                 " has no subnet (give one --subnet per --gateway)");
  if (options.ip_ranges.size() > options.subnets.size())
    return fail_with(EINVAL, "ip range " + options.ip_ranges[options.subnets.size()] +
                                 " has no subnet (give one --subnet per --ip-range)");
  std::vector<Subnet> used = host_subnets_;
  for (const StoredNetwork& n : all)
    for (const SubnetConfig& s : n.config.subnets) used.push_back(s.subnet);

  for (size_t i = 0; i < options.subnets.size(); ++i) {
    SubnetConfig entry;
    entry.subnet = KRILL_TRY(parse_subnet_einval(options.subnets[i]));
    for (const SubnetConfig& other : config.subnets)
      if (other.subnet.overlaps(entry.subnet))
        return fail_with(EINVAL, "subnet " + entry.subnet.to_string() + " overlaps subnet " +
                                     other.subnet.to_string() + " of the same network");
    if (std::any_of(used.begin(), used.end(),
                    [&](const Subnet& s) { return s.overlaps(entry.subnet); }))
      return fail_with(EBUSY, "subnet " + entry.subnet.to_string() +
                                  " is already used on the host or by another config");
    config.subnets.push_back(entry);
  }
  const bool want_ipv6 = options.ipv6 || std::any_of(config.subnets.begin(), config.subnets.end(),
                                                     [](auto& s) { return s.subnet.address.v6; });
  if (config.subnets.empty()) {
    SubnetConfig entry;
    entry.subnet =
        KRILL_TRY(allocate_from_pools(defaults_.subnet_pools, defaults_.pool_prefix_length, used));
    config.subnets.push_back(entry);
  }
  if (want_ipv6 && std::none_of(config.subnets.begin(), config.subnets.end(),
                                [](auto& s) { return s.subnet.address.v6; })) {
    std::vector<Subnet> used_here = used;
    for (const SubnetConfig& s : config.subnets) used_here.push_back(s.subnet);
    SubnetConfig entry;
    entry.subnet = KRILL_TRY(allocate_ula(config.id, used_here));
    config.subnets.push_back(entry);
  }
  config.ipv6_enabled = want_ipv6;

  for (size_t i = 0; i < config.subnets.size(); ++i) {
    SubnetConfig& entry = config.subnets[i];
    const std::string subnet_text = entry.subnet.to_string();
    // Gateways and ranges apply to the given subnets only (allocated ones come after them).
    const bool given = i < options.subnets.size();
    if (given && i < options.gateways.size() && !options.gateways[i].empty()) {
      const IpAddress gateway = KRILL_TRY(parse_address_einval(options.gateways[i], "gateway"));
      if (!entry.subnet.contains(gateway))
        return fail_with(EINVAL,
                         "gateway " + gateway.to_string() + " is not in subnet " + subnet_text);
      if (gateway == entry.subnet.address ||
          (!gateway.v6 && entry.subnet.prefix_length < 31 && gateway > entry.subnet.last_host()))
        return fail_with(EINVAL, "gateway " + gateway.to_string() +
                                     " is the network or broadcast address of " + subnet_text);
      entry.gateway = gateway;
    } else {
      auto first_host = entry.subnet.host(1);
      if (!first_host)
        return fail_with(EINVAL, "subnet " + subnet_text + " is too small for a gateway");
      entry.gateway = *first_host;
    }
    if (given && i < options.ip_ranges.size() && !options.ip_ranges[i].empty())
      entry.lease_range = KRILL_TRY(parse_ip_range(options.ip_ranges[i], entry.subnet));
  }

  KRILL_CHECK(write_network(dir_, config));
  return config;
}

Result<NetworkConfig> NetworkStore::find(const std::string& name_or_id) {
  std::vector<NetworkConfig> all = KRILL_TRY(list());
  const NetworkConfig* found = KRILL_TRY(find_in(all, name_or_id, defaults_.default_network));
  return *found;
}

Result<std::vector<NetworkConfig>> NetworkStore::list() {
  std::vector<StoredNetwork> all = KRILL_TRY(load_all(dir_));
  if (!find_by_name(all, defaults_.default_network)) {
    // Materialized under the lock, checking again: another process may just have written it.
    auto lock = DirLock::acquire(dir_);
    if (!lock) return std::unexpected(std::move(lock.error()));
    all = KRILL_TRY(load_all(dir_));
    if (!find_by_name(all, defaults_.default_network)) {
      NetworkConfig config = KRILL_TRY(make_default(defaults_));
      KRILL_CHECK(write_network(dir_, config));
      all.push_back({dir_ + "/" + config.name + ".json", std::move(config)});
    }
  }
  std::vector<NetworkConfig> out;
  for (StoredNetwork& n : all) out.push_back(std::move(n.config));
  std::sort(out.begin(), out.end(),
            [](const NetworkConfig& a, const NetworkConfig& b) { return a.name < b.name; });
  return out;
}

Result<void> NetworkStore::remove(const std::string& name_or_id) {
  auto lock = DirLock::acquire(dir_);
  if (!lock) return std::unexpected(std::move(lock.error()));
  const std::string name = name_or_id == "bridge" ? defaults_.default_network : name_or_id;
  if (name == defaults_.default_network)
    return fail_with(EPERM, "default network " + defaults_.default_network + " cannot be removed");
  // A file that no longer parses can still be removed by its name.
  std::string path = dir_ + "/" + name + ".json";
  if (!is_valid_network_name(name) || ::access(path.c_str(), F_OK) != 0) {
    // No lookup through find(): it could take the lock again to write the default network.
    std::vector<StoredNetwork> stored = KRILL_TRY(load_all(dir_));
    std::vector<NetworkConfig> all;
    for (StoredNetwork& n : stored) all.push_back(std::move(n.config));
    const NetworkConfig* config = KRILL_TRY(find_in(all, name_or_id, defaults_.default_network));
    if (config->name == defaults_.default_network)
      return fail_with(EPERM,
                       "default network " + defaults_.default_network + " cannot be removed");
    path = dir_ + "/" + config->name + ".json";
  }
  if (::unlink(path.c_str()) < 0) return fail_errno("remove " + path);
  return {};
}

}  // namespace krill::network
