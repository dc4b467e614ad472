#include "runtime/cgroups/manager.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <thread>

#include "runtime/cgroups/devices.h"
#include "runtime/cgroups/fs.h"

namespace krill::cgroups {

struct Manager::Place {
  Hierarchy hierarchy;
  std::string base;                     // existing directory creation starts from
  std::vector<std::string> components;  // below base
  std::string dir;                      // the container's directory
  bool skipped = false;                 // rootless: not writable, not used
  std::vector<std::string> created;     // made by this object, top-down
};

struct Manager::Active {
  std::unique_ptr<Controller> controller;
  size_t place = 0;
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWaitLimit = std::chrono::seconds(5);

bool is_permission_error(int err) { return err == EACCES || err == EPERM || err == EROFS; }

struct CgroupPath {
  bool absolute = true;
  std::vector<std::string> components;
};

Result<CgroupPath> parse_cgroups_path(const std::string& cgroups_path,
                                      const std::string& container_id) {
  std::string path = cgroups_path;
  if (path.empty()) {
    if (container_id.empty() || container_id.find('/') != std::string::npos ||
        container_id == "." || container_id == "..")
      return fail("cgroup path for container id \"" + container_id + "\": invalid id");
    // Flat, so that deleting the last container leaves no empty parent behind.
    path = "/krill-" + container_id;
  }
  CgroupPath parsed;
  parsed.absolute = path.front() == '/';
  if (!parsed.absolute && path.find(':') != std::string::npos)
    return fail("cgroupsPath \"" + path +
                "\": systemd cgroup paths (slice:prefix:name) are not supported");
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return fail("cgroupsPath \"" + path + "\": \"..\" is not allowed");
    parsed.components.push_back(part);
  }
  if (parsed.components.empty())
    return fail("cgroupsPath \"" + path + "\": names the cgroup of the runtime itself");
  return parsed;
}

std::set<std::string> name_set(const std::string& joined) {
  std::set<std::string> names;
  for (const auto& n : split(joined, ',')) names.insert(n);
  return names;
}

// The calling process's directory in hierarchy `h`.
Result<std::string> own_cgroup_dir(const Hierarchy& h, const std::vector<ProcCgroup>& own,
                                   const std::string& proc_path) {
  for (const auto& entry : own) {
    bool match = h.v2 ? entry.controller_or_name.empty()
                      : name_set(entry.controller_or_name) == name_set(h.controller_or_name);
    if (!match) continue;
    std::string path = entry.path;
    if (h.root != "/") {
      if (path == h.root)
        path = "/";
      else if (path.starts_with(h.root + "/"))
        path = path.substr(h.root.size());
      else
        return fail("own cgroup " + path + " in hierarchy " + h.mountpoint +
                    " is outside the mounted part " + h.root);
    }
    return path == "/" ? h.mountpoint : join_path(h.mountpoint, path);
  }
  return fail("find own cgroup of hierarchy " + h.mountpoint + " (" + h.controller_or_name +
              ") in " + proc_path);
}

void collect_pids(const std::string& dir, std::set<pid_t>& out) {
  if (auto procs = read_file(dir, "cgroup.procs")) {
    for (const auto& word : split_whitespace(*procs))
      if (auto pid = parse_i64(word); pid && *pid > 0) out.insert(static_cast<pid_t>(*pid));
  }
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> children;
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::lstat(join_path(dir, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) children.push_back(join_path(dir, name));
  }
  ::closedir(d);
  for (const auto& child : children) collect_pids(child, out);
}

Result<void> rmdir_retrying(const std::string& dir) {
  auto deadline = Clock::now() + kWaitLimit;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || Clock::now() > deadline) return fail_errno("remove cgroup " + dir);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

// Removes a cgroup directory and its sub-cgroups, deepest first.
Result<void> remove_cgroup_tree(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return {};
    return fail_errno("open cgroup " + dir);
  }
  std::vector<std::string> children;
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name != "." && name != ".." && entry->d_type == DT_DIR)
      children.push_back(join_path(dir, name));
  }
  ::closedir(d);
  for (const auto& child : children) KRILL_CHECK(remove_cgroup_tree(child));
  return rmdir_retrying(dir);
}

// Copies cpuset.cpus/mems from the parent when the new cgroup's are empty;
// v1 refuses tasks in a cpuset without cpus or mems.
Result<void> init_cpuset(const std::string& dir, const std::string& parent) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (!path_exists(join_path(dir, file))) continue;
    if (!KRILL_TRY(read_trimmed(dir, file)).empty()) continue;
    std::string value = KRILL_TRY(read_trimmed(parent, file));
    if (!value.empty()) KRILL_CHECK(write_file(dir, file, value));
  }
  return {};
}

