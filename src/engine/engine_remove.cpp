// Engine::remove: kill (with force), then the snapshot, userdata, run dir, database row and
// (with volumes) the anonymous volumes.
#include <unistd.h>

#include "base/file_io.h"
#include "engine/engine_internal.h"
#include "image/snapshot.h"

namespace krill::engine {

Result<void> Engine::remove(const std::string& name_or_id, bool force, bool volumes) {
  auto found = KRILL_TRY(store_->find(name_or_id));
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, found.id));
  auto current = store_->find(found.id);
  if (!current) {  // removed meanwhile (another rm, --rm)
    lock.unlink_file();
    return fail("no container with name or ID \"" + name_or_id + "\" found: no such container");
  }
  auto record = KRILL_TRY(reconcile_locked(*current));
  bool live = record.status == ContainerStatus::kRunning ||
              record.status == ContainerStatus::kPaused ||
              record.status == ContainerStatus::kStopping;
  if (live && !force)
    return fail("cannot remove container " + record.id +
                " as it is running - running or paused containers cannot be removed without "
                "force: container state improper");
  if (live) {
    (void)store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
      r.stopped_by_user = true;
      return {};
    });
    (void)run_runtime(record.config, {"kill", "--all", record.id, "KILL"});
    if (record.status == ContainerStatus::kPaused)
      (void)run_runtime(record.config, {"resume", record.id});
    if (!wait_for_exit(record, 10000))
      (void)run_runtime(record.config, {"delete", "--force", record.id});
    (void)wait_for_exit(record, 5000);
  }
  KRILL_CHECK(remove_locked(record, volumes));
  lock.unlink_file();
  return {};
}

Result<void> Engine::remove_locked(const ContainerRecord& record, bool volumes) {
  auto marked = store_->modify(record.id, [](ContainerRecord& r) -> Result<void> {
    r.status = ContainerStatus::kRemoving;
    return {};
  });
  if (!marked) return std::unexpected(marked.error());
  // The runtime may still know it (the monitor deletes it, but it may have died).
  if (::access((runtime_for(record.config).root + "/" + record.id).c_str(), F_OK) == 0)
    (void)run_runtime(record.config, {"delete", "--force", record.id});
  auto snapshot = image::open_snapshot(*images_, snapshot_dir(record.id));
  if (snapshot) {
    if (snapshot->driver() != "vfs") KRILL_CHECK(unmount_path(snapshot->rootfs_dir()));
    KRILL_CHECK_CTX(image::remove_snapshot(*images_, *snapshot),
                    "remove container " + record.id + " storage");
  }
  (void)release_network(record.id);
  (void)remove_all(run_dir(record.id));
  KRILL_CHECK_CTX(remove_all(container_dir(record.id)), "remove container " + record.id);
  if (volumes)
    KRILL_CHECK(remove_anonymous_volumes(*store_, options_.store_root, record.config, record.id));
  KRILL_CHECK(store_->remove(record.id));
  return {};
}

}  // namespace krill::engine
