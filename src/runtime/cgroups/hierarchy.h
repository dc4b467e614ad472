// Finding the cgroup hierarchies mounted on this host from mountinfo.
//
// A host is one of:
//   kV1     - only cgroup v1 mounts (each hierarchy holds one or more controllers,
//             or is a named hierarchy such as name=systemd);
//   kV2     - only the unified cgroup2 mount;
//   kHybrid - v1 mounts plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
//             A controller not bound to a v1 hierarchy may be available in the
//             cgroup2 mount (its cgroup.controllers), e.g. hugetlb.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace krill::cgroups {

enum class Layout { kV1, kV2, kHybrid };

const char* to_string(Layout layout);

struct Hierarchy {
  // v1: the controllers joined by ',' as /proc/self/cgroup names the hierarchy
  // ("cpu,cpuacct", "memory", "name=systemd"); v2: "" (as in "0::/path").
  std::string controller_or_name;
  std::string mountpoint;  // where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory
  bool v2 = false;
  // The mount's root inside the hierarchy (mountinfo field 4), usually "/".
  std::string root = "/";
  // v1: the controllers (and "name=..." for a named hierarchy);
  // v2: the controllers listed in <mountpoint>/cgroup.controllers.
  std::vector<std::string> controllers;

  bool has(const std::string& controller) const;
};

// Every cgroup hierarchy mounted, first mount of each hierarchy only, in
// mountinfo order. v2 controllers are read from <mountpoint>/cgroup.controllers
// (missing file: none).
Result<std::vector<Hierarchy>> discover_hierarchies(
    const std::string& mountinfo_path = "/proc/self/mountinfo");

// The same, from mountinfo text (for tests and callers that already read it).
Result<std::vector<Hierarchy>> parse_mountinfo(const std::string& mountinfo_text);

// kV1 / kV2 / kHybrid from the discovered hierarchies; error if none.
Result<Layout> layout_of(const std::vector<Hierarchy>& hierarchies);

// One line of /proc/<pid>/cgroup: "4:memory:/user.slice" -> {"memory", "/user.slice"}.
struct ProcCgroup {
  std::string controller_or_name;  // "" for v2
  std::string path;
};
std::vector<ProcCgroup> parse_proc_cgroup(const std::string& text);

}  // namespace krill::cgroups
