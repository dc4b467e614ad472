// `krill network` verbs: create (prints the name), ls, inspect (JSON array / template), rm
// (exit 1 missing, 2 in use), prune, connect, disconnect. Errors returned are printed by
// krill_main as "Error: ..." with status 125.
#pragma once

#include "base/error.h"
#include "cli/krill/context.h"
#include "cli/krill/network_options.h"

namespace krill::cli {

Result<int> run_network_create(Context& ctx, const NetworkCreateFlags& o);
Result<int> run_network_ls(Context& ctx, const NetworkLsFlags& o);
Result<int> run_network_inspect(Context& ctx, const NetworkInspectFlags& o);
Result<int> run_network_rm(Context& ctx, const NetworkRmFlags& o);
Result<int> run_network_prune(Context& ctx, const NetworkPruneFlags& o);
Result<int> run_network_connect(Context& ctx, const NetworkConnectFlags& o);
Result<int> run_network_disconnect(Context& ctx, const NetworkDisconnectFlags& o);

}  // namespace krill::cli
