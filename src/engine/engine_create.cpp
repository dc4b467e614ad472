// Engine::create: the record, the snapshot, the userdata dir and the container's volumes.
#include <sys/stat.h>

#include <algorithm>

#include "base/file_io.h"
#include "engine/engine_internal.h"
#include "engine/health.h"
#include "engine/spec_builder.h"
#include "engine/userns_auto.h"
#include "image/snapshot.h"

namespace krill::engine {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  auto ok_first = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!ok_first(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return ok_first(c) || c == '_' || c == '.' || c == '-'; });
}

std::string clean_destination(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Result<ContainerRecord> Engine::create(ContainerConfig config, const std::string& name) {
  if (!name.empty() && !valid_name(name))
    return fail("invalid container name \"" + name +
                "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  // Bind sources must exist (podman's check; Docker would create them).
  for (const auto& mount : config.mounts) {
    if (mount.type != "bind") continue;
    struct stat st {};
    if (::stat(mount.source.c_str(), &st) != 0) return fail_errno("statfs " + mount.source);
  }
  if (config.annotations.contains(kDisconnectedAnnotation))
    return fail(std::string("annotation ") + kDisconnectedAnnotation +
                " is krill's own: it cannot be set");
  // Networks must exist now (podman's check), not only when the container starts.
  if (config.network.empty() && !config.networks.empty()) {
    auto* networks_store = KRILL_TRY(networks());
    for (auto& request : config.networks) {
      KRILL_CHECK(validate_aliases(request.aliases));
      // Stored by name: an id prefix the user typed would not match later.
      request.name = KRILL_TRY(networks_store->find(request.name)).name;
    }
  }
  if (config.init) KRILL_TRY(find_init_binary(config.init_path));  // before anything is made
  auto image_record = KRILL_TRY(images_->find(config.image_id));
  if (!image_record) return fail(config.image_ref + ": image not known");
  auto image_config = KRILL_TRY(image_container_config(*images_, config.image_id));
  if (!config.annotations.contains(kWorkingContainerAnnotation))
    KRILL_TRY(container_args(config, image_config));  // "no command specified"
  if (config.startup_healthcheck && !effective_healthcheck(config, image_config.healthcheck))
    return fail(
        "startup healthchecks can only be used with a regular healthcheck: give --health-cmd "
        "too, or use an image with a HEALTHCHECK");

  // Anonymous volumes: -v /path, and the image's VOLUMEs no mount covers.
  for (const auto& path : image_config.volumes) {
    std::string destination = clean_destination(path);
    bool covered = std::any_of(config.mounts.begin(), config.mounts.end(), [&](const auto& m) {
      return clean_destination(m.destination) == destination;
    });
    if (covered) continue;
    MountRequest anonymous;
    anonymous.type = "volume";
    anonymous.destination = destination;
    config.mounts.push_back(anonymous);
  }

  ContainerRecord record;
  record.id = new_container_id();
  record.name = name;
  if (record.name.empty())
    record.name = new_container_name([this](const std::string& candidate) {
      auto used = store_->name_in_use(candidate);
      return !used || *used;
    });
  record.config = std::move(config);
  record.created_ns = now_ns();
  record.status = ContainerStatus::kCreated;
  if (is_auto_userns(record.config.userns)) {
    if (options_.storage_driver != "overlay")
      return fail("--userns " + record.config.userns +
                  ": needs the overlay storage driver (its "
                  "layers are id-mapped under the container), not " +
                  options_.storage_driver);
    if (options_.rootless)
      return fail("--userns " + record.config.userns +
                  ": not supported rootless (the rootfs would have to be an id-mapped overlay, "
                  "which Linux refuses to an unprivileged user's store)");
    const unsigned long size = KRILL_TRY(auto_userns_size(record.config.userns));
    // Chosen and recorded in one transaction: two creates never pick the same ids.
    KRILL_CHECK(store_->transaction([&]() -> Result<void> {
      std::vector<IdMapRange> taken_uids, taken_gids;
      for (const auto& other : KRILL_TRY(store_->list())) {
        taken_uids.insert(taken_uids.end(), other.config.uid_map.begin(),
                          other.config.uid_map.end());
        taken_gids.insert(taken_gids.end(), other.config.gid_map.begin(),
                          other.config.gid_map.end());
      }
      record.config.uid_map = KRILL_TRY(allocate_auto_ids(
          subordinate_ids("/etc/subuid", kAutoUsernsOwner), taken_uids, size, "/etc/subuid"));
      record.config.gid_map = KRILL_TRY(allocate_auto_ids(
          subordinate_ids("/etc/subgid", kAutoUsernsOwner), taken_gids, size, "/etc/subgid"));
      return store_->insert(record);
    }));
  } else {
    KRILL_CHECK(store_->insert(record));
  }

  // From here on, a failure undoes everything.
  auto undo = [&](Error error) -> Result<ContainerRecord> {
    (void)remove_all(container_dir(record.id));
    (void)remove_anonymous_volumes(*store_, options_.store_root, record.config, record.id);
    (void)store_->remove(record.id);
    return std::unexpected(std::move(error));
  };
  if (auto made = mkdir_all(userdata_dir(record.id), 0700); !made) return undo(made.error());
  image::SnapshotOptions snapshot_options;
  snapshot_options.driver = options_.storage_driver;
  snapshot_options.rootless = options_.rootless;
  // A --rm container is gone after a crash anyway (reconcile removes it): no fsyncs for it.
  if (record.config.auto_remove) snapshot_options.durability = Durability::kVolatile;
  auto snapshot =
      image::create_snapshot(*images_, *image_record, snapshot_dir(record.id), snapshot_options);
  if (!snapshot) return undo(std::move(snapshot.error()).context("create container storage"));
  for (auto& mount : record.config.mounts) {
    if (mount.type != "volume") continue;
    auto volume = ensure_volume(*store_, options_.store_root, mount.source);
    if (!volume) {
      (void)image::remove_snapshot(*images_, *snapshot);
      return undo(volume.error());
    }
    mount.source = volume->name;
  }
  if (auto updated = store_->update(record); !updated) {
    (void)image::remove_snapshot(*images_, *snapshot);
    return undo(updated.error());
  }
  return record;
}

}  // namespace krill::engine
