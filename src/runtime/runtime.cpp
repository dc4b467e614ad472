#include "runtime/runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <optional>
#include <thread>

#include "base/fd_passing.h"
#include "base/file_io.h"
#include "base/process_stat.h"
#include "base/process_tree.h"
#include "base/user_namespace.h"
#include "oci/spec_json.h"
#include "runtime/cgroups/manager.h"
#include "runtime/container_created.h"
#include "runtime/container_launch.h"
#include "runtime/container_status.h"
#include "runtime/hooks.h"
#include "runtime/intel_rdt.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/terminal.h"
#include "runtime/state_store.h"

namespace krill::runtime {
namespace {

// A new pid namespace of the container's own: when its init has exited, the kernel has
// killed every other process in it.
bool owns_pid_namespace(const oci::Spec& spec) {
  if (!spec.linux_config) return false;
  const oci::Namespace* pid = spec.linux_config->find_namespace(oci::NamespaceType::kPid);
  return pid != nullptr && pid->path.empty();
}

Result<std::string> absolute_directory(const std::string& path, std::string_view what) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr)
    return fail_errno(std::string(what) + " " + path);
  struct stat st;
  if (::stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(std::string(what) + " " + path + " is not a directory");
  return std::string(resolved);
}

Result<cgroups::Manager> open_cgroup(const ContainerRecord& record) {
  cgroups::ManagerOptions options;
  options.rootless = record.rootless;
  options.caller_cgroups = record.creator_cgroups;
  return cgroups::Manager::open(record.cgroups_path, record.id, options);
}

// The listening socket the init accepts `start` on, bound before the init exists.
Result<UniqueFd> listen_start_socket(const std::string& path) {
  return listen_unix(path, SOCK_STREAM, 0, 1);
}

// Removes a half-created container's traces unless dismissed.
class CreateRollback {
 public:
  CreateRollback(StateStore& store, std::string id) : store_(store), id_(std::move(id)) {}
  CreateRollback(const CreateRollback&) = delete;
  CreateRollback& operator=(const CreateRollback&) = delete;
  ~CreateRollback() {
    if (dismissed_) return;
    if (intel_rdt) (void)remove_intel_rdt(*intel_rdt);
    if (cgroup) (void)cgroup->destroy();
    (void)store_.remove_dir(id_);
  }
  void dismiss() { dismissed_ = true; }

  // Owned here so that it outlives every other step of create.
  std::optional<cgroups::Manager> cgroup;
  std::optional<RdtPlacement> intel_rdt;

 private:
  StateStore& store_;
  std::string id_;
  bool dismissed_ = false;
};

Result<void> wait_until_stopped(const ContainerRecord& record, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (process_alive(record.init_pid, record.init_start_time)) {
    if (std::chrono::steady_clock::now() > deadline)
      return fail("container " + record.id + " did not stop after SIGKILL");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return {};
}

RdtPlacement rdt_placement_of(const ContainerRecord& record) {
  return RdtPlacement{record.rdt_group, record.rdt_created_group, record.rdt_monitor_group};
}

}  // namespace

Result<Runtime> Runtime::open(const GlobalOptions& options) {
  if (options.systemd_cgroup && ::access("/run/systemd/system", F_OK) != 0)
    return fail("systemd cgroup driver requested, but systemd is not running on this host");
  std::string root = options.root.empty() ? default_state_root() : options.root;
  return Runtime(options, std::move(root));
}

Result<void> Runtime::create(const CreateOptions& options) {
  auto created = KRILL_TRY(create_container(options, /*attached=*/false));
  return {};
}

Result<Runtime::Created> Runtime::create_container(const CreateOptions& options, bool attached) {
  KRILL_CHECK(validate_container_id(options.id));
  auto store = KRILL_TRY(StateStore::open(state_root_));

  const std::string bundle = KRILL_TRY(absolute_directory(options.bundle, "bundle"));
  const std::string config_path = bundle + "/config.json";
  const std::string config_json = KRILL_TRY(read_file(config_path));
  auto parsed = oci::parse_spec(config_json);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context(config_path));
  const oci::Spec spec = std::move(*parsed);
  KRILL_CHECK_CTX(oci::validate_spec_for_create(spec), config_path);

