// `krill network` verbs (podman's and Docker's): create, ls, inspect, rm, prune, connect,
// disconnect — over the engine's network store (network/network_store.h) and its containers.
#include "cli/krill/cmd_network.h"

#include <cerrno>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>

#include "base/file_io.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/format_template.h"
#include "cli/krill/key_value_flags.h"
#include "network/container_network.h"
#include "network/network_config.h"

namespace krill::cli {
namespace {

using nlohmann::json;

// Exit status of `podman network rm` for a network in use.
constexpr int kExitNetworkInUse = 2;

json network_json(const network::NetworkConfig& config) {
  return json::parse(network::network_config_to_json(config), nullptr, false);
}

// ls rows: podman's names (ID, Name, Driver, Labels, ...) and Docker's table.
json network_row(const network::NetworkConfig& config, bool no_trunc) {
  json row = network_json(config);
  row["ID"] = no_trunc ? config.id : config.id.substr(0, 12);
  row["Name"] = config.name;
  row["Driver"] = config.driver;
  row["Scope"] = "local";
  row["Internal"] = config.internal;
  row["IPv6"] = config.ipv6_enabled;
  row["Labels"] = config.labels;
  return row;
}

Result<bool> network_matches(const network::NetworkConfig& config,
                             const std::vector<std::string>& filters) {
  for (const auto& filter : filters) {
    auto eq = filter.find('=');
    if (eq == std::string::npos) return fail("invalid filter \"" + filter + "\": want KEY=VALUE");
    std::string key = filter.substr(0, eq), value = filter.substr(eq + 1);
    bool match = false;
    if (key == "name") {
      try {
        match = std::regex_search(config.name, std::regex(value));
      } catch (const std::regex_error&) {
        return fail("invalid filter \"" + filter + "\": not a regular expression");
      }
    } else if (key == "id") {
      match = config.id.starts_with(value);
    } else if (key == "driver") {
      match = config.driver == value;
    } else if (key == "label" || key == "label!") {
      auto veq = value.find('=');
      std::string k = value.substr(0, veq);
      auto it = config.labels.find(k);
      match = it != config.labels.end() &&
              (veq == std::string::npos || it->second == value.substr(veq + 1));
      if (key == "label!") match = !match;
    } else {
      return fail("invalid filter \"" + key + "\": supported are name, id, driver, label, label!");
    }
    if (!match) return false;
  }
  return true;
}

bool confirmed(Context& ctx) {
  std::string answer;
  if (!std::getline(ctx.in, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes";
}

std::string short_ids(const std::vector<engine::ContainerRecord>& records) {
  std::string ids;
  for (const auto& r : records) ids += (ids.empty() ? "" : ", ") + r.id.substr(0, 12);
  return ids;
}

}  // namespace

Result<int> run_network_create(Context& ctx, const NetworkCreateFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto* store = KRILL_TRY(engine.networks());
  network::NetworkCreateOptions options;
  options.name = o.name;
  options.driver = o.driver;
  options.subnets = o.subnets;
  options.gateways = o.gateways;
  options.ip_ranges = o.ip_ranges;
  options.internal = o.internal;
  options.ipv6 = o.ipv6;
  options.interface_name = o.interface_name;
  options.labels = KRILL_TRY(parse_key_values(o.labels, "label"));
  options.options = KRILL_TRY(parse_key_values(o.options, "network option"));
  options.ignore_existing = o.ignore;
  auto created = KRILL_TRY(store->create(options));
  ctx.out << created.name << "\n";
  return 0;
}

Result<int> run_network_ls(Context& ctx, const NetworkLsFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto* store = KRILL_TRY(engine.networks());
  std::vector<json> rows;
  for (const auto& config : KRILL_TRY(store->list()))
    if (KRILL_TRY(network_matches(config, o.filters)))
      rows.push_back(network_row(config, o.no_trunc));
  if (o.quiet) {
    for (const auto& row : rows) ctx.out << row["Name"].get<std::string>() << "\n";
    return 0;
  }
  if (o.format == "json") {
    json array = json::array();
    for (const auto& row : rows) array.push_back(row);
    ctx.out << array.dump(4) << "\n";
    return 0;
  }
  std::string text = KRILL_TRY(
      render_rows(o.format, rows, "table {{.ID}}\t{{.Name}}\t{{.Driver}}", {{"ID", "NETWORK ID"}}));
  if (o.noheading && (o.format.empty() || o.format.starts_with("table"))) {
    auto nl = text.find('\n');
    text = nl == std::string::npos ? "" : text.substr(nl + 1);
  }
  ctx.out << text;
  return 0;
}

Result<int> run_network_inspect(Context& ctx, const NetworkInspectFlags& o) {
  if (o.names.empty()) return fail("provide one or more network names");
  auto engine = KRILL_TRY(open_engine(ctx));
  auto* store = KRILL_TRY(engine.networks());
  json found = json::array();
  std::vector<std::string> missing;
  for (const auto& name : o.names) {
    auto config = store->find(name);
    if (config) {
      found.push_back(network_json(*config));
    } else if (config.error().errno_value() == ENOENT) {
      missing.push_back(name);
    } else {
      return std::unexpected(std::move(config.error()));
    }
  }
  if (o.format.empty() || o.format == "json") {
    ctx.out << found.dump(4) << "\n";
  } else {
    for (const auto& value : found) ctx.out << KRILL_TRY(render_value(o.format, value));
  }
  if (missing.empty()) return 0;
  for (size_t i = 0; i + 1 < missing.size(); ++i)
    ctx.err << "Error: network " << missing[i] << ": unable to find network with name or ID "
            << missing[i] << ": network not found\n";
  return fail("network " + missing.back() + ": unable to find network with name or ID " +
              missing.back() + ": network not found");
}

Result<int> run_network_rm(Context& ctx, const NetworkRmFlags& o) {
  if (o.names.empty()) return fail("provide one or more network names");
  auto engine = KRILL_TRY(open_engine(ctx));
  auto* store = KRILL_TRY(engine.networks());
  int status = 0;
  auto raise = [&](int code) {
    if (code == kExitEngineError || status == 0 || (code == kExitNetworkInUse && status == 1))
      status = code;
  };
  for (const auto& name : o.names) {
    auto config = store->find(name);
    if (!config) {
      ctx.err << "Error: " << config.error().message() << "\n";
      raise(config.error().errno_value() == ENOENT ? kExitNotFound : kExitEngineError);
      continue;
    }
    auto users = engine.network_users(*config);
    if (!users) {
      ctx.err << "Error: " << users.error().message() << "\n";
      raise(kExitEngineError);
      continue;
    }
    if (!users->empty() && !o.force) {
      ctx.err << "Error: network " << config->name << " is being used by container(s) "
              << short_ids(*users) << ": use -f to remove them too\n";
      raise(kExitNetworkInUse);
      continue;
    }
    bool failed = false;
    for (const auto& user : *users) {
      auto removed = engine.remove(user.id, /*force=*/true, /*volumes=*/false);
      if (!removed && removed.error().errno_value() != ENOENT) {
        ctx.err << "Error: " << removed.error().message() << "\n";
        failed = true;
      }
    }
    if (failed) {
      raise(kExitEngineError);
      continue;
    }
    auto removed = engine.network_remove(*config);
    if (!removed) {
      ctx.err << "Error: " << removed.error().message() << "\n";
      raise(removed.error().errno_value() == EBUSY ? kExitNetworkInUse : kExitEngineError);
      continue;
    }
    ctx.out << config->name << "\n";
  }
  return status;
}

Result<std::vector<network::NetworkConfig>> unused_networks(
    engine::Engine& engine, const std::vector<std::string>& filters) {
  auto* store = KRILL_TRY(engine.networks());
  std::vector<network::NetworkConfig> unused;
  for (const auto& config : KRILL_TRY(store->list())) {
    if (config.name == store->defaults().default_network) continue;
    if (!KRILL_TRY(network_matches(config, filters))) continue;
    if (KRILL_TRY(engine.network_users(config)).empty()) unused.push_back(config);
  }
  return unused;
}

Result<std::vector<std::string>> remove_networks(
    engine::Engine& engine, const std::vector<network::NetworkConfig>& networks) {
  std::vector<std::string> removed;
  for (const auto& config : networks) {
    if (auto gone = engine.network_remove(config); !gone) {
      if (gone.error().errno_value() == EBUSY) continue;  // a container joined meanwhile
      return std::unexpected(std::move(gone.error()));
    }
    removed.push_back(config.name);
  }
  return removed;
}

Result<int> run_network_prune(Context& ctx, const NetworkPruneFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto unused = KRILL_TRY(unused_networks(engine, o.filters));
  if (!o.force) {
    ctx.out << "WARNING! This will remove all networks not used by at least one container. The "
               "following networks will be removed:\n";
    for (const auto& config : unused) ctx.out << config.name << "\n";
    ctx.out << "Are you sure you want to continue? [y/N] " << std::flush;
    if (!confirmed(ctx)) return 0;
  }
  for (const auto& name : KRILL_TRY(remove_networks(engine, unused))) ctx.out << name << "\n";
  return 0;
}

Result<int> run_network_connect(Context& ctx, const NetworkConnectFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  engine::NetworkRequest request;
  request.name = o.network;
  request.aliases = o.aliases;
  if (!o.ip.empty() && !o.ip6.empty())
    return fail("--ip and --ip6 together are not supported yet: give one address");
  request.ip = o.ip.empty() ? o.ip6 : o.ip;
  request.mac = o.mac_address;
  KRILL_CHECK(engine.network_connect(o.container, request));
  return 0;
}

Result<int> run_network_disconnect(Context& ctx, const NetworkDisconnectFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  KRILL_CHECK(engine.network_disconnect(o.container, o.network));
  return 0;
}

}  // namespace krill::cli
