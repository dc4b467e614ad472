// Running one healthcheck and recording its result (what `krill healthcheck run` does, and so
// what krill-monitor triggers every interval). The probe and the clock are parameters, so the
// timing rules are tested without a container; the state file is changed under a lock file
// (many krill processes at once) and replaced atomically (readers need no lock).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/health.h"

namespace krill::engine {

// What a probe did. timed_out: it was killed when its timeout passed.
struct ProbeOutcome {
  int exit_code = 0;
  std::string output;  // stdout + stderr, at most kHealthOutputLimit bytes
  bool timed_out = false;
};
// Runs the probe with the given timeout (nanoseconds).
using ProbeRunner = std::function<Result<ProbeOutcome>(int64_t timeout_ns)>;
// Unix time in nanoseconds.
using HealthClock = std::function<int64_t()>;

// A container's health files: <userdata>/health.json and its lock.
struct HealthFiles {
  std::string state_path;
  std::string lock_path;
};

// The recorded state; nullopt when there is none (never started with a healthcheck).
Result<std::optional<HealthState>> read_health_state(const std::string& state_path);
// At a start: "starting" and no failing streak for the run that started at started_ns; the
// previous results stay in the log.
Result<void> reset_health_state(const HealthFiles& files, int64_t started_ns);
// The container starts without a healthcheck: the state goes.
Result<void> remove_health_state(const HealthFiles& files);

struct HealthCheckRun {
  HealthLogEntry result;
  HealthState state;     // after the result was applied
  bool recorded = true;  // false: the container restarted meanwhile; the result was dropped
  bool startup = false;  // the startup check ran (run_startup_check)
  StartupVerdict startup_verdict = StartupVerdict::kStillStarting;
};

// Runs `probe` once (timeout check.timeout_ns), makes the result Docker's (a timeout is exit
// code -1 with "Health check exceeded timeout (30s)"; a probe that could not run is -1 with
// its error) and applies it to the state of the container run that started at started_ns.
Result<HealthCheckRun> run_health_check(const HealthFiles& files, const HealthcheckRequest& check,
                                        int64_t started_ns, const ProbeRunner& probe,
                                        const HealthClock& clock);

// The same for the startup check: its timeout, and apply_startup_result instead (the verdict
// says whether it passed or the container is to be restarted).
Result<HealthCheckRun> run_startup_check(const HealthFiles& files,
                                         const StartupHealthcheckRequest& check, int64_t started_ns,
                                         const ProbeRunner& probe, const HealthClock& clock);

// The real probe: runs `argv` (argv[0] a path; e.g. `<runtime> exec --pid-file P ID cmd...`)
// with stdin /dev/null and stdout+stderr captured into one buffer (the first
// kHealthOutputLimit bytes kept). When timeout_ns passes, the process whose pid is in
// `pid_file` (the check inside the container) and argv's process are killed (SIGKILL).
Result<ProbeOutcome> run_probe_process(const std::vector<std::string>& argv, int64_t timeout_ns,
                                       const std::string& pid_file);

}  // namespace krill::engine
