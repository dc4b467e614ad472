// The daemonless engine: containers' lifecycle over the container database
// (engine/container_store.h), the image store's snapshots, krill-monitor (one per running
// container, monitor/monitor_protocol.h) and an OCI runtime binary (krill-runtime, runc, crun).
//
// Every command is a short-lived process; state lives in the database and in the run root.
// Operations that change one container (start, stop, cleanup, remove) hold its lock
// (<store_root>/engine/locks/<id>, flock) so that many krill processes at once stay consistent.
// Reads reconcile first (exit.json written, monitor gone, reboot): see reconcile().
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/container_config.h"
#include "engine/container_record.h"
#include "engine/container_store.h"
#include "engine/tar_tree.h"
#include "image/image_store.h"
#include "monitor/monitor_protocol.h"
#include "network/container_network.h"
#include "network/network_store.h"

namespace krill::engine {

class ContainerLock;

// Marks a container that `network disconnect` took off its last network (its mode is then
// "none", but `network connect` may add networks again).
inline constexpr const char* kDisconnectedAnnotation = "io.krill.network.disconnected";

// Network aliases are host names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253 bytes (they end up
// in other containers' /etc/hosts). EINVAL naming the alias otherwise.
Result<void> validate_aliases(const std::vector<std::string>& aliases);

struct EngineOptions {
  std::string store_root;
  std::string run_root;
  bool rootless = false;
  std::string storage_driver = "overlay";  // "overlay" | "vfs"
  // The krill binary the monitor runs as its exit command ("" = /proc/self/exe) and the global
  // flags it needs (--root R --runroot RR ...).
  std::string krill_binary;
  std::vector<std::string> exit_command_global_args;
  // Where krill-monitor and krill-runtime are ("" = the directory of krill_binary).
  std::string helper_dir;
};

// A resolved OCI runtime binary and the --root it keeps its state in.
struct RuntimeBinary {
  std::string path;
  std::string root;
};

struct RuntimeOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

struct StartRequest {
  // Attached start (`run` without -d, `start -a`): streams until the container exits or the user
  // detaches. nullopt: detached.
  std::optional<monitor::AttachStreams> attach;
  // Runs once the container is running (the runtime's start succeeded), e.g. to install the
  // signal proxy.
  std::function<void(const ContainerRecord&)> on_running;
  // What the container gets less of than it asked for (a limit the host cannot enforce, an
  // option ignored), before it starts: the CLI prints these as podman's warnings.
  std::function<void(const std::string&)> on_warning;
};

struct StartOutcome {
  ContainerRecord record;
  std::optional<monitor::AttachResult> attach;  // for attached starts
};

struct ExecRequest {
  std::vector<std::string> args;
  bool tty = false;
  bool interactive = false;
  bool detach = false;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
  bool privileged = false;
};

// `wait --condition`: podman's words (stopped and exited are one; configured is created) and
// Docker's (not-running, next-exit, removed).
enum class WaitCondition {
  kStopped,     // stopped, exited (the default): exited; a created one is waited for to run
  kNotRunning,  // Docker's not-running: created or exited
  kNextExit,    // Docker's next-exit: the next exit after the wait began
  kRemoved,     // Docker's removed: the container is gone
  kCreated,     // created, configured
  kRunning,
  kPaused,
  kStopping,
  kRemoving,  // being removed (or already gone)
};
// Errors: "unknown container state: x: invalid argument"; healthy/unhealthy and initialized
// say why they are not supported.
Result<WaitCondition> parse_wait_condition(std::string_view name);
// True for the conditions whose wait ends with the exit code (the others print -1, as podman).
bool wait_condition_reports_exit(WaitCondition condition);

struct WaitRequest {
  std::vector<WaitCondition> conditions = {WaitCondition::kStopped};  // any one of them
  int interval_ms = 50;                                               // how often to look
};

// Why a start failed, as Docker's exit statuses: 127 (command not found), 126 (cannot invoke),
// 125 (anything else).
int exit_status_for_start_error(const Error& error);

// The image's config (config.config) for a container's image; {} when the image is gone.
Result<image::ContainerConfig> image_container_config(image::ImageStore& images,
                                                      const std::string& image_id);

class Engine {
 public:
  static Result<Engine> open(EngineOptions options);
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  const EngineOptions& options() const { return options_; }
  ContainerStore& store() { return *store_; }
  image::ImageStore& images() { return *images_; }

