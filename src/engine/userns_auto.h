// --userns=auto (podman's): each container gets user and group ids of its own, a block of the
// "containers" ranges in /etc/subuid and /etc/subgid that no other container holds, mapped to
// ids 0..size-1 inside its user namespace. Root only: the rootfs is an id-mapped overlay
// (image/overlay_mount.h), which Linux refuses to an unprivileged user's store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/user_namespace.h"

namespace krill::engine {

// The owner whose subordinate ids --userns=auto hands out (podman's default).
inline constexpr const char* kAutoUsernsOwner = "containers";
// The block size without size= (podman's auto-userns-max-size; covers nobody's 65534).
inline constexpr unsigned long kAutoUsernsDefaultSize = 65536;

bool is_auto_userns(std::string_view mode);
// "auto" -> the default size; "auto:size=N" -> N (1..2^32-1). Errors name the bad option.
Result<unsigned long> auto_userns_size(std::string_view mode);

// The first block of `size` ids in `available` (from /etc/subuid or /etc/subgid, named by
// `file` in errors) that overlaps none of `taken` (host-side ranges of other containers), as
// the map {0 -> start, size}. Error when none is free or no range is configured.
Result<std::vector<IdMapRange>> allocate_auto_ids(const std::vector<SubordinateIds>& available,
                                                  const std::vector<IdMapRange>& taken,
                                                  unsigned long size, const std::string& file);

// The runtime mounts the rootfs and the userdata files from inside the container's user
// namespace, as the container's root (a host id of its map): every directory on those paths
// must let it search. The store's shared directories get o+x (0711: nothing becomes listable);
// the container's own ones get its root's group and g+x (0710: no other user gets in). The
// files Docker lets a container rewrite (/etc/hosts, /etc/hostname, /etc/resolv.conf) become
// its root's.
Result<void> open_paths_to_container_root(const std::vector<std::string>& shared_dirs,
                                          const std::vector<std::string>& own_dirs,
                                          const std::vector<std::string>& owned_files,
                                          const std::vector<IdMapRange>& uid_map,
                                          const std::vector<IdMapRange>& gid_map);

}  // namespace krill::engine
