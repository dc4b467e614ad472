// Engine: healthchecks. krill-monitor runs `krill healthcheck run ID` every interval (see
// docs/architecture.md); that command runs the check through the runtime's exec and records the
// result in <userdata>/health.json (engine/health_check.h).
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/health_check.h"

namespace krill::engine {
namespace {

bool is_live(ContainerStatus status) {
  return status == ContainerStatus::kRunning || status == ContainerStatus::kPaused ||
         status == ContainerStatus::kStopping;
}

}  // namespace

HealthFiles Engine::health_files(const std::string& id) const {
  return HealthFiles{userdata_dir(id) + "/health.json", userdata_dir(id) + "/health.lock"};
}

Result<ContainerHealthcheck> Engine::healthcheck_of(const ContainerRecord& record) {
  ContainerHealthcheck out;
  // A container whose image is gone keeps what its flags say.
  auto image_config = image_container_config(*images_, record.config.image_id);
  std::optional<image::HealthConfig> image_health;
  if (image_config) {
    image_health = image_config->healthcheck;
    out.shell = image_config->shell;
  }
  out.check = effective_healthcheck(record.config, image_health);
  return out;
}

std::optional<HealthState> Engine::health(const ContainerRecord& record) const {
  auto state = read_health_state(health_files(record.id).state_path);
  if (!state || !*state) return std::nullopt;
  // Docker reports a container whose checks stopped with it as unhealthy.
  if (!is_live(record.status)) (*state)->status = kHealthUnhealthy;
  return **state;
}

Result<HealthCheckRun> Engine::run_healthcheck(const std::string& name_or_id) {
  auto record = KRILL_TRY(find(name_or_id));
  auto health = KRILL_TRY(healthcheck_of(record));
  if (!health.check) return fail("container " + record.name + " has no defined healthcheck");
  if (record.status != ContainerStatus::kRunning)
    return fail("container " + record.name + " is not running");
  auto process = KRILL_TRY(healthcheck_process_args(*health.check, health.shell));
  const HealthFiles files = health_files(record.id);
  // Started before its state was written (or by an older krill): begin one now.
  if (auto state = read_health_state(files.state_path); !state || !*state)
    KRILL_CHECK(reset_health_state(files, record.started_ns));

  RuntimeBinary runtime = runtime_for(record.config);
  if (runtime.path.find('/') == std::string::npos)
    return fail("OCI runtime \"" + runtime.path + "\" not found in $PATH");
  const std::string pid_file = run_dir(record.id) + "/health-" + std::to_string(::getpid()) + ".pid";
  std::vector<std::string> argv = {runtime.path, "--root",   runtime.root, "exec",
                                   "--pid-file", pid_file, record.id};
  argv.insert(argv.end(), process.begin(), process.end());
  ProbeRunner probe = [&](int64_t timeout_ns) {
    return run_probe_process(argv, timeout_ns, pid_file);
  };
  return run_health_check(files, *health.check, record.started_ns, probe, [] { return now_ns(); });
}

void Engine::prepare_health(const ContainerRecord& record, const image::ContainerConfig& image,
                            monitor::MonitorConfig& monitor_config) const {
  auto check = effective_healthcheck(record.config, image.healthcheck);
  if (!check) return;
  monitor_config.health_interval_ns = check->interval_ns;
  monitor_config.health_timeout_ns = check->timeout_ns;
  monitor_config.health_command.push_back(options_.krill_binary);
  for (const auto& arg : options_.exit_command_global_args)
    monitor_config.health_command.push_back(arg);
  for (const char* arg : {"healthcheck", "run"}) monitor_config.health_command.push_back(arg);
  monitor_config.health_command.push_back(record.id);
}

void Engine::reset_health(const ContainerRecord& record, bool has_healthcheck) const {
  const HealthFiles files = health_files(record.id);
  if (has_healthcheck)
    (void)reset_health_state(files, record.started_ns);
  else
    (void)remove_health_state(files);
}

}  // namespace krill::engine
