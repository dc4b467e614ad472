// buildah's scripted builds over engine containers marked as working containers: `krill from
// IMAGE`, `krill run CTR -- CMD`, `krill copy`, `krill config`, `krill commit` (the docker verb),
// `krill mount` and `krill umount` (for any container).
#pragma once

#include <optional>

#include "base/error.h"
#include "cli/krill/container_options.h"
#include "cli/krill/context.h"

namespace krill::cli {

// `krill run CTR -- CMD...` when CTR is a working container: runs CMD in its root file system
// (the changes stay in the container). nullopt when `o` is a docker-style run.
Result<std::optional<int>> run_in_working_container(Context& ctx, const RunFlags& o);

}  // namespace krill::cli
