// `krill healthcheck run CONTAINER` (podman's verb), cmd_healthcheck.cpp; registered with the
// container commands (cmd_container_line.cpp).
#pragma once

#include <string>

#include "base/error.h"
#include "cli/krill/context.h"

namespace krill::cli {

struct HealthcheckRunFlags {
  std::string container;
};

// Exit status as podman's: 0 the check passed, 1 it failed ("unhealthy" on stdout), 125 it
// could not run (no such container, no healthcheck, not running).
Result<int> run_healthcheck_run(Context& ctx, const HealthcheckRunFlags& o);

}  // namespace krill::cli
