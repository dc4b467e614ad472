// The engine's database: containers and volumes in SQLite (WAL mode) under the store, safe for
// many krill processes at once (busy timeout; every change in one transaction).
//
// File: <store_root>/engine/engine.db. Tables: containers (one row per container, the config as
// JSON), volumes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container_record.h"

namespace krill::engine {

struct VolumeRecord {
  std::string name;  // 64 hex digits for anonymous volumes
  std::string driver = "local";
  std::string mountpoint;  // <store_root>/volumes/<name>/_data
  int64_t created_ns = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  bool anonymous = false;
  // The image's content at the mount point is still to be copied in (podman's NeedsCopyUp):
  // true until the first populate (or "nocopy").
  bool needs_copy_up = true;
};

class ContainerStore {
 public:
  // Creates the directory and the schema when missing.
  static Result<ContainerStore> open(const std::string& store_root);
  ContainerStore(ContainerStore&&) noexcept;
  ContainerStore& operator=(ContainerStore&&) noexcept;
  ~ContainerStore();

  // Fails with "the container name \"x\" is already in use by <id>. You have to remove (or
  // rename) that container to be able to reuse that name." when the name is taken.
  Result<void> insert(const ContainerRecord& record);
  // Replaces the row with record.id; error when it does not exist.
  Result<void> update(const ContainerRecord& record);
  // Read-modify-write in one IMMEDIATE transaction: `change` may modify the record or return an
  // error, which rolls back. Returns the record as written.
  Result<ContainerRecord> modify(const std::string& id,
                                 const std::function<Result<void>(ContainerRecord&)>& change);
  Result<void> remove(const std::string& id);

  // By full id, unique id prefix, or name. Errors: "no container with name or ID \"x\" found:
  // no such container" (podman's words); "x: ambiguous id prefix" when several match.
  Result<ContainerRecord> find(const std::string& name_or_id) const;
  Result<std::vector<ContainerRecord>> list() const;  // oldest first
  Result<bool> name_in_use(const std::string& name) const;
  Result<void> rename(const std::string& id, const std::string& new_name);

  Result<void> insert_volume(const VolumeRecord& volume);  // error when the name exists
  Result<std::optional<VolumeRecord>> find_volume(const std::string& name) const;
  Result<std::vector<VolumeRecord>> list_volumes() const;
  Result<void> remove_volume(const std::string& name);
  // Ids of containers whose config mounts the volume `name`.
  Result<std::vector<std::string>> volume_users(const std::string& name) const;
  // Replaces the volume row with volume.name; error when it does not exist.
  Result<void> update_volume(const VolumeRecord& volume);

  // Runs `body` inside one IMMEDIATE transaction (the database's write lock is held throughout):
  // the store's own methods called from `body` join it instead of starting their own. An error
  // from `body` (or from COMMIT) rolls everything back. Keep `body` short: other krill
  // processes wait for it (busy timeout 10 s).
  Result<void> transaction(const std::function<Result<void>()>& body);

 private:
  struct Db;
  explicit ContainerStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

// 64 random lower-case hex digits (getrandom).
std::string new_container_id();
// Docker's generated names, "<adjective>_<surname>"; `taken` is consulted to avoid collisions.
std::string new_container_name(const std::function<bool(const std::string&)>& taken);
// /proc/sys/kernel/random/boot_id (trimmed).
std::string current_boot_id();

}  // namespace krill::engine
