// Named and anonymous volumes ("local" driver): a directory <store_root>/volumes/<name>/_data
// plus a row in the engine database, always both or neither.
//
// Errors carry an errno for callers that map them to exit codes: ENOENT "no volume with name
// \"x\" found: no such volume", EBUSY "volume x is being used by the following container(s):
// ID: volume is being used", EEXIST "volume with name x already exists: volume already exists",
// EINVAL for bad names, drivers, options and filters.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/user_namespace.h"
#include "engine/container_store.h"

namespace krill::engine {

struct VolumeCreateRequest {
  std::string name;  // "" = anonymous: 64 random hex digits
  std::string driver = "local";
  std::map<std::string, std::string> labels;
  // The local driver's options (podman's): type, device, o, size, inodes, uid, gid, copy,
  // nocopy, noquota. uid/gid own _data; nocopy skips the copy-up.
  std::map<std::string, std::string> options;
};

struct VolumePruneReport {
  std::vector<std::string> removed;  // names, in list order
  uint64_t reclaimed_bytes = 0;      // apparent size of the files removed
};

// Docker's rule for names given by the user: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters at
// least), so a name never looks like a path.
bool is_valid_volume_name(std::string_view name);

// The maps through which a copy-up source is seen (a --userns=auto container's id-mapped rootfs
// shows host ids): the copy writes the ids before mapping, so that the volume, mounted through
// the same maps, shows the image's owners.
struct SourceIdMaps {
  std::vector<IdMapRange> uids, gids;
};

class VolumeManager {
 public:
  VolumeManager(ContainerStore& store, std::string store_root);

  Result<VolumeRecord> create(const VolumeCreateRequest& request);
  Result<VolumeRecord> inspect(const std::string& name) const;
  // Sorted by name. Filters "key=value" (podman's): name=REGEX, label=K or K=V, label!=...,
  // driver=, scope=local, opt=K or K=V, dangling=true|false, until=DURATION|UNIX-SECONDS.
  // Values of one key are alternatives; different keys must all match (labels all match).
  Result<std::vector<VolumeRecord>> list(const std::vector<std::string>& filters = {}) const;
  // Refuses a volume some container mounts unless `force` (the containers are left alone).
  Result<void> remove(const std::string& name, bool force);
  // Removes every volume no container uses that passes `filters` (label, label!, until), and
  // what crashed removals left behind.
  Result<VolumePruneReport> prune(const std::vector<std::string>& filters = {});
  // Docker's copy-up: when the volume still needs it and its _data is empty, copies the tree at
  // `source_dir` (the image's content at the mount point: files, modes, owners, times,
  // symlinks, hard links, devices; no xattrs) into it and marks it done. A missing source_dir
  // just marks it done. Returns true when something was copied. `source_dir` must already be
  // resolved inside the rootfs (its symlinks are not followed below it); `source_maps` when
  // it is seen through id maps.
  Result<bool> populate_from(const std::string& name, const std::string& source_dir,
                             const SourceIdMaps* source_maps = nullptr);

  std::string volumes_dir() const { return store_root_ + "/volumes"; }
  std::string volume_dir(const std::string& name) const { return volumes_dir() + "/" + name; }

 private:
  // Deletes what a crashed remove left (".removing-*" directories).
  void remove_leftovers();

  ContainerStore& store_;
  std::string store_root_;
};

}  // namespace krill::engine
