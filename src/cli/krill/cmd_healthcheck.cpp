// `krill healthcheck run CONTAINER`: one healthcheck now. krill-monitor runs it every interval
// for a container with a healthcheck (engine/engine_health.cpp).
#include "cli/krill/cmd_healthcheck.h"

#include "cli/krill/cmd_container.h"
#include "engine/engine_health.h"

namespace krill::cli {

Result<int> run_healthcheck_run(Context& ctx, const HealthcheckRunFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto run = KRILL_TRY(engine::run_healthcheck(engine, o.container));
  if (run.result.exit_code == 0) return 0;
  ctx.out << engine::kHealthUnhealthy << "\n";
  return 1;
}

}  // namespace krill::cli
