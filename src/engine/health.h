// Container healthchecks as Docker defines them: which check a container runs (its --health-*
// flags merged over the image's HEALTHCHECK), the state a check's result moves it to
// (starting → healthy | unhealthy, the failing streak, the last five results) and that state's
// JSON file. Pure logic: the clock and the probe are the caller's (engine/health_check.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/container_config.h"
#include "image/manifest.h"

namespace krill::engine {

// Docker's defaults for a zero interval, timeout or retries.
inline constexpr int64_t kDefaultHealthIntervalNs = 30'000'000'000;
inline constexpr int64_t kDefaultHealthTimeoutNs = 30'000'000'000;
inline constexpr int kDefaultHealthRetries = 3;
// Docker keeps this many results and this much of each result's output.
inline constexpr size_t kHealthLogEntries = 5;
inline constexpr size_t kHealthOutputLimit = 4096;

inline constexpr const char* kHealthStarting = "starting";
inline constexpr const char* kHealthHealthy = "healthy";
inline constexpr const char* kHealthUnhealthy = "unhealthy";

// Docker's merge (daemon/commit.go): --no-healthcheck is Test ["NONE"]; otherwise each field the
// flags left empty or zero comes from the image's HEALTHCHECK. nullopt: neither defines one.
// This is what inspect shows as Config.Healthcheck.
std::optional<HealthcheckRequest> merged_healthcheck(
    const ContainerConfig& config, const std::optional<image::HealthConfig>& image_health);

// The check to run, with Docker's defaults filled in; nullopt when there is none or it is
// disabled (Test ["NONE"], or no command).
std::optional<HealthcheckRequest> effective_healthcheck(
    const ContainerConfig& config, const std::optional<image::HealthConfig>& image_health);

// The startup check to run (podman's --health-startup-*), with the defaults filled in (30 s
// interval and timeout); nullopt when there is none.
std::optional<StartupHealthcheckRequest> effective_startup_healthcheck(
    const ContainerConfig& config);

// The process the check runs in the container: CMD's arguments, or CMD-SHELL's text through
// `shell` (the image's SHELL; /bin/sh -c when empty). Error for an unknown test kind.
Result<std::vector<std::string>> healthcheck_process_args(const HealthcheckRequest& check,
                                                          const std::vector<std::string>& shell);
Result<std::vector<std::string>> healthcheck_process_args(const StartupHealthcheckRequest& check,
                                                          const std::vector<std::string>& shell);

// A duration as Go prints time.Duration: "30s", "500ms", "1m30s", "1.5s".
std::string go_duration_text(int64_t ns);

// One check's result (Docker's HealthcheckResult). exit_code -1: the check could not run or
// exceeded its timeout.
struct HealthLogEntry {
  int64_t start_ns = 0;  // Unix time
  int64_t end_ns = 0;
  int exit_code = 0;
  std::string output;  // stdout and stderr, at most kHealthOutputLimit bytes
  friend bool operator==(const HealthLogEntry&, const HealthLogEntry&) = default;
};

struct HealthState {
  std::string status = kHealthStarting;
  int failing_streak = 0;
  std::vector<HealthLogEntry> log;  // oldest first, the last kHealthLogEntries
  // The container start this state belongs to (ContainerRecord::started_ns): a result of a
  // check that began before a restart is not applied to the new run.
  int64_t container_started_ns = 0;
  // The startup check of this run (when the container has one): passed, or its counts so far.
  bool startup_passed = false;
  int startup_successes = 0;
  int startup_failures = 0;
  friend bool operator==(const HealthState&, const HealthState&) = default;
};

std::string health_state_to_json(const HealthState& state);
Result<HealthState> health_state_from_json(std::string_view text);

// The state a container (re)starts with: starting, no failing streak; the log is kept.
HealthState health_state_for_start(const HealthState& previous, int64_t container_started_ns);

// Docker's handleProbeResult: exit code 0 makes the container healthy and ends the start
// period; any other result counts toward `retries` consecutive failures (then unhealthy),
// except while the container is still starting and the check began within the start period.
// The log keeps the last kHealthLogEntries results.
void apply_health_result(HealthState& state, const HealthLogEntry& result,
                         const HealthcheckRequest& check);

// What a startup check's result means (podman's startup healthcheck): the status stays
// "starting" and the result is logged; `successes` successes (at least one) pass the startup
// check, after which the regular check runs; with `retries` > 0 that many failures ask for a
// restart of the container.
enum class StartupVerdict { kStillStarting, kPassed, kRestart };
StartupVerdict apply_startup_result(HealthState& state, const HealthLogEntry& result,
                                    const StartupHealthcheckRequest& check);

}  // namespace krill::engine