// Enables `wanted` controllers (those the parent offers) for the children of `dir`.
void enable_v2_controllers(const std::string& dir, const std::vector<std::string>& wanted) {
  auto offered = read_file(dir, "cgroup.controllers");
  if (!offered) return;
  auto offered_list = split_whitespace(*offered);
  std::vector<std::string> enabled;
  if (auto current = read_file(dir, "cgroup.subtree_control")) enabled = split_whitespace(*current);
  for (const auto& name : wanted) {
    if (std::find(offered_list.begin(), offered_list.end(), name) == offered_list.end()) continue;
    if (std::find(enabled.begin(), enabled.end(), name) != enabled.end()) continue;
    // Best effort: a controller that cannot be enabled shows up later as a
    // missing file, with the setting named, when a resource needs it.
    (void)write_file(dir, "cgroup.subtree_control", "+" + name);
  }
}

const char* controller_for(Section section, bool v2) {
  switch (section) {
    case Section::kMemory:
      return "memory";
    case Section::kCpu:
      return "cpu";
    case Section::kCpuset:
      return "cpuset";
    case Section::kPids:
      return "pids";
    case Section::kBlockIo:
      return v2 ? "io" : "blkio";
    case Section::kHugepageLimits:
      return "hugetlb";
    case Section::kNetworkClassId:
      return "net_cls";
    case Section::kNetworkPriorities:
      return "net_prio";
    case Section::kRdma:
      return "rdma";
    case Section::kDevices:
      return "devices";
    case Section::kUnified:
      return "cgroup2 (unified)";
    case Section::kNone:
      return "";
  }
  return "";
}

}  // namespace

Manager::Manager() = default;
Manager::Manager(Manager&&) noexcept = default;
Manager& Manager::operator=(Manager&&) noexcept = default;
Manager::~Manager() = default;

Result<Manager> Manager::open(const std::string& cgroups_path, const std::string& container_id,
                              const ManagerOptions& options) {
  auto path = KRILL_TRY(parse_cgroups_path(cgroups_path, container_id));
  auto hierarchies = KRILL_TRY(discover_hierarchies(options.mountinfo_path));
  Manager manager;
  manager.options_ = options;
  manager.layout_ = KRILL_TRY(layout_of(hierarchies));

  std::vector<ProcCgroup> own;
  if (!path.absolute)
    own = parse_proc_cgroup(!options.caller_cgroups.empty()
                                ? options.caller_cgroups
                                : KRILL_TRY(read_file("", options.proc_self_cgroup_path)));

  for (auto& h : hierarchies) {
    Place place;
    place.base = path.absolute ? h.mountpoint
                               : KRILL_TRY(own_cgroup_dir(h, own, options.proc_self_cgroup_path));
    place.components = path.components;
    place.dir = place.base;
    for (const auto& c : path.components) place.dir = join_path(place.dir, c);
    place.hierarchy = std::move(h);
    manager.places_.push_back(std::move(place));
  }

  for (auto& controller : v1_controllers()) {
    for (size_t i = 0; i < manager.places_.size(); ++i) {
      const Hierarchy& h = manager.places_[i].hierarchy;
      if (!h.v2 && h.has(controller->name())) {
        manager.active_.push_back({std::move(controller), i});
        break;
      }
    }
  }
  bool v1_devices =
      std::any_of(manager.active_.begin(), manager.active_.end(),
                  [](const Active& a) { return a.controller->section() == Section::kDevices; });
  for (auto& controller : v2_controllers()) {
    for (size_t i = 0; i < manager.places_.size(); ++i) {
      const Hierarchy& h = manager.places_[i].hierarchy;
      if (!h.v2) continue;
      std::string name = controller->name();
      bool usable = h.has(name) || name == "unified" || (name == "devices" && !v1_devices);
      if (usable) {
        manager.active_.push_back({std::move(controller), i});
        break;
      }
    }
  }
  return manager;
}

Layout Manager::layout() const { return layout_; }

