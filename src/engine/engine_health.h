// Healthchecks over the engine (engine_health.cpp): which check a container runs, its recorded
// health, one check run now (`krill healthcheck run`), and what a start sets up for
// krill-monitor. Free functions over Engine's public interface.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/health_check.h"

namespace krill::engine {

// podman's --health-on-failure (none | kill | restart | stop), kept as this annotation.
inline constexpr const char* kHealthOnFailureAnnotation = "io.krill.health-on-failure";
// The container's action ("none" when unset).
std::string health_on_failure(const ContainerConfig& config);

// A container's healthcheck: flags over the image's HEALTHCHECK with Docker's defaults (nullopt:
// none or disabled), and the image's SHELL for CMD-SHELL.
struct ContainerHealthcheck {
  std::optional<HealthcheckRequest> check;
  std::vector<std::string> shell;
};
Result<ContainerHealthcheck> healthcheck_of(Engine& engine, const ContainerRecord& record);

// <userdata>/health.json and its lock.
HealthFiles health_files(const Engine& engine, const std::string& id);

// The recorded health (nullopt: no check ever ran); "unhealthy" for a container that is not
// running any more, as Docker reports it.
std::optional<HealthState> container_health(const Engine& engine, const ContainerRecord& record);

// <run_dir>/health-startup-passed: written once the startup check has passed (krill-monitor then
// runs the regular check at its own interval); removed at each start.
std::string startup_passed_marker(const Engine& engine, const std::string& id);

// `healthcheck run`: one check now (the startup check until it has passed, then the regular
// one), its result recorded, then the --health-on-failure action
// when the container became unhealthy. Errors: "container x has no defined healthcheck",
// "container x is not running".
Result<HealthCheckRun> run_healthcheck(Engine& engine, const std::string& name_or_id);

// At start, before krill-monitor is launched: <run_dir>/healthcheck.json for the monitor
// (monitor/health_config.h) when the container has a healthcheck. Returns whether it has one.
Result<bool> prepare_health(const Engine& engine, const ContainerRecord& record,
                            const image::ContainerConfig& image);
// Once it runs: the health state reset to starting (or removed when it has no healthcheck).
void reset_health(const Engine& engine, const ContainerRecord& record, bool has_healthcheck);

}  // namespace krill::engine
