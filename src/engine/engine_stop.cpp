// Engine: stop, kill, pause/unpause, rename (wait: engine_wait.cpp).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include "base/process_stat.h"
#include "engine/engine_internal.h"
#include "engine/spec_builder.h"

namespace krill::engine {
namespace {

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string improper(const ContainerRecord& record, const std::string& what) {
  return what + " " + record.id + " is in state " + status_name(record.status) +
         ": container state improper";
}

}  // namespace

// Polls until the container has exited (exit.json, or its monitor is gone), up to timeout_ms
// (-1: forever). Error when it is still running then.
Result<void> Engine::wait_for_exit(const ContainerRecord& record, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int round = 0;; ++round) {
    auto exit = monitor::read_exit_record(run_dir(record.id));
    if (exit && *exit) return {};
    if (record.monitor_pid > 0 && !process_alive(record.monitor_pid, record.monitor_start_ticks))
      return {};
    auto current = store_->find(record.id);
    if (!current || !is_live(current->status) || current->monitor_pid != record.monitor_pid)
      return {};
    if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline)
      return fail("container " + record.id + " did not exit in time");
    sleep_ms(std::min(50, 5 << std::min(round, 4)));  // a killed container is gone in ms
  }
}

Result<ContainerRecord> Engine::stop(const std::string& name_or_id,
                                     std::optional<int> timeout_seconds) {
  auto record = KRILL_TRY(find(name_or_id));
  if (!is_live(record.status)) return record;  // Docker: stopping a stopped container is fine
  record = KRILL_TRY(store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
    r.stopped_by_user = true;
    return {};
  }));
  int timeout =
      timeout_seconds.value_or(record.config.stop_timeout >= 0 ? record.config.stop_timeout : 10);
  int stop_signal = record.config.stop_signal;
  if (stop_signal == 0) {
    auto image_config = image_container_config(*images_, record.config.image_id);
    if (image_config && !image_config->stop_signal.empty())
      if (auto parsed = parse_signal(image_config->stop_signal)) stop_signal = *parsed;
  }
  if (stop_signal == 0) stop_signal = SIGTERM;
  if (record.status == ContainerStatus::kPaused) {
    // A frozen process cannot handle its stop signal: SIGKILL, then thaw.
    (void)run_runtime(record.config, {"kill", record.id, "KILL"});
    (void)run_runtime(record.config, {"resume", record.id});
  } else if (timeout > 0) {
    (void)run_runtime(record.config, {"kill", record.id, std::to_string(stop_signal)});
  }
  if (!wait_for_exit(record, timeout * 1000)) {
    (void)run_runtime(record.config, {"kill", "--all", record.id, "KILL"});
    if (!wait_for_exit(record, 10000)) {
      (void)run_runtime(record.config, {"delete", "--force", record.id});
      KRILL_CHECK(wait_for_exit(record, 5000));
    }
  }
  // The monitor runs the clean-up; wait for it, then make sure it happened.
  for (int i = 0; i < 100; ++i) {
    auto current = store_->find(record.id);
    if (!current || !is_live(current->status)) break;
    sleep_ms(50);
  }
  KRILL_CHECK(cleanup(record.id));
  auto after = store_->find(record.id);
  if (!after) return record;  // --rm: gone
  return *after;
}

Result<void> Engine::kill(const std::string& name_or_id, int signal) {
  auto record = KRILL_TRY(find(name_or_id));
  if (record.status != ContainerStatus::kRunning && record.status != ContainerStatus::kPaused)
    return fail(improper(record, "can only kill running containers."));
  if (signal == SIGKILL || signal == SIGTERM)
    (void)store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
      r.stopped_by_user = true;
      return {};
    });
  auto killed = KRILL_TRY(run_runtime(record.config, {"kill", record.id, std::to_string(signal)}));
  if (killed.exit_code != 0)
    return fail("kill container " + record.id + ": " + runtime_error_text(killed));
  return {};
}

Result<void> Engine::pause(const std::string& name_or_id) {
  auto record = KRILL_TRY(find(name_or_id));
  if (record.status != ContainerStatus::kRunning)
    return fail("\"" + record.id + "\" is not running, can't pause: container state improper");
  auto paused = KRILL_TRY(run_runtime(record.config, {"pause", record.id}));
  if (paused.exit_code != 0)
    return fail("pause container " + record.id + ": " + runtime_error_text(paused));
  auto updated = store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
    if (r.status == ContainerStatus::kRunning) r.status = ContainerStatus::kPaused;
    return {};
  });
  if (!updated) return std::unexpected(updated.error());
  return {};
}

Result<void> Engine::unpause(const std::string& name_or_id) {
  auto record = KRILL_TRY(find(name_or_id));
  if (record.status != ContainerStatus::kPaused)
    return fail("\"" + record.id + "\" is not paused, can't unpause: container state improper");
  auto resumed = KRILL_TRY(run_runtime(record.config, {"resume", record.id}));
  if (resumed.exit_code != 0)
    return fail("unpause container " + record.id + ": " + runtime_error_text(resumed));
  auto updated = store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
    if (r.status == ContainerStatus::kPaused) r.status = ContainerStatus::kRunning;
    return {};
  });
  if (!updated) return std::unexpected(updated.error());
  return {};
}

Result<void> Engine::rename(const std::string& name_or_id, const std::string& new_name) {
  auto record = KRILL_TRY(store_->find(name_or_id));
  return store_->rename(record.id, new_name);
}

}  // namespace krill::engine