Result<void> Manager::create() {
  for (auto& place : places_) {
    std::vector<std::string> wanted_v2;
    bool has_cpuset = !place.hierarchy.v2 && place.hierarchy.has("cpuset");
    if (place.hierarchy.v2) {
      for (const auto& a : active_) {
        if (&places_[a.place] != &place) continue;
        if (place.hierarchy.has(a.controller->name())) wanted_v2.push_back(a.controller->name());
      }
    }
    std::string current = place.base;
    Result<void> made;
    for (const auto& component : place.components) {
      if (place.hierarchy.v2) enable_v2_controllers(current, wanted_v2);
      std::string next = join_path(current, component);
      if (::mkdir(next.c_str(), 0755) == 0) {
        place.created.push_back(next);
      } else if (errno != EEXIST) {
        made = fail_errno("create cgroup " + next);
        break;
      }
      if (has_cpuset) {
        made = init_cpuset(next, current);
        if (!made) break;
      }
      current = next;
    }
    if (!made) {
      if (options_.rootless && is_permission_error(made.error().errno_value())) {
        place.skipped = true;
        continue;
      }
      return made;
    }
  }
  return {};
}

Result<void> Manager::add_process(pid_t pid) {
  for (auto& place : places_) {
    if (place.skipped) continue;
    auto written = write_file(place.dir, "cgroup.procs", std::to_string(pid));
    if (!written) {
      // Rootless: a cgroup the container's create could not make (exec joins what exists).
      const int err = written.error().errno_value();
      if (options_.rootless && (is_permission_error(err) || err == ENOENT)) {
        place.skipped = true;
        continue;
      }
      return std::unexpected(
          std::move(written.error()).context("add process " + std::to_string(pid) + " to cgroup"));
    }
  }
  return {};
}

Result<void> Manager::apply(const oci::Resources& resources) {
  bool have_v2 =
      std::any_of(places_.begin(), places_.end(), [](const Place& p) { return p.hierarchy.v2; });
  for (Section section : requested_sections(resources)) {
    const Active* found = nullptr;
    for (const auto& a : active_)
      if (a.controller->section() == section) found = &a;
    std::string setting = std::string("linux.resources.") + to_string(section);
    if (!found) {
      if (section == Section::kUnified && !have_v2)
        return fail(setting + " needs cgroup v2, and this host has only cgroup v1");
      return fail(setting + " needs the " +
                  controller_for(section, have_v2 && layout_ == Layout::kV2) +
                  " cgroup controller, which is not available on this host");
    }
    if (places_[found->place].skipped && !best_effort(section))
      return fail(setting + ": rootless and the cgroup " + places_[found->place].dir +
                  " could not be created or joined");
  }
  if (!resources.devices.empty()) KRILL_TRY(to_device_rules(resources.devices));
  for (const auto& a : active_) {
    if (!a.controller->applies(resources) || places_[a.place].skipped) continue;
    auto applied = a.controller->apply(places_[a.place].dir, resources);
    if (!applied && !best_effort(a.controller->section()))
      return std::unexpected(
          std::move(applied.error())
              .context(std::string("set linux.resources.") + to_string(a.controller->section())));
  }
  return {};
}

bool Manager::best_effort(Section section) const {
  return options_.rootless && section == Section::kDevices;
}

const Manager::Place* Manager::freezer_place() const {
  for (const auto& p : places_)
    if (!p.hierarchy.v2 && p.hierarchy.has("freezer") && !p.skipped) return &p;
  for (const auto& p : places_)
    if (p.hierarchy.v2 && !p.skipped) return &p;
  return nullptr;
}