  std::string rootfs = spec.root->path;
  if (rootfs.empty() || rootfs[0] != '/') rootfs = bundle + "/" + rootfs;
  rootfs = KRILL_TRY(absolute_directory(rootfs, "rootfs"));

  const bool terminal = spec.process->terminal;
  if (terminal && options.console_socket.empty() && !attached)
    return fail("process.terminal is true: --console-socket is required when the runtime detaches");
  if (!terminal && !options.console_socket.empty())
    return fail("--console-socket given, but process.terminal is false in config.json");

  // intel_rdt: the resctrl mount of the runtime's mount namespace, or the spec's error, before
  // anything is made.
  std::string resctrl_root;
  if (spec.linux_config && spec.linux_config->intel_rdt)
    resctrl_root = KRILL_TRY(find_resctrl_root());

  KRILL_CHECK(store.create_dir(options.id));
  CreateRollback rollback(store, options.id);
  auto lock = KRILL_TRY(store.lock(options.id));
  const std::string dir = store.container_dir(options.id);
  auto start_socket = KRILL_TRY(listen_start_socket(start_socket_path(dir)));

  ContainerRecord record;
  record.id = options.id;
  record.bundle = bundle;
  record.rootfs = rootfs;
  record.created = rfc3339_nano_now();
  // Root of a user namespace an unprivileged user made is rootless too (runc's rule): the
  // host's cgroups and devices are not its to change.
  record.rootless = ::geteuid() != 0 || !in_initial_user_namespace();
  record.annotations = spec.annotations;
  record.config_json = config_json;
  record.spec_facts = ContainerRecord::SpecFacts{.poststart_hooks = !spec.hooks.poststart.empty(),
                                                 .poststop_hooks = !spec.hooks.poststop.empty(),
                                                 .own_pid_namespace = owns_pid_namespace(spec)};
  if (spec.linux_config) record.cgroups_path = spec.linux_config->cgroups_path;
  if (!record.cgroups_path.empty() && record.cgroups_path.front() != '/')
    record.creator_cgroups = KRILL_TRY(read_file("/proc/self/cgroup"));

  rollback.cgroup.emplace(KRILL_TRY(open_cgroup(record)));

  LaunchRequest request;
  request.spec = &spec;
  request.id = options.id;
  request.bundle = bundle;
  request.rootfs = rootfs;
  request.no_pivot = options.no_pivot;
  request.preserve_fds = options.preserve_fds;
  request.new_keyring = !options.no_new_keyring;
  request.start_listen_fd = start_socket.get();
  request.cgroup = &*rollback.cgroup;
  request.resctrl_root = resctrl_root;
  request.seccomp_cache_dir = seccomp_cache_dir(store);
  auto launched = KRILL_TRY(launch_container(request));
  start_socket.reset();
  if (!launched.intel_rdt.group.empty()) {
    rollback.intel_rdt = launched.intel_rdt;
    record.rdt_group = launched.intel_rdt.group;
    record.rdt_created_group = launched.intel_rdt.created_group;
    record.rdt_monitor_group = launched.intel_rdt.monitor_group;
  }

  record.init_pid = launched.pid;
  record.init_start_time = KRILL_TRY(process_start_time(launched.pid));
  if (spec.linux_config) {
    for (const auto& ns : spec.linux_config->namespaces) {
      std::string path = ns.path.empty() ? "/proc/" + std::to_string(launched.pid) + "/ns/" +
                                               linux_ns::proc_ns_name(ns.type)
                                         : ns.path;
      record.namespace_paths.emplace_back(oci::to_string(ns.type), std::move(path));
    }
  }
  KRILL_CHECK(store.save(record));
  if (!options.pid_file.empty())
    KRILL_CHECK(write_file_atomic(options.pid_file, std::to_string(launched.pid), 0644,
                                  Durability::kVolatile));
  if (!options.console_socket.empty())
    KRILL_CHECK(linux_ns::send_console(options.console_socket, launched.console_master.get()));
  rollback.dismiss();
  return Created{std::move(record), std::move(launched.console_master)};
}

