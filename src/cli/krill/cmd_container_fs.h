// The container filesystem verbs: cp, diff, export, commit, stats, port (Docker/podman
// semantics). A missing container is an error (exit 125).
#pragma once

#include "base/error.h"
#include "cli/krill/container_options.h"
#include "cli/krill/context.h"
#include "cli/krill/options.h"

namespace krill::cli {

Result<int> run_container_cp(Context& ctx, const CpFlags& o);
Result<int> run_container_diff(Context& ctx, const DiffFlags& o);
Result<int> run_container_export(Context& ctx, const ExportOptions& o);
Result<int> run_container_commit(Context& ctx, const CommitFlags& o);
Result<int> run_container_stats(Context& ctx, const StatsFlags& o);
Result<int> run_container_port(Context& ctx, const PortFlags& o);

// "CTR:/path" -> {"CTR", "/path"}; a host path (no ':' before the first '/', or starting with
// "/" or ".") -> nullopt. Docker's rule.
struct ContainerPath {
  std::string container;
  std::string path;
};
std::optional<ContainerPath> split_container_path(const std::string& arg);

}  // namespace krill::cli
