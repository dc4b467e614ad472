// Volumes as containers use them, through VolumeManager (engine/volumes.h).
#include "base/file_io.h"
#include "engine/engine_internal.h"
#include "engine/volumes.h"

namespace krill::engine {

Result<VolumeRecord> ensure_volume(ContainerStore& store, const std::string& store_root,
                                   const std::string& name) {
  if (!name.empty()) {
    auto existing = KRILL_TRY(store.find_volume(name));
    if (existing) return *existing;
  }
  VolumeManager volumes(store, store_root);
  VolumeCreateRequest request;
  request.name = name;  // "" = anonymous
  auto created = volumes.create(request);
  if (!created && !name.empty()) {
    // Another container made it at the same time.
    auto again = store.find_volume(name);
    if (again && *again) return **again;
  }
  return created;
}

Result<void> remove_anonymous_volumes(ContainerStore& store, const std::string& store_root,
                                      const ContainerConfig& config, const std::string& id) {
  VolumeManager volumes(store, store_root);
  for (const auto& mount : config.mounts) {
    if (mount.type != "volume" || mount.source.empty()) continue;
    auto volume = KRILL_TRY(store.find_volume(mount.source));
    if (!volume || !volume->anonymous) continue;
    auto users = KRILL_TRY(store.volume_users(mount.source));
    bool others = false;
    for (const auto& user : users) others = others || user != id;
    if (others) continue;
    KRILL_CHECK(volumes.remove(mount.source, true));
  }
  return {};
}

}  // namespace krill::engine