Result<void> Runtime::start(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto lock = KRILL_TRY(store.lock(id));
  auto record = KRILL_TRY(store.load(id));
  const std::string dir = store.container_dir(id);
  const auto status = container_status(record, dir);
  if (status != oci::Status::kCreated)
    return fail(std::string("cannot start container ") + id + ": it is " + oci::to_string(status) +
                ", not created");

  const std::string socket_path = start_socket_path(dir);
  auto connection = KRILL_TRY(connect_unix(socket_path));
  ::unlink(socket_path.c_str());
  // The init closes the connection by execve (close-on-exec) when the process
  // started, or writes why it could not.
  std::string failure;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(connection.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    failure.append(buf, static_cast<size_t>(n));
  }
  if (!failure.empty()) return fail("start container " + id + ": " + failure);

  if (record.spec_facts && !record.spec_facts->poststart_hooks) return {};
  auto spec = KRILL_TRY(oci::parse_spec(record.config_json));
  oci::State state = container_state(record, dir);
  state.status = oci::Status::kRunning;
  // A failing poststart hook stops the container (runtime.md lifecycle step 9).
  if (auto hooks =
          run_hooks(spec.hooks.poststart, oci::state_to_json(state), "poststart", record.bundle);
      !hooks) {
    ::kill(record.init_pid, SIGKILL);
    return std::unexpected(std::move(hooks.error()).context("start container " + id));
  }
  return {};
}

Result<oci::State> Runtime::state(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto record = KRILL_TRY(store.load(id));
  return container_state(record, store.container_dir(id));
}

Result<ContainerSummary> Runtime::describe(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto record = KRILL_TRY(store.load(id));
  return ContainerSummary{container_state(record, store.container_dir(id)), record.created,
                          store.owner(id), record.rootfs};
}

Result<void> Runtime::kill(const std::string& id, int signal, bool all) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto lock = KRILL_TRY(store.lock(id));
  auto record = KRILL_TRY(store.load(id));
  const auto status = container_status(record, store.container_dir(id));
  if (status == oci::Status::kStopped)
    return fail("cannot kill container " + id + ": container is not running");
  if (all) {
    auto cgroup = KRILL_TRY(open_cgroup(record));
    KRILL_CHECK(cgroup.signal_all(signal));
    if (!record.rootless) return {};
    // A rootless container may have no cgroup of its own (it could not be made): its init is
    // signalled in any case, as runc does.
    if (::kill(record.init_pid, signal) != 0 && errno != ESRCH)
      return fail_errno("send signal " + std::to_string(signal) + " to container " + id);
    return {};
  }
  if (::kill(record.init_pid, signal) != 0)
    return fail_errno("send signal " + std::to_string(signal) + " to container " + id);
  return {};
}

Result<void> Runtime::remove(const std::string& id, bool force) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  // `delete --force` of a container that is already gone succeeds, as with runc.
  if (force && ::access(store.container_dir(id).c_str(), F_OK) != 0) return {};
  auto lock = KRILL_TRY(store.lock(id));
  auto record = KRILL_TRY(store.load(id));
  const std::string dir = store.container_dir(id);
  const auto status = container_status(record, dir);
  // runtime.md: deleting a container that is not stopped MUST fail (runc
  // deletes created containers anyway; we follow the spec).
  if (status != oci::Status::kStopped && !force)
    return fail("cannot delete container " + id +
                " that is not stopped: " + oci::to_string(status) + " (use --force)");
  auto cgroup = KRILL_TRY(open_cgroup(record));
  std::optional<oci::Spec> spec;  // only for its poststop hooks (and an old state file's facts)
  if (!record.spec_facts || record.spec_facts->poststop_hooks) {
    if (auto parsed = oci::parse_spec(record.config_json)) spec = std::move(*parsed);
  }
  const bool own_pid_namespace =
      record.spec_facts ? record.spec_facts->own_pid_namespace : spec && owns_pid_namespace(*spec);
  if (status != oci::Status::kStopped) {
    if (status == oci::Status::kPaused) (void)cgroup.thaw();
    (void)cgroup.signal_all(SIGKILL);
    ::kill(record.init_pid, SIGKILL);
    KRILL_CHECK(wait_until_stopped(record, std::chrono::seconds(10)));
    KRILL_CHECK_CTX(cgroup.destroy(), "delete container " + id);
  } else if (own_pid_namespace) {
    KRILL_CHECK_CTX(cgroup.destroy_emptied(), "delete container " + id);
  } else {
    KRILL_CHECK_CTX(cgroup.destroy(), "delete container " + id);
  }
  if (!record.rdt_group.empty())
    KRILL_CHECK_CTX(remove_intel_rdt(rdt_placement_of(record)), "delete container " + id);
  if (spec) {
    oci::State state = container_state(record, dir);
    // From the bundle, like the other runtime-namespace hooks; from / once the bundle is gone
    // (an engine may remove it first), so that the hooks still run.
    const std::string cwd = ::access(record.bundle.c_str(), X_OK) == 0 ? record.bundle : "/";
    for (const auto& warning :
         run_hooks_best_effort(spec->hooks.poststop, oci::state_to_json(state), "poststop", cwd))
      log_warning(warning);
  }
  return store.remove_dir(id);
}

