// The engine's filesystem verbs: the container's rootfs on the host (cp, export), its changes
// (diff), commit (the changes as a new image layer) and stats (the runtime's events --stats).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/file_io.h"
#include "base/process_stat.h"
#include "base/unique_fd.h"
#include "engine/config_change.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "image/digest.h"
#include "image/layer_file.h"
#include "image/media_types.h"
#include "image/snapshot.h"
#include "oci/spec_json.h"

namespace krill::engine {

using nlohmann::json;

namespace {

bool is_whiteout(const std::string& path, const struct stat& st) {
  if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) return true;
  if (!S_ISREG(st.st_mode) || st.st_size != 0) return false;
  char value[8];
  for (const char* name : {"trusted.overlay.whiteout", "user.overlay.whiteout"})
    if (::lgetxattr(path.c_str(), name, value, sizeof value) >= 0) return true;
  return false;
}

bool exists_in_lower(const std::vector<std::string>& lower_dirs, const std::string& rel) {
  struct stat st {};
  for (const auto& dir : lower_dirs) {
    std::string p = dir + rel;
    if (::lstat(p.c_str(), &st) == 0) return !is_whiteout(p, st);
  }
  return false;
}

void walk_upper(const std::string& upper, const std::string& rel,
                const std::vector<std::string>& lower_dirs,
                std::vector<std::pair<char, std::string>>& out) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(upper + rel, ec))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string child = rel + "/" + name;
    std::string host = upper + child;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) continue;
    if (is_whiteout(host, st)) {
      out.emplace_back('D', child);
      continue;
    }
    out.emplace_back(exists_in_lower(lower_dirs, child) ? 'C' : 'A', child);
    if (S_ISDIR(st.st_mode)) walk_upper(upper, child, lower_dirs, out);
  }
}

// Env entries of `base` with `overrides` replacing the same keys (order kept, new ones last).
json merged_env(const json& base, const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  if (base.is_array())
    for (const auto& e : base)
      if (e.is_string()) env.push_back(e.get<std::string>());
  for (const auto& entry : overrides) {
    std::string key = entry.substr(0, entry.find('='));
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
    if (it != env.end())
      *it = entry;
    else
      env.push_back(entry);
  }
  return env;
}

// The changes without the engine's mount points (Docker and podman do not list them): the
// destinations of the mounts the container last ran with, what is below them, and directories
// that changed only to hold them (e.g. /etc for /etc/hosts, /run for /run/podman-init).
std::vector<std::pair<char, std::string>> without_mount_points(
    std::vector<std::pair<char, std::string>> changes, const std::set<std::string>& mount_points) {
  if (mount_points.empty()) return changes;
  auto under_mount = [&](const std::string& path) {
    for (const auto& m : mount_points)
      if (path == m || (path.size() > m.size() && path.starts_with(m) && path[m.size()] == '/'))
        return true;
    return false;
  };
  std::set<std::string> holders;  // the parent directories of mount points
  for (std::string m : mount_points)
    for (auto slash = m.rfind('/'); slash != std::string::npos && slash > 0; slash = m.rfind('/')) {
      m.resize(slash);
      holders.insert(m);
    }
  // Backwards: a directory's descendants follow it (walk_upper is depth first), so whether one
  // of them stays is known when the directory is reached.
  std::vector<std::pair<char, std::string>> kept;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    const std::string& path = it->second;
    if (under_mount(path)) continue;
    if (it->first != 'D' && holders.count(path)) {
      bool has_kept_child = !kept.empty() && kept.back().second.starts_with(path + "/");
      if (!has_kept_child) continue;
    }
    kept.push_back(*it);
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

class TempPath {
 public:
  explicit TempPath(std::string path) : path_(std::move(path)) {}
  ~TempPath() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<void> Engine::with_rootfs(
    const std::string& name_or_id,
    const std::function<Result<void>(const ContainerRecord&, const std::string&)>& fn) {
  auto record = KRILL_TRY(find(name_or_id));
  auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(record.id)));
  std::string rootfs = snapshot.rootfs_dir();
  if (is_live(record.status) || snapshot.driver() == "vfs") return fn(record, rootfs);
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, record.id));
  record = KRILL_TRY(store_->find(record.id));  // not find(): reconcile takes the lock
  if (is_live(record.status) || is_mount_point(rootfs)) return fn(record, rootfs);
  auto mounted = KRILL_TRY(snapshot.mount());
  auto result = fn(record, rootfs);
  auto unmounted = mounted.unmount();
  if (!result) return result;
  return unmounted;
}

