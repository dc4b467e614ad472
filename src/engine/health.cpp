#include "engine/health.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace krill::engine {

using nlohmann::json;

std::optional<HealthcheckRequest> merged_healthcheck(
    const ContainerConfig& config, const std::optional<image::HealthConfig>& image_health) {
  if (config.no_healthcheck) return HealthcheckRequest{{"NONE"}, 0, 0, 0, 0};
  std::optional<HealthcheckRequest> merged;
  if (image_health) {
    merged = HealthcheckRequest{image_health->test, image_health->interval, image_health->timeout,
                                image_health->start_period, image_health->retries};
  }
  if (!config.healthcheck) return merged;
  const HealthcheckRequest& flags = *config.healthcheck;
  if (!merged) return flags;
  if (!flags.test.empty()) merged->test = flags.test;
  if (flags.interval_ns != 0) merged->interval_ns = flags.interval_ns;
  if (flags.timeout_ns != 0) merged->timeout_ns = flags.timeout_ns;
  if (flags.start_period_ns != 0) merged->start_period_ns = flags.start_period_ns;
  if (flags.retries != 0) merged->retries = flags.retries;
  return merged;
}

std::optional<HealthcheckRequest> effective_healthcheck(
    const ContainerConfig& config, const std::optional<image::HealthConfig>& image_health) {
  auto check = merged_healthcheck(config, image_health);
  if (!check || check->test.empty() || check->test.front() == "NONE") return std::nullopt;
  if (check->test.size() < 2) return std::nullopt;  // CMD / CMD-SHELL without a command
  if (check->interval_ns <= 0) check->interval_ns = kDefaultHealthIntervalNs;
  if (check->timeout_ns <= 0) check->timeout_ns = kDefaultHealthTimeoutNs;
  if (check->start_period_ns < 0) check->start_period_ns = 0;
  if (check->retries <= 0) check->retries = kDefaultHealthRetries;
  return check;
}

std::optional<StartupHealthcheckRequest> effective_startup_healthcheck(
    const ContainerConfig& config) {
  if (!config.startup_healthcheck || config.startup_healthcheck->test.size() < 2)
    return std::nullopt;
  StartupHealthcheckRequest check = *config.startup_healthcheck;
  if (check.interval_ns <= 0) check.interval_ns = kDefaultHealthIntervalNs;
  if (check.timeout_ns <= 0) check.timeout_ns = kDefaultHealthTimeoutNs;
  if (check.retries < 0) check.retries = 0;
  if (check.successes < 0) check.successes = 0;
  return check;
}

namespace {

Result<std::vector<std::string>> process_args(const std::vector<std::string>& test,
                                              const std::vector<std::string>& shell) {
  if (test.size() < 2) return fail("the healthcheck has no command");
  const std::string& kind = test.front();
  if (kind == "CMD") return std::vector<std::string>(test.begin() + 1, test.end());
  if (kind == "CMD-SHELL") {
    std::vector<std::string> args =
        shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : shell;
    std::string command;
    for (size_t i = 1; i < test.size(); ++i) command += (i == 1 ? "" : " ") + test[i];
    args.push_back(command);
    return args;
  }
  return fail("unknown healthcheck type \"" + kind + "\" (want CMD, CMD-SHELL or NONE)");
}

}  // namespace

Result<std::vector<std::string>> healthcheck_process_args(const HealthcheckRequest& check,
                                                          const std::vector<std::string>& shell) {
  return process_args(check.test, shell);
}

Result<std::vector<std::string>> healthcheck_process_args(const StartupHealthcheckRequest& check,
                                                          const std::vector<std::string>& shell) {
  return process_args(check.test, shell);
}

std::string go_duration_text(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  // A value and its fraction with trailing zeros dropped: 1500000 ns / 1000000 = "1.5".
  auto fixed = [](uint64_t value, uint64_t unit) {
    std::string text = std::to_string(value / unit);
    uint64_t rest = value % unit;
    if (rest == 0) return text;
    std::string digits = std::to_string(unit + rest).substr(1);  // zero-padded
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return text + "." + digits;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fixed(u, 1000) + "µs";
  if (u < 1000000000) return sign + fixed(u, 1000000) + "ms";
  std::string text;
  const uint64_t hours = u / 3600000000000ULL;
  u %= 3600000000000ULL;
  const uint64_t minutes = u / 60000000000ULL;
  u %= 60000000000ULL;
  if (hours > 0) text += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) text += std::to_string(minutes) + "m";
  return sign + text + fixed(u, 1000000000) + "s";
}

