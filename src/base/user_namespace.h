// User namespaces for rootless krill: the id maps of a namespace in which the caller is root and
// its subordinate ids (/etc/subuid, /etc/subgid through newuidmap/newgidmap from Debian's uidmap)
// follow (base/rootless_namespace.h makes and keeps that namespace), and what the namespace of
// the running process maps.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill {

// Set in the environment of every process inside krill's rootless namespace.
inline constexpr const char* kInUserNamespaceEnv = "KRILL_IN_USER_NAMESPACE";

// One line of /proc/<pid>/uid_map or gid_map: ids [inside, inside+count) of the namespace are
// ids [outside, outside+count) of its parent.
struct IdMapRange {
  unsigned long inside = 0, outside = 0, count = 0;
  bool operator==(const IdMapRange&) const = default;
};

// One range of /etc/subuid or /etc/subgid: ids [start, start+count) belong to its owner.
struct SubordinateIds {
  unsigned long start = 0, count = 0;
};
// Every range of `owner` (a name, or a uid as a number when `owner_id` is given) in a file of
// /etc/subuid's format; none when the file is missing.
std::vector<SubordinateIds> subordinate_ids(const std::string& file, const std::string& owner,
                                            const std::string& owner_id = "");
// Parses the text of an id map file. Error "id map: bad line \"...\"".
Result<std::vector<IdMapRange>> parse_id_map(std::string_view text);
// True when `id` of the namespace is mapped by one of `ranges`.
bool id_is_mapped(const std::vector<IdMapRange>& ranges, unsigned long id);
// `id` of the namespace as its parent sees it (outside), and an id of the parent as the
// namespace sees it (inside); nullopt where `ranges` map nothing.
std::optional<unsigned long> outside_id(const std::vector<IdMapRange>& ranges, unsigned long id);
std::optional<unsigned long> inside_id(const std::vector<IdMapRange>& ranges, unsigned long id);

// True in the host's (initial) user namespace: /proc/self/uid_map maps the whole id range.
// False as root of any user namespace an unprivileged user made (krill's, podman's), where
// uid 0 has no power over the host's cgroups or devices.
bool in_initial_user_namespace();

// True inside krill's rootless namespace (the marker above is set).
bool in_krill_user_namespace();

// Writes the uid and gid maps of `pid`, a process that has just unshared its user namespace: the
// caller's uid/gid become 0, its subordinate ranges (newuidmap/newgidmap) follow from 1; without
// subordinate ids only the caller's own ids are mapped (setgroups denied).
Result<void> write_id_maps(pid_t pid);

}  // namespace krill
