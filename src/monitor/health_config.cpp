#include "monitor/health_config.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/file_io.h"

namespace krill::monitor {

using nlohmann::json;

std::string health_monitor_config_to_json(const HealthMonitorConfig& config) {
  json value = {{"interval_ns", config.interval_ns},
                {"timeout_ns", config.timeout_ns},
                {"command", config.command}};
  if (!config.startup_passed_path.empty()) {
    value["startup_interval_ns"] = config.startup_interval_ns;
    value["startup_timeout_ns"] = config.startup_timeout_ns;
    value["startup_passed_path"] = config.startup_passed_path;
  }
  return value.dump();
}

Result<HealthMonitorConfig> health_monitor_config_from_json(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object())
    return fail("parse the healthcheck config: not a JSON object");
  HealthMonitorConfig config;
  try {
    config.interval_ns = value.value("interval_ns", int64_t{0});
    config.timeout_ns = value.value("timeout_ns", int64_t{0});
    config.command = value.value("command", std::vector<std::string>{});
    config.startup_interval_ns = value.value("startup_interval_ns", int64_t{0});
    config.startup_timeout_ns = value.value("startup_timeout_ns", int64_t{0});
    config.startup_passed_path = value.value("startup_passed_path", std::string());
  } catch (const json::exception&) {
    return fail("parse the healthcheck config: a member has the wrong type");
  }
  if (config.interval_ns <= 0) return fail("parse the healthcheck config: no interval");
  if (config.command.empty()) return fail("parse the healthcheck config: no command");
  if (!config.startup_passed_path.empty() && config.startup_interval_ns <= 0)
    return fail("parse the healthcheck config: a startup check without an interval");
  return config;
}

Result<std::optional<HealthMonitorConfig>> read_health_monitor_config(const std::string& run_dir) {
  const std::string path = run_dir + "/healthcheck.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().errno_value() == ENOENT) return std::optional<HealthMonitorConfig>();
    return std::unexpected(text.error());
  }
  auto config = health_monitor_config_from_json(*text);
  if (!config) return std::unexpected(config.error().context(path));
  return std::optional<HealthMonitorConfig>(std::move(*config));
}

}  // namespace krill::monitor
