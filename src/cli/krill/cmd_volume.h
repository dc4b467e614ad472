// `krill volume` verbs (podman's): create, ls, inspect, rm, prune.
//
// For command_line.cpp / krill_cli.h (registered by the engine's CLI):
//   Result<int> run_volume_create(Context&, const VolumeCreateOptions&);   prints the name
//   Result<int> run_volume_ls(Context&, const VolumeLsOptions&);           "DRIVER  VOLUME NAME"
//   Result<int> run_volume_inspect(Context&, const VolumeInspectOptions&); JSON array / template
//   Result<int> run_volume_rm(Context&, const VolumeRmOptions&);           exit 1 missing, 2 in use
//   Result<int> run_volume_prune(Context&, const VolumePruneOptions&);     prints removed names
// Errors returned are printed by krill_main as "Error: ..." with status 125.
#pragma once

#include "base/error.h"
#include "cli/krill/context.h"
#include "cli/krill/volume_options.h"

namespace krill::cli {

Result<int> run_volume_create(Context& ctx, const VolumeCreateOptions& o);
Result<int> run_volume_ls(Context& ctx, const VolumeLsOptions& o);
Result<int> run_volume_inspect(Context& ctx, const VolumeInspectOptions& o);
Result<int> run_volume_rm(Context& ctx, const VolumeRmOptions& o);
Result<int> run_volume_prune(Context& ctx, const VolumePruneOptions& o);

}  // namespace krill::cli
