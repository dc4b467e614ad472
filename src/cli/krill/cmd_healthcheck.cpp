// `krill healthcheck run CONTAINER` (podman's verb): one healthcheck now. krill-monitor runs it
// every interval for a container with a healthcheck (engine/engine_health.cpp).
#include <memory>

#include "cli/krill/cmd_container.h"
#include "cli/krill/krill_cli.h"

namespace krill::cli {
namespace {

struct HealthcheckRunFlags {
  std::string container;
};

// Exit status as podman's: 0 the check passed, 1 it failed ("unhealthy" on stdout), 125 it
// could not run (no such container, no healthcheck, not running).
Result<int> run_healthcheck_run(Context& ctx, const HealthcheckRunFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto run = KRILL_TRY(engine.run_healthcheck(o.container));
  if (run.result.exit_code == 0) return 0;
  ctx.out << engine::kHealthUnhealthy << "\n";
  return 1;
}

}  // namespace

void KrillCommandLine::register_healthcheck_commands() {
  CLI::App* group = add_group("healthcheck", "Run containers' healthchecks");
  auto flags = std::make_shared<HealthcheckRunFlags>();
  auto* c = add(*group, "run", "Run a container's healthcheck once now and record the result",
                "CONTAINER",
                "krill run -d --name web --health-cmd 'wget -q -O /dev/null localhost' "
                "--health-interval 10s busybox httpd -f\n"
                "  krill healthcheck run web && echo healthy\n"
                "Exit status: 0 healthy, 1 unhealthy (prints \"unhealthy\"), 125 the check could "
                "not run (no such container, no healthcheck defined, container not running).",
                [flags](Context& ctx) { return run_healthcheck_run(ctx, *flags); });
  c->add_option("CONTAINER", flags->container, "name or id")->required();
}

}  // namespace krill::cli