std::string health_state_to_json(const HealthState& state) {
  json log = json::array();
  for (const auto& entry : state.log)
    log.push_back({{"start_ns", entry.start_ns},
                   {"end_ns", entry.end_ns},
                   {"exit_code", entry.exit_code},
                   {"output", entry.output}});
  json value = {{"status", state.status},
                {"failing_streak", state.failing_streak},
                {"container_started_ns", state.container_started_ns},
                {"startup_passed", state.startup_passed},
                {"startup_successes", state.startup_successes},
                {"startup_failures", state.startup_failures},
                {"log", log}};
  // Output is the container's: replace invalid UTF-8 rather than fail to record it.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<HealthState> health_state_from_json(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return fail("parse health state: invalid JSON");
  HealthState state;
  try {
    state.status = value.value("status", std::string(kHealthStarting));
    state.failing_streak = value.value("failing_streak", 0);
    state.container_started_ns = value.value("container_started_ns", int64_t{0});
    state.startup_passed = value.value("startup_passed", false);
    state.startup_successes = value.value("startup_successes", 0);
    state.startup_failures = value.value("startup_failures", 0);
    if (auto it = value.find("log"); it != value.end() && it->is_array()) {
      for (const auto& e : *it) {
        HealthLogEntry entry;
        entry.start_ns = e.value("start_ns", int64_t{0});
        entry.end_ns = e.value("end_ns", int64_t{0});
        entry.exit_code = e.value("exit_code", 0);
        entry.output = e.value("output", std::string());
        state.log.push_back(std::move(entry));
      }
    }
  } catch (const json::exception& e) {
    return fail(std::string("parse health state: ") + e.what());
  }
  if (state.status != kHealthStarting && state.status != kHealthHealthy &&
      state.status != kHealthUnhealthy)
    return fail("parse health state: unknown status \"" + state.status + "\"");
  return state;
}

HealthState health_state_for_start(const HealthState& previous, int64_t container_started_ns) {
  HealthState state;
  state.log = previous.log;
  state.container_started_ns = container_started_ns;
  return state;
}

namespace {

// The log keeps the last kHealthLogEntries results, each output capped.
void append_log(HealthState& state, const HealthLogEntry& result) {
  state.log.push_back(result);
  if (state.log.back().output.size() > kHealthOutputLimit)
    state.log.back().output.resize(kHealthOutputLimit);
  while (state.log.size() > kHealthLogEntries) state.log.erase(state.log.begin());
}

}  // namespace

void apply_health_result(HealthState& state, const HealthLogEntry& result,
                         const HealthcheckRequest& check) {
  if (result.exit_code == 0) {
    state.failing_streak = 0;
    state.status = kHealthHealthy;
  } else {
    bool counts = true;
    if (state.status == kHealthStarting) {
      const int64_t since_start = result.start_ns - state.container_started_ns;
      if (since_start < check.start_period_ns) counts = false;
    }
    if (counts) {
      ++state.failing_streak;
      const int retries = check.retries > 0 ? check.retries : kDefaultHealthRetries;
      if (state.failing_streak >= retries) state.status = kHealthUnhealthy;
    }
  }
  append_log(state, result);
}

StartupVerdict apply_startup_result(HealthState& state, const HealthLogEntry& result,
                                    const StartupHealthcheckRequest& check) {
  append_log(state, result);
  if (state.startup_passed) return StartupVerdict::kPassed;
  if (result.exit_code == 0) {
    ++state.startup_successes;
    if (state.startup_successes >= std::max(check.successes, 1)) {
      state.startup_passed = true;
      return StartupVerdict::kPassed;
    }
    return StartupVerdict::kStillStarting;
  }
  ++state.startup_failures;
  if (check.retries > 0 && state.startup_failures >= check.retries) return StartupVerdict::kRestart;
  return StartupVerdict::kStillStarting;
}

}  // namespace krill::engine