Result<void> Engine::with_container_root(
    const std::string& name_or_id,
    const std::function<Result<void>(const ContainerRecord&, const PathRoot&)>& fn) {
  auto record = KRILL_TRY(find(name_or_id));
  std::string what = "container " + name_or_id;
  bool running =
      record.status == ContainerStatus::kRunning || record.status == ContainerStatus::kPaused;
  if (running && record.pid > 0) {
    auto root = contained_root("/proc/" + std::to_string(record.pid) + "/root", what);
    // Opened while the record still names that process: the fd keeps that root either way.
    auto again = store_->find(record.id);
    if (root && again && again->pid == record.pid && again->status == record.status &&
        process_alive(record.monitor_pid, record.monitor_start_ticks))
      return fn(*again, *root);
  }
  return with_rootfs(
      record.id, [&](const ContainerRecord& current, const std::string& rootfs) -> Result<void> {
        auto root = KRILL_TRY(contained_root(rootfs, what));
        return fn(current, root);
      });
}

namespace {

// A container path made absolute and lexically clean: "a//b/../c/" -> "/a/c".
std::string clean_path(const std::string& path) {
  std::string clean = std::filesystem::path("/" + path).lexically_normal().string();
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  return clean;
}

// "/data/sub/f" within the mount at "/data": "/sub/f"; nullopt when it is not below it.
std::optional<std::string> path_below(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return path;
  if (path == mount_point) return std::string("/");
  if (path.starts_with(mount_point) && path[mount_point.size()] == '/')
    return path.substr(mount_point.size());
  return std::nullopt;
}

}  // namespace

Result<void> Engine::with_container_path(
    const std::string& name_or_id, const std::string& container_path,
    const std::function<Result<void>(const ContainerRecord&, const PathRoot&, const std::string&)>&
        fn) {
  auto record = KRILL_TRY(find(name_or_id));
  const std::string path = clean_path(container_path);
  if (!is_live(record.status)) {
    // The innermost volume or bind mount that holds the path (tmpfs is gone with the run).
    const MountRequest* holder = nullptr;
    std::string inside;
    for (const auto& m : record.config.mounts) {
      if (m.type != "volume" && m.type != "bind") continue;
      auto below = path_below(path, clean_path(m.destination));
      if (!below || (holder && holder->destination.size() >= m.destination.size())) continue;
      holder = &m;
      inside = *below;
    }
    if (holder) {
      std::string source = holder->type == "volume"
                               ? options_.store_root + "/volumes/" + holder->source + "/_data"
                               : holder->source;
      struct stat st {};
      if (inside == "/" && ::stat(source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        // A file bind-mounted on its own: its directory is the root.
        inside = "/" + source.substr(source.rfind('/') + 1);
        source = source.substr(0, source.rfind('/'));
        if (source.empty()) source = "/";
      }
      // cp's trailing "/." (the directory's contents) and "/" (must be a directory) stay.
      if (container_path.ends_with("/."))
        inside += inside == "/" ? "." : "/.";
      else if (container_path.ends_with("/") && inside != "/")
        inside += "/";
      auto root = KRILL_TRY(contained_root(source, "container " + name_or_id + " (" + holder->type +
                                                       " at " + holder->destination + ")"));
      return fn(record, root, inside);
    }
  }
  return with_container_root(name_or_id, [&](const ContainerRecord& current, const PathRoot& root) {
    return fn(current, root, container_path);
  });
}

Result<std::string> Engine::mount(const std::string& name_or_id) {
  auto record = KRILL_TRY(find(name_or_id));
  auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(record.id)));
  std::string rootfs = snapshot.rootfs_dir();
  if (snapshot.driver() == "vfs") return rootfs;
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, record.id));
  if (is_mount_point(rootfs)) return rootfs;
  auto mounted = KRILL_TRY(snapshot.mount());
  mounted.release();
  return rootfs;
}

Result<void> Engine::unmount(const std::string& name_or_id) {
  auto found = KRILL_TRY(find(name_or_id));
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, found.id));
  // Checked under the lock: a start cannot slip in between.
  auto record = KRILL_TRY(reconcile_locked(KRILL_TRY(store_->find(found.id))));
  if (is_live(record.status))
    return fail("container " + record.id + " is running: stop it before unmounting");
  auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(record.id)));
  if (snapshot.driver() == "vfs") return {};
  return unmount_path(snapshot.rootfs_dir());
}

Result<std::vector<std::pair<char, std::string>>> Engine::changes(const std::string& name_or_id) {
  auto record = KRILL_TRY(find(name_or_id));
  auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(record.id)));
  // vfs: the changes since the snapshot was made, as an upper dir (image/tree_diff).
  auto changes = image::SnapshotChanges::open(snapshot);
  if (!changes) return std::unexpected(std::move(changes.error()).context("diff " + name_or_id));
  std::vector<std::pair<char, std::string>> out;
  walk_upper(changes->upper(), "", snapshot.lower_dirs(), out);
  // The spec it last ran with (none: it never started, so no mount point was made).
  std::set<std::string> mount_points;
  if (auto spec = oci::load_spec_file(userdata_dir(record.id) + "/config.json"))
    for (const auto& mount : spec->mounts) {
      std::string destination = mount.destination;
      while (destination.size() > 1 && destination.back() == '/') destination.pop_back();
      if (!destination.empty() && destination.front() == '/' && destination != "/")
        mount_points.insert(destination);
    }
  return without_mount_points(std::move(out), mount_points);
}