Result<std::vector<ContainerSummary>> Runtime::list() {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  std::vector<ContainerSummary> containers;
  for (const auto& id : KRILL_TRY(store.list_ids())) {
    auto record = store.load(id);
    if (!record) continue;  // removed meanwhile
    containers.push_back({container_state(*record, store.container_dir(id)), record->created,
                          store.owner(id), record->rootfs});
  }
  return containers;
}

Result<std::vector<pid_t>> Runtime::processes(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto record = KRILL_TRY(store.load(id));
  auto cgroup = KRILL_TRY(open_cgroup(record));
  auto pids = KRILL_TRY(cgroup.pids());
  // A rootless container may have no cgroup of its own (it could not be made): its processes
  // are then its init's tree.
  if (pids.empty() && record.rootless &&
      container_status(record, store.container_dir(id)) != oci::Status::kStopped)
    return process_tree(record.init_pid);
  return pids;
}

Result<void> Runtime::pause(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto lock = KRILL_TRY(store.lock(id));
  auto record = KRILL_TRY(store.load(id));
  const auto status = container_status(record, store.container_dir(id));
  if (status != oci::Status::kRunning)
    return fail("cannot pause container " + id + ": it is " + oci::to_string(status) +
                ", not running");
  auto cgroup = KRILL_TRY(open_cgroup(record));
  KRILL_CHECK(cgroup.freeze());
  record.paused = true;
  return store.save(record);
}

Result<void> Runtime::resume(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto lock = KRILL_TRY(store.lock(id));
  auto record = KRILL_TRY(store.load(id));
  const auto status = container_status(record, store.container_dir(id));
  if (status != oci::Status::kPaused)
    return fail("cannot resume container " + id + ": it is " + oci::to_string(status) +
                ", not paused");
  auto cgroup = KRILL_TRY(open_cgroup(record));
  KRILL_CHECK(cgroup.thaw());
  record.paused = false;
  return store.save(record);
}

Result<void> Runtime::update(const std::string& id, const oci::Resources& resources) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto lock = KRILL_TRY(store.lock(id));
  auto record = KRILL_TRY(store.load(id));
  if (container_status(record, store.container_dir(id)) == oci::Status::kStopped)
    return fail("cannot update container " + id + ": container is stopped");
  auto cgroup = KRILL_TRY(open_cgroup(record));
  return cgroup.apply(resources);
}

Result<std::string> Runtime::stats_json(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto record = KRILL_TRY(store.load(id));
  if (container_status(record, store.container_dir(id)) == oci::Status::kStopped)
    return fail("container " + id + " is stopped");
  auto cgroup = KRILL_TRY(open_cgroup(record));
  auto stats = KRILL_TRY(cgroup.stats());
  return cgroups::stats_to_json(stats);
}

Result<cgroups::OomWatch> Runtime::watch_oom(const std::string& id) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto record = KRILL_TRY(store.load(id));
  if (container_status(record, store.container_dir(id)) == oci::Status::kStopped)
    return fail("container " + id + " is stopped");
  auto cgroup = KRILL_TRY(open_cgroup(record));
  return cgroup.watch_oom();
}

void Runtime::log_warning(const std::string& message) const {
  if (warning_sink_) warning_sink_(message);
}

}  // namespace krill::runtime
