// Engine: healthchecks. krill-monitor runs `krill healthcheck run ID` every interval (see
// docs/architecture.md); that command runs the check through the runtime's exec and records the
// result in <userdata>/health.json (engine/health_check.h).
#include "engine/engine_health.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/file_io.h"
#include "engine/engine_internal.h"
#include "monitor/health_config.h"

namespace krill::engine {
namespace {

bool is_live(ContainerStatus status) {
  return status == ContainerStatus::kRunning || status == ContainerStatus::kPaused ||
         status == ContainerStatus::kStopping;
}

// Starts argv (argv[0] a path) in a session of its own with no stdio and does not wait for it:
// it must outlive this process, which the monitor kills when the container exits.
Result<void> spawn_detached(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t middle = ::fork();
  if (middle < 0) return fail_errno("fork for " + argv[0]);
  if (middle == 0) {
    ::setsid();
    const pid_t child = ::fork();
    if (child != 0) ::_exit(child < 0 ? 1 : 0);
    const int null_fd = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail("fork for " + argv[0] + " failed");
  return {};
}

}  // namespace

std::string health_on_failure(const ContainerConfig& config) {
  auto it = config.annotations.find(kHealthOnFailureAnnotation);
  return it == config.annotations.end() || it->second.empty() ? "none" : it->second;
}

HealthFiles health_files(const Engine& engine, const std::string& id) {
  const std::string userdata = engine.userdata_dir(id);
  return HealthFiles{userdata + "/health.json", userdata + "/health.lock"};
}

Result<ContainerHealthcheck> healthcheck_of(Engine& engine, const ContainerRecord& record) {
  ContainerHealthcheck out;
  // A container whose image is gone keeps what its flags say.
  auto image_config = image_container_config(engine.images(), record.config.image_id);
  std::optional<image::HealthConfig> image_health;
  if (image_config) {
    image_health = image_config->healthcheck;
    out.shell = image_config->shell;
  }
  out.check = effective_healthcheck(record.config, image_health);
  return out;
}

std::optional<HealthState> container_health(const Engine& engine, const ContainerRecord& record) {
  auto state = read_health_state(health_files(engine, record.id).state_path);
  if (!state || !*state) return std::nullopt;
  // Docker reports a container whose checks stopped with it as unhealthy.
  if (!is_live(record.status)) (*state)->status = kHealthUnhealthy;
  return **state;
}

Result<HealthCheckRun> run_healthcheck(Engine& engine, const std::string& name_or_id) {
  auto record = KRILL_TRY(engine.find(name_or_id));
  auto health = KRILL_TRY(healthcheck_of(engine, record));
  if (!health.check) return fail("container " + record.name + " has no defined healthcheck");
  if (record.status != ContainerStatus::kRunning)
    return fail("container " + record.name + " is not running");
  auto process = KRILL_TRY(healthcheck_process_args(*health.check, health.shell));
  const HealthFiles files = health_files(engine, record.id);
  // Started before its state was written (or by an older krill): begin one now.
  if (auto state = read_health_state(files.state_path); !state || !*state)
    KRILL_CHECK(reset_health_state(files, record.started_ns));

  RuntimeBinary runtime = engine.runtime_for(record.config);
  if (runtime.path.find('/') == std::string::npos)
    return fail("OCI runtime \"" + runtime.path + "\" not found in $PATH");
  const std::string pid_file =
      engine.run_dir(record.id) + "/health-" + std::to_string(::getpid()) + ".pid";
  std::vector<std::string> argv = {runtime.path, "--root", runtime.root, "exec",
                                   "--pid-file", pid_file, record.id};
  argv.insert(argv.end(), process.begin(), process.end());
  ProbeRunner probe = [&](int64_t timeout_ns) {
    return run_probe_process(argv, timeout_ns, pid_file);
  };
  auto run = KRILL_TRY(
      run_health_check(files, *health.check, record.started_ns, probe, [] { return now_ns(); }));
  const std::string action = health_on_failure(record.config);
  if (run.recorded && run.result.exit_code != 0 && run.state.status == kHealthUnhealthy &&
      (action == "kill" || action == "stop" || action == "restart")) {
    // podman's --health-on-failure, by the verb of the same name in a process of its own.
    const EngineOptions& options = engine.options();
    std::vector<std::string> command = {options.krill_binary};
    command.insert(command.end(), options.exit_command_global_args.begin(),
                   options.exit_command_global_args.end());
    command.insert(command.end(), {action, record.id});
    KRILL_CHECK_CTX(spawn_detached(command), "--health-on-failure " + action);
  }
  return run;
}

Result<bool> prepare_health(const Engine& engine, const ContainerRecord& record,
                            const image::ContainerConfig& image) {
  auto check = effective_healthcheck(record.config, image.healthcheck);
  if (!check) return false;
  monitor::HealthMonitorConfig config;
  config.interval_ns = check->interval_ns;
  config.timeout_ns = check->timeout_ns;
  const EngineOptions& options = engine.options();
  config.command.push_back(options.krill_binary);
  for (const auto& arg : options.exit_command_global_args) config.command.push_back(arg);
  for (const char* arg : {"healthcheck", "run"}) config.command.push_back(arg);
  config.command.push_back(record.id);
  KRILL_CHECK(write_file_atomic(engine.run_dir(record.id) + "/healthcheck.json",
                                monitor::health_monitor_config_to_json(config), 0600,
                                Durability::kVolatile));
  return true;
}

void reset_health(const Engine& engine, const ContainerRecord& record, bool has_healthcheck) {
  const HealthFiles files = health_files(engine, record.id);
  if (has_healthcheck)
    (void)reset_health_state(files, record.started_ns);
  else
    (void)remove_health_state(files);
}

}  // namespace krill::engine
