// `krill network` verbs: create (prints the name), ls, inspect (JSON array / template), rm
// (exit 1 missing, 2 in use), prune, connect, disconnect. Errors returned are printed by
// krill_main as "Error: ..." with status 125.
#pragma once

#include "base/error.h"
#include "cli/krill/context.h"
#include "cli/krill/network_options.h"
#include "engine/engine.h"
#include "network/network_config.h"

namespace krill::cli {

Result<int> run_network_create(Context& ctx, const NetworkCreateFlags& o);
Result<int> run_network_ls(Context& ctx, const NetworkLsFlags& o);
Result<int> run_network_inspect(Context& ctx, const NetworkInspectFlags& o);
Result<int> run_network_rm(Context& ctx, const NetworkRmFlags& o);
Result<int> run_network_prune(Context& ctx, const NetworkPruneFlags& o);
// Networks no container uses (never the default one), matching `filters`; and their removal
// (the names removed; one a container joined meanwhile stays).
Result<std::vector<network::NetworkConfig>> unused_networks(
    engine::Engine& engine, const std::vector<std::string>& filters);
Result<std::vector<std::string>> remove_networks(
    engine::Engine& engine, const std::vector<network::NetworkConfig>& networks);
Result<int> run_network_connect(Context& ctx, const NetworkConnectFlags& o);
Result<int> run_network_disconnect(Context& ctx, const NetworkDisconnectFlags& o);

}  // namespace krill::cli
