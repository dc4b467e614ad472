// Engine::wait: the conditions of `wait --condition` (podman's and Docker's).
#include <chrono>
#include <thread>

#include "engine/engine_internal.h"

namespace krill::engine {
namespace {

// What the wait has seen so far.
struct Progress {
  int64_t finished_ns_at_start = 0;
  std::optional<int> last_exit;  // from the monitor's exit record, for a container --rm took
};

// Whether `condition` holds for `record` (nullopt: the container is gone).
bool holds(WaitCondition condition, const std::optional<ContainerRecord>& record,
           const Progress& progress) {
  switch (condition) {
    case WaitCondition::kStopped:
      // Docker waits for a created container to run and exit; one whose start failed is done.
      return !record || (!is_live(record->status) &&
                         !(record->status == ContainerStatus::kCreated && record->error.empty()));
    case WaitCondition::kNotRunning:
      return !record || !is_live(record->status);
    case WaitCondition::kNextExit:
      return !record || record->finished_ns != progress.finished_ns_at_start;
    case WaitCondition::kRemoved:
      return !record;
    case WaitCondition::kCreated:
      return record && record->status == ContainerStatus::kCreated;
    case WaitCondition::kRunning:
      return record && record->status == ContainerStatus::kRunning;
    case WaitCondition::kPaused:
      return record && record->status == ContainerStatus::kPaused;
    case WaitCondition::kStopping:
      return record && record->status == ContainerStatus::kStopping;
    case WaitCondition::kRemoving:
      return !record || record->status == ContainerStatus::kRemoving;
  }
  return false;
}

}  // namespace

Result<WaitCondition> parse_wait_condition(std::string_view name) {
  if (name == "stopped" || name == "exited") return WaitCondition::kStopped;
  if (name == "not-running") return WaitCondition::kNotRunning;
  if (name == "next-exit") return WaitCondition::kNextExit;
  if (name == "removed") return WaitCondition::kRemoved;
  if (name == "created" || name == "configured") return WaitCondition::kCreated;
  if (name == "running") return WaitCondition::kRunning;
  if (name == "paused") return WaitCondition::kPaused;
  if (name == "stopping") return WaitCondition::kStopping;
  if (name == "removing") return WaitCondition::kRemoving;
  if (name == "healthy" || name == "unhealthy")
    return fail("wait --condition " + std::string(name) +
                ": waiting for a health state is not supported yet");
  if (name == "initialized")
    return fail(
        "wait --condition initialized: not supported (krill has no initialized state: a "
        "container goes from created to running)");
  return fail("unknown container state: " + std::string(name) +
              ": invalid argument (use configured, created, exited, not-running, next-exit, "
              "paused, removed, removing, running, stopped or stopping)");
}

bool wait_condition_reports_exit(WaitCondition condition) {
  return condition == WaitCondition::kStopped || condition == WaitCondition::kNotRunning ||
         condition == WaitCondition::kNextExit || condition == WaitCondition::kRemoved;
}

Result<int> Engine::wait(const std::string& name_or_id) { return wait(name_or_id, WaitRequest{}); }

Result<int> Engine::wait(const std::string& name_or_id, const WaitRequest& request) {
  if (request.conditions.empty()) return fail("wait: no condition given");
  std::optional<ContainerRecord> record = KRILL_TRY(find(name_or_id));
  const std::string id = record->id;
  Progress progress;
  progress.finished_ns_at_start = record->finished_ns;
  int interval_ms = std::max(request.interval_ms, 1);
  while (true) {
    for (WaitCondition condition : request.conditions) {
      if (!holds(condition, record, progress)) continue;
      if (!wait_condition_reports_exit(condition)) return -1;
      if (!record) return progress.last_exit.value_or(0);
      return record->exit_code;
    }
    if (!record) return fail("no container with name or ID \"" + name_or_id +
                             "\" found: no such container (removed while waiting)");
    auto exit = monitor::read_exit_record(run_dir(id));
    if (exit && *exit) progress.last_exit = (*exit)->exit_code;
    else if (!is_live(record->status)) progress.last_exit = record->exit_code;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    auto current = store_->find(id);
    if (!current) {
      record.reset();
      continue;
    }
    record = KRILL_TRY(reconcile(*current));
  }
}

}  // namespace krill::engine