  // Paths of a container's files.
  std::string container_dir(const std::string& id) const;  // <store>/containers/<id>
  std::string userdata_dir(const std::string& id) const;
  std::string snapshot_dir(const std::string& id) const;
  std::string run_dir(const std::string& id) const;  // <run_root>/containers/<id>
  std::string log_path(const ContainerRecord& record) const;
  RuntimeBinary runtime_for(const ContainerConfig& config) const;

  // By name, id or unique id prefix, reconciled. Error "no container with name or ID \"x\"
  // found: no such container".
  Result<ContainerRecord> find(const std::string& name_or_id);
  // Every container, oldest first, reconciled.
  Result<std::vector<ContainerRecord>> list();

  // A new container (status created) with its snapshot and userdata dir. `name` "" = generated.
  // On any failure nothing is left behind.
  Result<ContainerRecord> create(ContainerConfig config, const std::string& name);
  Result<StartOutcome> start(const std::string& name_or_id, const StartRequest& request = {});
  // The exit status of a start that failed with `error`: the one start recorded with the error
  // (125 for the engine's own failures, such as a seccomp profile that is missing; 126/127 when
  // the runtime could not invoke the command), or what the message says when nothing is recorded.
  int start_error_status(const std::string& name_or_id, const Error& error);
  // Stop signal, `timeout_seconds` (nullopt: the container's --stop-timeout, else 10), SIGKILL.
  Result<ContainerRecord> stop(const std::string& name_or_id,
                               std::optional<int> timeout_seconds = std::nullopt);
  Result<void> kill(const std::string& name_or_id, int signal);
  Result<void> pause(const std::string& name_or_id);
  Result<void> unpause(const std::string& name_or_id);
  Result<void> rename(const std::string& name_or_id, const std::string& new_name);
  // Blocks until the container is not running; returns its exit code.
  Result<int> wait(const std::string& name_or_id);
  // Blocks until one of the request's conditions holds: the exit code when the one that held
  // reports it (wait_condition_reports_exit), else -1. The conditions are checked at once,
  // then every interval. Error "no such container" when it is removed while waiting for a
  // state it can then never reach.
  Result<int> wait(const std::string& name_or_id, const WaitRequest& request);
  // Removes the container (force: kills it first) and, with `volumes`, its anonymous volumes.
  Result<void> remove(const std::string& name_or_id, bool force, bool volumes);
  // The monitor's exit command: records the exit, unmounts, --rm, --restart.
  Result<void> cleanup(const std::string& id);
  // Runs a process in a running container with the caller's stdio; its exit status.
  Result<int> exec(const std::string& name_or_id, const ExecRequest& request);
  // `ps` of the container's processes: header + rows as text.
  Result<std::string> top(const std::string& name_or_id, const std::vector<std::string>& ps_args);

  // The runtime binary with `args` (after --root), stdout/stderr captured.
  Result<RuntimeOutput> run_runtime(const ContainerConfig& config,
                                    const std::vector<std::string>& args) const;

  // Brings a record up to date with the world (exit.json, monitor alive, boot id); writes the
  // change to the database. Returns the (possibly updated) record. reconcile() takes the
  // container's lock for the change (and leaves the record alone while another process holds
  // it); reconcile_locked() is for callers that hold it already.
  Result<ContainerRecord> reconcile(const ContainerRecord& record);
  Result<ContainerRecord> reconcile_locked(const ContainerRecord& record);