Result<void> Manager::freeze_v1(const std::string& dir) {
  auto deadline = Clock::now() + kWaitLimit;
  for (int attempt = 0;; ++attempt) {
    // Writing again helps when a task was mid-fork while freezing.
    if (attempt % 50 == 0) KRILL_CHECK(write_file(dir, "freezer.state", "FROZEN"));
    if (KRILL_TRY(read_trimmed(dir, "freezer.state")) == "FROZEN") return {};
    if (Clock::now() > deadline) {
      (void)write_file(dir, "freezer.state", "THAWED");
      return fail("freeze cgroup " + dir + ": still FREEZING after 5s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Result<void> Manager::freeze_v2(const std::string& dir, bool freeze) {
  KRILL_CHECK(write_file(dir, "cgroup.freeze", freeze ? "1" : "0"));
  if (!path_exists(join_path(dir, "cgroup.events"))) return {};
  auto deadline = Clock::now() + kWaitLimit;
  for (;;) {
    auto events = KRILL_TRY(read_keyed(dir, "cgroup.events"));
    if ((events["frozen"] == 1) == freeze) return {};
    if (Clock::now() > deadline)
      return fail(std::string(freeze ? "freeze" : "thaw") + " cgroup " + dir +
                  ": not done after 5s");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Result<void> Manager::freeze() {
  const Place* place = freezer_place();
  if (!place) return fail("freeze: no freezer cgroup is available on this host");
  if (options_.rootless && !path_exists(place->dir))
    return fail("freeze: the container has no freezer cgroup of its own (rootless, and " +
                place->dir + " could not be made)");
  if (place->hierarchy.v2) return freeze_v2(place->dir, true);
  return freeze_v1(place->dir);
}

Result<void> Manager::thaw() {
  const Place* place = freezer_place();
  if (!place) return fail("thaw: no freezer cgroup is available on this host");
  if (place->hierarchy.v2) return freeze_v2(place->dir, false);
  return write_file(place->dir, "freezer.state", "THAWED");
}

Result<bool> Manager::frozen() {
  const Place* place = freezer_place();
  if (!place) return fail("frozen: no freezer cgroup is available on this host");
  if (!place->hierarchy.v2) return KRILL_TRY(read_trimmed(place->dir, "freezer.state")) == "FROZEN";
  if (path_exists(join_path(place->dir, "cgroup.events")))
    return KRILL_TRY(read_keyed(place->dir, "cgroup.events"))["frozen"] == 1;
  return KRILL_TRY(read_trimmed(place->dir, "cgroup.freeze")) == "1";
}

Result<std::vector<pid_t>> Manager::pids() {
  std::set<pid_t> all;
  for (const auto& place : places_)
    if (!place.skipped && path_exists(place.dir)) collect_pids(place.dir, all);
  return std::vector<pid_t>(all.begin(), all.end());
}

Result<Stats> Manager::stats() {
  Stats stats;
  for (const auto& a : active_) {
    const Place& place = places_[a.place];
    if (place.skipped || !path_exists(place.dir)) continue;
    KRILL_CHECK_CTX(a.controller->stats(place.dir, stats),
                    std::string("read ") + a.controller->name() + " statistics");
  }
  return stats;
}

Result<void> Manager::signal_all(int sig) {
  for (pid_t pid : KRILL_TRY(pids())) {
    if (::kill(pid, sig) != 0 && errno != ESRCH)
      return fail_errno("send signal " + std::to_string(sig) + " to process " +
                        std::to_string(pid));
  }
  return {};
}

Result<void> Manager::wait_until_empty() {
  auto deadline = Clock::now() + kWaitLimit;
  for (;;) {
    auto left = KRILL_TRY(pids());
    if (left.empty()) return {};
    if (Clock::now() > deadline)
      return fail("destroy cgroup: " + std::to_string(left.size()) +
                  " processes still running after SIGKILL (first: " + std::to_string(left[0]) +
                  ")");
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<void> Manager::destroy() {
  bool exists = std::any_of(places_.begin(), places_.end(),
                            [](const Place& p) { return !p.skipped && path_exists(p.dir); });
  if (exists) {
    const Place* freezer = freezer_place();
    bool froze = freezer && path_exists(freezer->dir) && freeze().has_value();
    auto killed = signal_all(SIGKILL);
    if (froze) (void)thaw();
    KRILL_CHECK(killed);
    KRILL_CHECK(wait_until_empty());
    for (const auto& place : places_)
      if (!place.skipped) KRILL_CHECK(remove_cgroup_tree(place.dir));
  }
  // Parents this object created, deepest first; they may be shared with other
  // containers, so only empty ones go.
  for (auto& place : places_) {
    for (auto it = place.created.rbegin(); it != place.created.rend(); ++it)
      if (*it != place.dir) ::rmdir(it->c_str());
    place.created.clear();
  }
  return {};
}

Result<void> Manager::destroy_emptied() {
  for (const auto& place : places_) {
    if (place.skipped || ::rmdir(place.dir.c_str()) == 0 || errno == ENOENT) continue;
    if (errno != EBUSY && errno != ENOTEMPTY) return fail_errno("remove cgroup " + place.dir);
    return destroy();
  }
  return destroy();  // only the parents this object created are left
}

std::vector<std::string> Manager::paths() const {
  std::vector<std::string> dirs;
  for (const auto& place : places_)
    if (!place.skipped) dirs.push_back(place.dir);
  return dirs;
}

Result<OomWatch> Manager::watch_oom() const {
  for (const auto& place : places_)
    if (!place.skipped && !place.hierarchy.v2 && place.hierarchy.has("memory"))
      return OomWatch::open(place.dir, false);
  for (const auto& place : places_)
    if (!place.skipped && place.hierarchy.v2 && place.hierarchy.has("memory"))
      return OomWatch::open(place.dir, true);
  return fail("no memory cgroup for OOM events");
}

}  // namespace krill::cgroups