Result<image::ImageRecord> Engine::commit(const std::string& name_or_id,
                                          const std::string& image_name, const std::string& message,
                                          const std::string& author,
                                          const std::vector<std::string>& changes, bool pause) {
  auto record = KRILL_TRY(find(name_or_id));
  auto found = KRILL_TRY(images_->find(record.config.image_id));
  if (!found)
    return fail("commit " + name_or_id + ": image " + record.config.image_id + " not found");
  const image::ImageRecord& base = *found;
  auto config_bytes = KRILL_TRY(images_->content().read_blob(base.id));
  json config = json::parse(config_bytes, nullptr, false);
  if (!config.is_object()) return fail("commit " + name_or_id + ": invalid image config");
  auto manifest_bytes = KRILL_TRY(images_->content().read_blob(base.manifest_digest));
  json manifest = json::parse(manifest_bytes, nullptr, false);
  if (!manifest.is_object() || !manifest["layers"].is_array())
    return fail("commit " + name_or_id + ": invalid image manifest");

  // The layer: the upper dir as a tar in a temp file (paused while it is read).
  auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(record.id)));
  std::string temp_template = images_->root() + "/commit-XXXXXX";
  int raw = ::mkstemp(temp_template.data());
  if (raw < 0) return fail_errno("commit " + name_or_id + ": create temp file");
  TempPath temp(temp_template);
  UniqueFd temp_fd(raw);
  bool paused_here = false;
  if (pause && record.status == ContainerStatus::kRunning) {
    KRILL_CHECK(this->pause(record.id));
    paused_here = true;
  }
  auto diff = image::snapshot_diff(snapshot, temp_fd.get(), image::DiffOptions{});
  if (paused_here) (void)this->unpause(record.id);
  if (!diff) return std::unexpected(diff.error());
  temp_fd.reset();

  auto stored = KRILL_TRY(
      image::store_layer_file(*images_, temp.path(), std::string(image::media_types::kOciLayer)));
  const image::Descriptor& layer = stored.blob;
  const image::Digest& diff_id = stored.diff_id;

  // The config: the container's overrides, then --change.
  json& cc = config["config"];
  if (!cc.is_object()) cc = json::object();
  const ContainerConfig& c = record.config;
  if (c.entrypoint) cc["Entrypoint"] = *c.entrypoint;
  if (!c.command.empty()) cc["Cmd"] = c.command;
  if (!c.env.empty()) cc["Env"] = merged_env(cc.value("Env", json::array()), c.env);
  if (!c.working_dir.empty()) cc["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) cc["User"] = c.user;
  for (const auto& [k, v] : c.labels) cc["Labels"][k] = v;
  for (const auto& change : changes) KRILL_CHECK(apply_config_change(cc, change));

  int64_t now = now_ns();
  std::string created = format_rfc3339_nano(now / 1000000000, static_cast<long>(now % 1000000000));
  config["created"] = created;
  if (!author.empty()) config["author"] = author;
  if (!config["rootfs"].is_object()) config["rootfs"] = {{"type", "layers"}};
  config["rootfs"]["diff_ids"].push_back(diff_id.str());
  json history = {{"created", created}};
  if (!author.empty()) history["author"] = author;
  if (!message.empty()) history["comment"] = message;
  history["created_by"] = "krill commit " + record.id.substr(0, 12);
  config["history"].push_back(history);
  std::string new_config = config.dump();

  manifest["mediaType"] = image::media_types::kOciManifest;
  manifest["config"] = {{"mediaType", image::media_types::kOciConfig},
                        {"digest", image::sha256_of(new_config).str()},
                        {"size", new_config.size()}};
  manifest["layers"].push_back(
      {{"mediaType", layer.media_type}, {"digest", layer.digest.str()}, {"size", layer.size}});
  image::ManifestBlob blob;
  blob.bytes = manifest.dump();
  blob.media_type = std::string(image::media_types::kOciManifest);
  return images_->add_image(
      blob, new_config,
      image_name.empty() ? std::vector<std::string>{} : std::vector<std::string>{image_name});
}

Result<std::string> Engine::stats_json(const std::string& name_or_id) {
  auto record = KRILL_TRY(find(name_or_id));
  if (!is_live(record.status)) return fail("container " + name_or_id + " is not running");
  auto output = KRILL_TRY(run_runtime(record.config, {"events", "--stats", record.id}));
  if (output.exit_code != 0) return fail("stats " + name_or_id + ": " + runtime_error_text(output));
  return output.out;
}

}  // namespace krill::engine