  // Filesystem verbs (engine_fs.cpp): cp, diff, export, commit, stats.
  // Runs `fn` with the container's root file system on the host: the mounted one while the
  // container runs, else its snapshot mounted for the call (under the container's lock) and
  // unmounted after.
  Result<void> with_rootfs(
      const std::string& name_or_id,
      const std::function<Result<void>(const ContainerRecord&, const std::string&)>& fn);
  // Runs `fn` with the container's root as a contained path root (tar_tree.h): while it runs,
  // its init's root (/proc/PID/root: the container's own view, with its volumes, tmpfs and
  // /etc files); else its root file system as with_rootfs.
  Result<void> with_container_root(
      const std::string& name_or_id,
      const std::function<Result<void>(const ContainerRecord&, const PathRoot&)>& fn);
  // The same for one path in the container (cp): a path of a stopped container that lies in a
  // volume or bind mount is read and written in the mount's source on the host (Docker's cp
  // sees a stopped container's volumes too); `fn` gets the root and the path inside it.
  Result<void> with_container_path(
      const std::string& name_or_id, const std::string& container_path,
      const std::function<Result<void>(const ContainerRecord&, const PathRoot&,
                                       const std::string&)>& fn);
  // `krill mount`: the container's root file system mounted (it stays mounted until `umount`,
  // the container's clean-up or its removal); returns the path.
  Result<std::string> mount(const std::string& name_or_id);
  // `krill umount`: unmounts it; an error while the container runs.
  Result<void> unmount(const std::string& name_or_id);
  // The container's changes to its image from the overlay upper dir, sorted by path: kind 'A'
  // (added), 'C' (changed) or 'D' (deleted) and the absolute path.
  Result<std::vector<std::pair<char, std::string>>> changes(const std::string& name_or_id);
  // A new image: the container's changes as a layer on top of its image, with the container's
  // Cmd/Entrypoint/Env/WorkingDir/User/Labels and `changes` (Dockerfile-like "CMD [...]").
  // `image_name` "" = untagged. `pause`: the container is paused during the diff.
  Result<image::ImageRecord> commit(const std::string& name_or_id, const std::string& image_name,
                                    const std::string& message, const std::string& author,
                                    const std::vector<std::string>& changes, bool pause);
  // runc's `events --stats` JSON document of a running container.
  Result<std::string> stats_json(const std::string& name_or_id);

  // Networks (engine_network.cpp). The store of networks, opened on first use.
  Result<network::NetworkStore*> networks();
  // A running container's network namespace, interfaces, addresses and published ports;
  // nullopt when it has none of its own (not running, none, host, container:, ns:).
  Result<std::optional<network::ContainerNetworkState>> network_state(
      const ContainerRecord& record);
  // `network connect`: a running container joins at once; a stopped one when it starts.
  Result<void> network_connect(const std::string& container, const NetworkRequest& request);
  // `network disconnect`.
  Result<void> network_disconnect(const std::string& container, const std::string& network);
  // `system check`: network state and namespaces no running container owns (a crash between
  // setup and the database, a monitor SIGKILLed). Each finding is one line; `repair` tears
  // them down.
  Result<std::vector<std::string>> check_networks(bool repair);
  // Removes a network no container uses: under the networks' attach lock, no live attachment
  // and no container configuration may name it (EBUSY "network x is being used by
  // container(s) ..."); then its file, its bridge and its leases' directory go.
  Result<void> network_remove(const network::NetworkConfig& network);
  // Containers (any state) whose configuration names the network.
  Result<std::vector<ContainerRecord>> network_users(const network::NetworkConfig& network);

 private:
  Engine() = default;
  Result<StartOutcome> start_locked(ContainerRecord record, const StartRequest& request,
                                    ContainerLock& lock);
  Result<void> remove_locked(const ContainerRecord& record, bool volumes);
  Result<void> wait_for_exit(const ContainerRecord& record, int timeout_ms);
  // What start needs from the networks: the namespace to join and the hosts-file entries.
  struct NetworkSetup {
    std::string netns_path;  // "" = a new namespace of the runtime's (none) or the host's
    std::vector<std::string> addresses;
    std::string gateway;  // of the first network
    std::string peer_hosts;
  };
  Result<NetworkSetup> setup_network(const ContainerRecord& record,
                                     const image::ContainerConfig& image_config);
  // Tears down what setup_network made (idempotent; cheap when there is nothing) and updates
  // the hosts files of the containers that shared its networks.
  Result<void> release_network(const std::string& id);
  Result<network::ContainerNetworks*> container_networks();
  void update_peer_hosts();

  EngineOptions options_;
  std::unique_ptr<ContainerStore> store_;
  std::unique_ptr<image::ImageStore> images_;
  std::unique_ptr<network::NetworkStore> networks_;
  std::unique_ptr<network::PluginExecutor> cni_executor_;
  std::unique_ptr<network::ContainerNetworks> container_networks_;
};

}  // namespace krill::engine
