// The container's /etc/hosts, /etc/hostname and /etc/resolv.conf, written to its userdata
// directory and bind-mounted by the spec (Docker's libnetwork etchosts/resolvconf rules).
#include <arpa/inet.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_io.h"
#include "engine/spec_internal.h"

namespace krill::engine::spec_detail {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t' || line[at] == '\r')) ++at;
    size_t start = at;
    while (at < line.size() && line[at] != ' ' && line[at] != '\t' && line[at] != '\r') ++at;
    if (at > start) out.emplace_back(line.substr(start, at - start));
  }
  return out;
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// 127.0.0.0/8 and ::1: a resolver there listens in the host's network namespace only.
bool is_loopback_nameserver(const std::string& address) {
  std::string bare = address;
  if (size_t percent = bare.find('%'); percent != std::string::npos) bare.resize(percent);
  unsigned char v4[4];
  if (::inet_pton(AF_INET, bare.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, bare.c_str(), v6) == 1) {
    static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(v6, v6 + 16, kLoopback);
  }
  return false;
}

struct ResolvConf {
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

ResolvConf parse_resolv_conf(std::string_view text) {
  ResolvConf conf;
  for (std::string_view line : split_lines(text)) {
    std::vector<std::string> words = fields(line);
    if (words.empty() || words[0][0] == '#' || words[0][0] == ';') continue;
    if (words[0] == "nameserver" && words.size() > 1) {
      conf.nameservers.push_back(words[1]);
    } else if ((words[0] == "search" || words[0] == "domain") && words.size() > 1) {
      // The last search or domain line wins, as in the resolver.
      conf.search.assign(words.begin() + 1, words.end());
    } else if (words[0] == "options") {
      conf.options.insert(conf.options.end(), words.begin() + 1, words.end());
    }
  }
  return conf;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

}  // namespace

Result<HostEntry> parse_add_host(std::string_view text, bool host_network,
                                 std::string_view gateway) {
  auto invalid = [&](std::string_view why) -> Result<HostEntry> {
    return fail("--add-host " + std::string(text) + ": " + std::string(why));
  };
  size_t separator = text.find('=');
  if (separator == std::string_view::npos) separator = text.find(':');
  if (separator == std::string_view::npos) return invalid("expected name:ip");
  HostEntry entry;
  entry.name = std::string(text.substr(0, separator));
  entry.address = std::string(text.substr(separator + 1));
  if (entry.address.size() > 2 && entry.address.front() == '[' && entry.address.back() == ']')
    entry.address = entry.address.substr(1, entry.address.size() - 2);
  if (entry.name.empty()) return invalid("empty host name");
  for (char c : entry.name)
    if (c == ' ' || c == '\t' || c == '\n' || c == '#') return invalid("invalid host name");
  if (entry.address == "host-gateway") {
    // The host is its loopback with the host's network, the bridge's address on a network;
    // with none it is not reachable at all.
    if (host_network) {
      entry.address = "127.0.0.1";
    } else if (!gateway.empty()) {
      entry.address = std::string(gateway);
    } else {
      return invalid("host-gateway needs a network with a gateway or --network host");
    }
  }
  if (!is_ip_address(entry.address)) return invalid("invalid IP address " + entry.address);
  return entry;
}

std::string hosts_content(const std::string& hostname, const std::vector<HostEntry>& extra_hosts,
                          bool host_network, std::string_view host_hosts_file,
                          const std::vector<std::string>& own_addresses) {
  std::string out;
  if (host_network) {
    out = std::string(host_hosts_file);
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
  }
  for (const auto& entry : extra_hosts) out += entry.address + "\t" + entry.name + "\n";
  // On networks the hostname names the container's addresses there (Docker's "172.17.0.2 id");
  // with no interface but loopback it resolves to 127.0.0.1, so `hostname -i` and programs that
  // look up their own name work either way.
  if (!host_network && own_addresses.empty()) out += "127.0.0.1\t" + hostname + "\n";
  if (!host_network)
    for (const auto& address : own_addresses) out += address + "\t" + hostname + "\n";
  return out;
}

std::string resolv_conf_content(const ContainerConfig& config, bool host_network,
                                std::string_view host_resolv_conf) {
  ResolvConf host = parse_resolv_conf(host_resolv_conf);
  ResolvConf conf = host;
  if (!host_network) {
    conf.nameservers.clear();
    for (const auto& server : host.nameservers)
      if (!is_loopback_nameserver(server)) conf.nameservers.push_back(server);
  }
  // Docker falls back to Google's 8.8.8.8 and 8.8.4.4 when no nameserver is left. Not here: a
  // container of ours must not send queries anywhere the host did not choose, so it gets no
  // nameserver line at all (lookups then fail fast, or use --dns).
  if (!config.dns_servers.empty()) conf.nameservers = config.dns_servers;
  if (!config.dns_search.empty()) {
    conf.search.clear();
    for (const auto& domain : config.dns_search)
      if (domain != ".") conf.search.push_back(domain);
  }
  if (!config.dns_options.empty()) conf.options = config.dns_options;

  std::string out = "# Generated by krill\n";
  for (const auto& server : conf.nameservers) out += "nameserver " + server + "\n";
  if (!conf.search.empty()) out += "search " + join(conf.search) + "\n";
  if (!conf.options.empty()) out += "options " + join(conf.options) + "\n";
  return out;
}

Result<void> write_etc_files(const SpecInputs& inputs, const std::string& hostname) {
  bool host_network = inputs.config.network == "host";
  std::vector<HostEntry> extra;
  for (const auto& text : inputs.config.add_hosts)
    extra.push_back(KRILL_TRY(parse_add_host(text, host_network, inputs.network_gateway)));
  for (const auto& server : inputs.config.dns_servers)
    if (!is_ip_address(server)) return fail("--dns " + server + ": not an IP address");

  std::string host_hosts;
  if (host_network) host_hosts = KRILL_TRY(read_small_regular_file("/etc/hosts"));
  std::string host_resolv = KRILL_TRY(read_small_regular_file("/etc/resolv.conf"));
  // systemd-resolved's stub (127.0.0.53) is useless in another network namespace; its list of
  // the real upstream servers is (Docker reads the same file).
  if (!host_network) {
    ResolvConf parsed = parse_resolv_conf(host_resolv);
    if (parsed.nameservers.size() == 1 && parsed.nameservers[0] == "127.0.0.53") {
      std::string upstream = KRILL_TRY(read_small_regular_file("/run/systemd/resolve/resolv.conf"));
      if (!upstream.empty()) host_resolv = std::move(upstream);
    }
  }

  const std::string& dir = inputs.userdata_dir;
  KRILL_CHECK(mkdir_all(dir, 0700));
  // Regenerated on every start, so an atomic rename is enough: no fsync on the start path.
  KRILL_CHECK(write_file_atomic(
      dir + "/hosts",
      hosts_content(hostname, extra, host_network, host_hosts, inputs.network_addresses) +
          inputs.network_peer_hosts,
      0644, Durability::kVolatile));
  KRILL_CHECK(write_file_atomic(dir + "/hostname", hostname + "\n", 0644, Durability::kVolatile));
  KRILL_CHECK(write_file_atomic(dir + "/resolv.conf",
                                resolv_conf_content(inputs.config, host_network, host_resolv), 0644,
                                Durability::kVolatile));
  return {};
}

}  // namespace krill::engine::spec_detail
