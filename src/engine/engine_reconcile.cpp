// Reconciliation (the database against the world) and the monitor's exit command (cleanup):
// exit status, unmounting, --rm and --restart.
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_io.h"
#include "base/process_stat.h"
#include "engine/engine_internal.h"
#include "image/snapshot.h"

namespace krill::engine {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// What the world says about a live container whose database record may be stale: nullopt while
// its monitor still serves it.
struct Finding {
  std::optional<monitor::ExitRecord> exited;
  std::string lost;  // why it is gone without a recorded exit
};

std::optional<Finding> examine(const ContainerRecord& record, const std::string& rundir) {
  auto exit = monitor::read_exit_record(rundir);
  if (exit && *exit) return Finding{**exit, ""};
  if (record.boot_id != current_boot_id()) return Finding{{}, "monitor lost: the host rebooted"};
  if (!exists(rundir)) return Finding{{}, "monitor lost: its run directory is gone"};
  if (record.monitor_pid > 0 && !process_alive(record.monitor_pid, record.monitor_start_ticks)) {
    auto again = monitor::read_exit_record(rundir);  // it may have just written it
    if (again && *again) return Finding{**again, ""};
    return Finding{{}, "monitor lost: krill-monitor exited without recording the container's exit"};
  }
  return std::nullopt;
}

}  // namespace

Result<ContainerRecord> Engine::reconcile(const ContainerRecord& record) {
  if (!is_live(record.status) || !examine(record, run_dir(record.id))) return record;
  // Something changed: act on it under the container's lock, so that the clean-up (unmounting,
  // runtime delete) cannot hit a container that the monitor's exit command is restarting right
  // now. A busy lock means another process is doing exactly that: its result will be in the
  // database.
  auto lock = KRILL_TRY(ContainerLock::try_acquire(options_.store_root, record.id));
  if (!lock) return record;
  auto current = store_->find(record.id);
  if (!current) {  // removed meanwhile
    lock->unlink_file();
    return record;
  }
  return reconcile_locked(*current);
}

Result<ContainerRecord> Engine::reconcile_locked(const ContainerRecord& record) {
  if (!is_live(record.status)) return record;
  auto finding = examine(record, run_dir(record.id));
  if (!finding) return record;
  std::optional<monitor::ExitRecord> exited = finding->exited;
  std::string lost = finding->lost;
  // The decision was made on `record` as read before: it holds only if the database still
  // says the same (another process may have cleaned up and started the container again).
  bool changed = false;
  auto updated = store_->modify(record.id, [&](ContainerRecord& r) -> Result<void> {
    if (!is_live(r.status) || r.monitor_pid != record.monitor_pid) return {};
    changed = true;
    r.status = ContainerStatus::kExited;
    r.pid = 0;
    if (exited) {
      r.exit_code = exited->exit_code;
      r.finished_ns = exited->finished_ns;
      r.oom_killed = exited->oom_killed;
    } else {
      r.exit_code = 255;
      r.finished_ns = now_ns();
      r.error = lost;
    }
    return {};
  });
  if (!updated) return std::unexpected(updated.error());
  if (!changed) return *updated;
  if (!lost.empty()) {
    // The container may still run without its monitor (SIGKILLed monitor): make sure it does
    // not linger unaccounted for.
    (void)run_runtime(record.config, {"delete", "--force", record.id});
  }
  // The rootfs is no longer in use: a stale overlay mount goes away.
  auto snapshot = image::open_snapshot(*images_, snapshot_dir(record.id));
  if (snapshot && snapshot->driver() != "vfs") (void)unmount_path(snapshot->rootfs_dir());
  (void)release_network(record.id);
  return *updated;
}

Result<void> Engine::cleanup(const std::string& id) {
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, id));
  auto found = store_->find(id);
  if (!found) {  // removed already (rm -f, --rm handled by the CLI)
    lock.unlink_file();
    return {};
  }
  ContainerRecord record = *found;
  const std::string rundir = run_dir(record.id);
  bool handled_exit = false;
  if (exists(rundir)) {
    auto exit = KRILL_TRY(monitor::read_exit_record(rundir));
    bool monitor_dead = record.monitor_pid <= 0 ||
                        !process_alive(record.monitor_pid, record.monitor_start_ticks) ||
                        record.monitor_pid == getppid();
    if (!exit && is_live(record.status) && !monitor_dead) return {};  // still running
    record = KRILL_TRY(reconcile_locked(record));
    if (exit && record.status == ContainerStatus::kExited) {
      // reconcile only looks at live records; make sure the exit is the recorded one.
      record = KRILL_TRY(store_->modify(record.id, [&](ContainerRecord& r) -> Result<void> {
        if (r.status == ContainerStatus::kExited && r.finished_ns < exit->finished_ns) {
          r.exit_code = exit->exit_code;
          r.finished_ns = exit->finished_ns;
          r.oom_killed = exit->oom_killed;
        }
        return {};
      }));
    }
    auto snapshot = image::open_snapshot(*images_, snapshot_dir(record.id));
    if (snapshot && snapshot->driver() != "vfs") (void)unmount_path(snapshot->rootfs_dir());
    (void)release_network(record.id);
    (void)remove_all(rundir);
    handled_exit = true;
  } else {
    record = KRILL_TRY(reconcile_locked(record));
  }
  if (is_live(record.status)) return {};
  if (record.config.auto_remove) {
    KRILL_CHECK(remove_locked(record, true));
    lock.unlink_file();
    return {};
  }
  if (!handled_exit || record.stopped_by_user) return {};
  const auto& policy = record.config.restart;
  bool restart = false;
  if (policy.name == "always" || policy.name == "unless-stopped") restart = true;
  if (policy.name == "on-failure" && record.exit_code != 0 &&
      (policy.max_retries == 0 || record.restart_count < policy.max_retries))
    restart = true;
  if (!restart) return {};
  record = KRILL_TRY(store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
    ++r.restart_count;
    return {};
  }));
  auto started = start_locked(record, StartRequest{}, lock);
  if (!started) return std::unexpected(started.error());
  return {};
}

}  // namespace krill::engine
