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

namespace {

// `krill VERB ID` in a process of its own (the --health-on-failure action, or the restart after
// a failed startup check): it stops the container whose monitor runs this check.
Result<void> spawn_container_verb(const Engine& engine, const std::string& verb,
                                  const std::string& id) {
  const EngineOptions& options = engine.options();
  std::vector<std::string> command = {options.krill_binary};
  command.insert(command.end(), options.exit_command_global_args.begin(),
                 options.exit_command_global_args.end());
  command.insert(command.end(), {verb, id});
  return spawn_detached(command);
}

}  // namespace

std::string startup_passed_marker(const Engine& engine, const std::string& id) {
  return engine.run_dir(id) + "/health-startup-passed";
}

Result<HealthCheckRun> run_healthcheck(Engine& engine, const std::string& name_or_id) {
  auto record = KRILL_TRY(engine.find(name_or_id));
  auto health = KRILL_TRY(healthcheck_of(engine, record));
  if (!health.check) return fail("container " + record.name + " has no defined healthcheck");
  if (record.status != ContainerStatus::kRunning)
    return fail("container " + record.name + " is not running");
  const HealthFiles files = health_files(engine, record.id);
  // Started before its state was written (or by an older krill): begin one now.
  auto state = read_health_state(files.state_path);
  if (!state || !*state) KRILL_CHECK(reset_health_state(files, record.started_ns));
  // Until the startup check has passed, it runs instead of the regular one (podman's rule).
  const auto startup = effective_startup_healthcheck(record.config);
  const bool in_startup = startup && !(state && *state && (*state)->startup_passed);
  auto process = KRILL_TRY(in_startup ? healthcheck_process_args(*startup, health.shell)
                                      : healthcheck_process_args(*health.check, health.shell));

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
  HealthClock clock = [] { return now_ns(); };

  if (in_startup) {
    auto run = KRILL_TRY(run_startup_check(files, *startup, record.started_ns, probe, clock));
    if (!run.recorded) return run;
    if (run.startup_verdict == StartupVerdict::kPassed) {
      // krill-monitor switches to the regular check's interval when it sees this file.
      KRILL_CHECK(write_file_atomic(startup_passed_marker(engine, record.id), "", 0600,
                                    Durability::kVolatile));
    } else if (run.startup_verdict == StartupVerdict::kRestart) {
      KRILL_CHECK_CTX(spawn_container_verb(engine, "restart", record.id),
                      "--health-startup-retries");
    }
    return run;
  }

  auto run = KRILL_TRY(run_health_check(files, *health.check, record.started_ns, probe, clock));
  const std::string action = health_on_failure(record.config);
  if (run.recorded && run.result.exit_code != 0 && run.state.status == kHealthUnhealthy &&
      (action == "kill" || action == "stop" || action == "restart")) {
    // podman's --health-on-failure, by the verb of the same name.
    KRILL_CHECK_CTX(spawn_container_verb(engine, action, record.id),
                    "--health-on-failure " + action);
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
  const std::string marker = startup_passed_marker(engine, record.id);
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + marker);
  if (auto startup = effective_startup_healthcheck(record.config)) {
    config.startup_interval_ns = startup->interval_ns;
    config.startup_timeout_ns = startup->timeout_ns;
    config.startup_passed_path = marker;
  }
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
