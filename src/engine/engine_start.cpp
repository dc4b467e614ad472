// Engine::start: mount the snapshot, generate the OCI bundle, start krill-monitor (which creates
// the container through the runtime), then `<runtime> start` — after the attach client has
// connected for attached starts, so no output is missed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/file_io.h"
#include "base/process_stat.h"
#include "base/tree_chown.h"
#include "engine/engine_health.h"
#include "engine/engine_internal.h"
#include "engine/spec_builder.h"
#include "engine/userns_auto.h"
#include "engine/volumes.h"
#include "image/snapshot.h"
#include "oci/spec_json.h"

namespace krill::engine {
namespace {

std::string not_found_suffix(const std::string& message) {
  int code = exit_status_for_start_error(Error(message));
  if (code == 127) return ": OCI runtime attempted to invoke a command that was not found";
  if (code == 126) return ": OCI permission denied";
  return "";
}

// podman's :U: the source of each such bind mount or volume is given, recursively, to the
// container's user (its ids as this process sees them: rootless krill runs in the user's
// namespace) before every start. A tmpfs is made with that owner instead (spec_mounts.cpp).
// With --userns=auto a mount seen without the container's id maps (a plain bind mount, not an
// `idmap` volume) gets the user's host ids.
Result<void> chown_requested_sources(const ContainerConfig& config, const oci::Spec& spec) {
  if (!spec.process) return {};
  for (const auto& request : config.mounts) {
    if (!request.chown || request.type == "tmpfs") continue;
    for (const auto& mount : spec.mounts) {
      if (mount.destination != request.destination || mount.source.empty()) continue;
      const bool seen_through_maps =
          std::find(mount.options.begin(), mount.options.end(), "idmap") != mount.options.end();
      uid_t uid = spec.process->user.uid;
      gid_t gid = spec.process->user.gid;
      if (!config.uid_map.empty() && !seen_through_maps) {
        uid = static_cast<uid_t>(outside_id(config.uid_map, uid).value_or(uid));
        gid = static_cast<gid_t>(outside_id(config.gid_map, gid).value_or(gid));
      }
      if (auto given = chown_tree(mount.source, uid, gid); !given)
        return std::unexpected(std::move(given.error()).context(request.destination + ":U"));
    }
  }
  return {};
}

}  // namespace

Result<StartOutcome> Engine::start(const std::string& name_or_id, const StartRequest& request) {
  auto found = KRILL_TRY(store_->find(name_or_id));
  auto lock = KRILL_TRY(ContainerLock::acquire(options_.store_root, found.id));
  auto current = store_->find(found.id);
  if (!current) {  // removed meanwhile
    lock.unlink_file();
    return std::unexpected(current.error());
  }
  auto record = KRILL_TRY(reconcile_locked(*current));
  return start_locked(std::move(record), request, lock);
}

Result<StartOutcome> Engine::start_locked(ContainerRecord record, const StartRequest& request,
                                          ContainerLock& lock) {
  if (record.status == ContainerStatus::kRunning) {
    StartOutcome outcome{record, std::nullopt};
    lock.release();
    if (request.attach) {
      outcome.attach =
          KRILL_TRY(monitor::attach(run_dir(record.id) + "/attach.sock", *request.attach));
    }
    return outcome;
  }
  if (record.status == ContainerStatus::kPaused)
    return fail("cannot start paused container " + record.id +
                ": use unpause: container state improper");
  if (record.status == ContainerStatus::kRemoving)
    return fail("container " + record.id + " is being removed: container state improper");

  const std::string id = record.id;
  const std::string rundir = run_dir(id);
  // krill's own sockets work at any path length (bound through /proc/self/fd); another runtime
  // (runc) connects to the console socket by its plain path, limited to sun_path's 107 bytes.
  RuntimeBinary runtime_binary = runtime_for(record.config);
  const size_t console_socket = rundir.size() + std::string("/console.sock").size();
  if (record.config.tty && !record.config.runtime.empty() && console_socket > 107)
    return fail("run root " + options_.run_root + " is too long for " + runtime_binary.path +
                ": its console socket path exceeds 107 bytes; use a shorter --runroot (at most " +
                std::to_string(options_.run_root.size() - (console_socket - 107)) + " characters)");
  if (::access(rundir.c_str(), F_OK) == 0) (void)remove_all(rundir);
  // A leftover runtime state (crash, reboot without clearing /run) would make create fail.
  if (::access((runtime_for(record.config).root + "/" + id).c_str(), F_OK) == 0)
    (void)run_runtime(record.config, {"delete", "--force", id});

  auto image_config = KRILL_TRY(image_container_config(*images_, record.config.image_id));
  auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(id)));
  std::string rootfs = snapshot.rootfs_dir();
  bool mounted_here = false;
  // A --userns=auto container's rootfs must be the id-mapped overlay; one `krill mount` left is
  // the plain one.
  if (!record.config.uid_map.empty() && is_mount_point(rootfs)) KRILL_CHECK(unmount_path(rootfs));
  if (snapshot.driver() != "vfs" && !is_mount_point(rootfs)) {
    auto mounted = KRILL_TRY(snapshot.mount(record.config.uid_map, record.config.gid_map));
    mounted.release();  // the container's rootfs until its clean-up unmounts it
    mounted_here = true;
  }
  auto fail_start = [&](Error error, int exit_code) -> Result<StartOutcome> {
    (void)release_network(id);
    if (mounted_here || is_mount_point(rootfs)) (void)unmount_path(rootfs);
    (void)remove_all(rundir);
    std::string message = error.message();
    (void)store_->modify(id, [&](ContainerRecord& r) -> Result<void> {
      r.error = message;
      r.exit_code = exit_code;
      if (r.status != ContainerStatus::kCreated) r.status = ContainerStatus::kExited;
      r.finished_ns = now_ns();
      return {};
    });
    return std::unexpected(std::move(error));
  };

  SpecInputs inputs;
  inputs.id = id;
  inputs.config = record.config;
  inputs.image_config = image_config;
  inputs.rootfs = rootfs;
  inputs.userdata_dir = userdata_dir(id);
  inputs.rootless = options_.rootless;
  if (options_.rootless) {
    auto shared = current_shared_user_namespace();
    if (!shared) return fail_start(shared.error(), 125);
    inputs.shared_user_namespace = std::move(*shared);
  }
  for (const auto& mount : record.config.mounts) {
    if (mount.type != "volume") continue;
    auto volume = ensure_volume(*store_, options_.store_root, mount.source);
    if (!volume) return fail_start(volume.error(), 125);
    std::string host_path = volume->mountpoint;
    VolumeManager volumes(*store_, options_.store_root);
    // The image's content at the mount point, resolved inside the rootfs (an image's symlink
    // must not make the copy read the host).
    auto image_dir = open_in_root(rootfs, mount.destination, O_PATH | O_DIRECTORY);
    if (image_dir) {
      const std::string source = "/proc/self/fd/" + std::to_string(image_dir->get()) + "/.";
      const SourceIdMaps maps{record.config.uid_map, record.config.gid_map};
      if (auto copied = volumes.populate_from(volume->name, source,
                                              record.config.uid_map.empty() ? nullptr : &maps);
          !copied)
        return fail_start(copied.error(), 125);
    } else if (image_dir.error().errno_value() != ENOENT &&
               image_dir.error().errno_value() != ENOTDIR) {
      return fail_start(image_dir.error(), 125);
    }
    inputs.volumes.push_back(ResolvedVolume{host_path, mount.destination, mount.read_only});
  }
  if (record.config.init) {
    auto init = find_init_binary(record.config.init_path);
    if (!init) return fail_start(init.error(), 125);
    inputs.init_path = *init;
  }
  auto network_setup = setup_network(record, image_config);
  if (!network_setup) return fail_start(network_setup.error(), 125);
  inputs.network_namespace_path = network_setup->netns_path;
  inputs.network_addresses = network_setup->addresses;
  inputs.network_gateway = network_setup->gateway;
  inputs.network_peer_hosts = network_setup->peer_hosts;
  auto built = build_spec(inputs);
  if (!built) return fail_start(built.error(), 125);
  if (request.on_warning)
    for (const auto& warning : built->warnings) request.on_warning(warning);
  if (auto given = chown_requested_sources(record.config, built->spec); !given)
    return fail_start(given.error(), 125);
  std::string bundle = userdata_dir(id);
  if (!record.config.uid_map.empty()) {
    const std::string userdata = userdata_dir(id);
    auto opened = open_paths_to_container_root(
        {options_.store_root, options_.store_root + "/containers"},
        {container_dir(id), userdata, snapshot_dir(id)},
        {userdata + "/hosts", userdata + "/hostname", userdata + "/resolv.conf"},
        record.config.uid_map, record.config.gid_map);
    if (!opened) return fail_start(opened.error(), 125);
  }
  // Made again on every start (from the record, which is in the database): no fsync.
  if (auto written = write_file_atomic(bundle + "/config.json", oci::spec_to_json(built->spec),
                                       0600, Durability::kVolatile);
      !written)
    return fail_start(written.error(), 125);

  // A peer that started between our network set-up and the hosts file just written is in no
  // section yet: bring every section up to date now the file exists.
  if (!network_setup->netns_path.empty() && !network_setup->addresses.empty()) update_peer_hosts();
  if (auto made = mkdir_all(rundir, 0700); !made) return fail_start(made.error(), 125);
  RuntimeBinary runtime = runtime_for(record.config);
  if (runtime.path.find('/') == std::string::npos)
    return fail_start(Error("OCI runtime \"" + runtime.path + "\" not found in $PATH"), 125);
  monitor::MonitorConfig monitor_config;
  monitor_config.id = id;
  monitor_config.bundle = bundle;
  monitor_config.run_dir = rundir;
  monitor_config.runtime_path = runtime.path;
  monitor_config.runtime_root = runtime.root;
  monitor_config.tty = record.config.tty;
  monitor_config.stdin_open = record.config.interactive;
  monitor_config.log_driver = record.config.log_driver;
  monitor_config.log_path = record.config.log_driver == "none" ? "" : log_path(record);
  if (auto it = record.config.log_options.find("max-size"); it != record.config.log_options.end())
    if (auto size = parse_byte_size(it->second)) monitor_config.log_max_size = *size;
  if (auto it = record.config.log_options.find("max-file"); it != record.config.log_options.end())
    monitor_config.log_max_files = std::max(1, std::atoi(it->second.c_str()));
  monitor_config.exit_command.push_back(options_.krill_binary);
  for (const auto& arg : options_.exit_command_global_args)
    monitor_config.exit_command.push_back(arg);
  for (const char* arg : {"container", "cleanup", ""}) monitor_config.exit_command.push_back(arg);
  monitor_config.exit_command.back() = id;
  auto has_healthcheck = prepare_health(*this, record, image_config);
  if (!has_healthcheck) return fail_start(has_healthcheck.error(), 125);
  std::string monitor_json = rundir + "/monitor.json";
  if (auto written =
          write_file_atomic(monitor_json, monitor::monitor_config_to_json(monitor_config), 0600,
                            Durability::kVolatile);
      !written)
    return fail_start(written.error(), 125);

  auto launched = launch_monitor(options_.helper_dir + "/krill-monitor", monitor_json);
  if (!launched) return fail_start(launched.error(), 125);
  if (!launched->ready.error.empty()) {
    std::string message = launched->ready.error;
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    if (message.starts_with("Error: ")) message.erase(0, 7);
    message += not_found_suffix(message);
    return fail_start(Error(message), exit_status_for_start_error(Error(message)));
  }

  uint64_t ticks = process_start_time(launched->monitor_pid).value_or(0);
  auto running = store_->modify(id, [&](ContainerRecord& r) -> Result<void> {
    r.status = ContainerStatus::kRunning;
    r.pid = launched->ready.container_pid;
    r.monitor_pid = launched->monitor_pid;
    r.monitor_start_ticks = ticks;
    r.started_ns = now_ns();
    r.finished_ns = 0;
    r.exit_code = 0;
    r.oom_killed = false;
    r.error.clear();
    r.boot_id = current_boot_id();
    r.stopped_by_user = false;
    return {};
  });
  if (!running) {
    (void)run_runtime(record.config, {"delete", "--force", id});
    return std::unexpected(running.error());
  }
  reset_health(*this, *running, *has_healthcheck);

  auto runtime_start = [&]() -> Result<void> {
    auto started = run_runtime(record.config, {"start", id});
    // A container that exits at once can be gone before `start` returns: runc's start then
    // fails on its exec fifo, which the monitor's `runc delete` removed. The monitor's exit
    // record (written before that delete) proves that it ran.
    bool ran = started && started->exit_code != 0 && [&] {
      auto exit = monitor::read_exit_record(rundir);
      return exit && exit->has_value();
    }();
    if (!ran && (!started || started->exit_code != 0)) {
      std::string message = started ? runtime_error_text(*started) : started.error().message();
      (void)run_runtime(record.config, {"delete", "--force", id});
      (void)store_->modify(id, [&](ContainerRecord& r) -> Result<void> {
        r.error = message;
        return {};
      });
      lock.release();
      return fail("start container " + id + ": " + message);
    }
    lock.release();
    if (request.on_running) request.on_running(*running);
    return {};
  };

  StartOutcome outcome{*running, std::nullopt};
  if (!request.attach) {
    KRILL_CHECK(runtime_start());
    return outcome;
  }
  std::string socket = rundir + "/attach.sock";
  for (int i = 0; i < 200 && ::access(socket.c_str(), F_OK) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto attached = monitor::attach(socket, *request.attach, runtime_start);
  if (!attached) {
    // Never started (or the monitor went away): make sure the container does not linger.
    (void)run_runtime(record.config, {"delete", "--force", id});
    return std::unexpected(attached.error());
  }
  outcome.attach = *attached;
  return outcome;
}

}  // namespace krill::engine
