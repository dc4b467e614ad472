#include "runtime/container_launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "base/fd_passing.h"
#include "base/user_namespace.h"
#include "oci/spec_json.h"
#include "runtime/cgroup_birth.h"
#include "runtime/cgroups/devices.h"
#include "runtime/container_init.h"
#include "runtime/hooks.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/net_devices.h"
#include "runtime/linux/sync_channel.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/security/seccomp.h"

namespace krill::runtime {
namespace {

// An unprivileged user, or root of a user namespace such a user made.
bool runtime_is_rootless() { return ::geteuid() != 0 || !in_initial_user_namespace(); }

using linux_ns::SyncMessage;

void reap(pid_t pid) {
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Kills and reaps a child unless released: no half-created init survives an error.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap(pid_);
  }
  void release() { pid_ = 0; }

 private:
  pid_t pid_;
};

Result<pid_t> parse_pid(const std::string& text) {
  try {
    return static_cast<pid_t>(std::stoi(text));
  } catch (...) {
    return fail("container setup protocol: bad pid \"" + text + "\"");
  }
}

// After kReady an exec'd process either executes (its end of the channel
// closes on exec) or reports why it could not.
Result<void> wait_for_exec(linux_ns::SyncChannel& channel) {
  auto received = receive_fds(channel.fd(), 0);
  if (!received || received->second.empty()) return {};
  const std::string& payload = received->second;
  if (static_cast<SyncMessage>(payload[0]) == SyncMessage::kError) return fail(payload.substr(1));
  return fail("container setup protocol: unexpected message after ready");
}

// The container's device rules: the config's own, then what every container
// needs (/dev/null, tty, pts, ... as runc appends them).
// Rootless containers get no device rules of their own: an unprivileged user
// cannot use the devices cgroup, and the user namespace limits devices anyway.
oci::Resources resources_with_devices(const oci::Linux& linux_config) {
  oci::Resources resources = linux_config.resources.value_or(oci::Resources{});
  if (!runtime_is_rootless()) {
    for (auto& rule : cgroups::default_allowed_device_rules()) resources.devices.push_back(rule);
  }
  return resources;
}

// Idmapped mounts are made here, in the runtime's namespaces: in a user namespace the kernel
// refuses to idmap a filesystem it does not own (mount_setattr: EPERM), and in a new pid
// namespace the init could not write the mapping's /proc/<pid>/uid_map (/proc is still the
// host's there). Each detached tree goes to the init, which attaches it where the mount belongs.
Result<void> send_idmapped_trees(const oci::Spec& spec, const oci::Linux& linux_config,
                                 bool in_user_namespace, linux_ns::SyncChannel& channel) {
  std::unique_ptr<rootfs::MountOps> ops;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& mount = spec.mounts[i];
    if (!rootfs::is_idmapped_mount(mount)) continue;
    auto options = rootfs::parse_mount_options(mount.options);
    if (!options)
      return std::unexpected(std::move(options.error()).context("mount " + mount.destination));
    if (!ops) ops = rootfs::make_real_mount_ops();
    UniqueFd tree = KRILL_TRY(rootfs::make_idmapped_tree(*ops, mount, *options, &linux_config,
                                                         in_user_namespace, mount.destination));
    KRILL_CHECK(channel.send(SyncMessage::kIdmappedMount, std::to_string(i), tree.get()));
  }
  return {};
}

// Removes a resctrl placement unless the create it belongs to succeeded.
class RdtGuard {
 public:
  RdtGuard() = default;
  RdtGuard(const RdtGuard&) = delete;
  RdtGuard& operator=(const RdtGuard&) = delete;
  ~RdtGuard() {
    if (placement_) (void)remove_intel_rdt(*placement_);
  }
  void hold(RdtPlacement placement) { placement_ = std::move(placement); }
  RdtPlacement release() {
    RdtPlacement placement = placement_.value_or(RdtPlacement{});
    placement_.reset();
    return placement;
  }

 private:
  std::optional<RdtPlacement> placement_;
};

}  // namespace

std::string hook_state_json(const LaunchRequest& request, oci::Status status, pid_t pid) {
  oci::State state;
  state.id = request.id;
  state.status = status;
  state.pid = pid;
  state.bundle = request.bundle;
  state.annotations = request.spec->annotations;
  return oci::state_to_json(state);
}

Result<LaunchedInit> launch_container(const LaunchRequest& request) {
  const oci::Spec& spec = *request.spec;
  const oci::Linux empty_linux;
  const oci::Linux& linux_config = spec.linux_config ? *spec.linux_config : empty_linux;
  auto plan = KRILL_TRY(linux_ns::plan_namespaces(linux_config));
  auto [runtime_end, child_end] = KRILL_TRY(linux_ns::SyncChannel::make_pair());
  // Before the fork: the child gets the program in its copy of our memory.
  std::optional<security::CompiledSeccomp> seccomp;
  if (linux_config.seccomp)
    seccomp = KRILL_TRY(
        security::compile_seccomp_cached(*linux_config.seccomp, request.seccomp_cache_dir));

  // The init is born in its cgroups when we may create them (root); an
  // unprivileged runtime may only have some of them, so it adds the pid later.
  const bool born_in_cgroup = request.cgroup && !request.exec_mode && !runtime_is_rootless();
  CgroupBirth birth;
  if (born_in_cgroup) {
    KRILL_CHECK(request.cgroup->create());
    birth = KRILL_TRY(prepare_cgroup_birth(*request.cgroup));
  }
  const pid_t setup_pid = KRILL_TRY(fork_into_cgroup(birth));
  if (setup_pid == 0) {
    runtime_end.close();
    if (auto joined = join_v1_cgroups(birth); !joined) {
      child_end.send_error(joined.error());
      ::_exit(1);
    }
    InitRequest init;
    init.spec = &spec;
    init.rootfs = request.rootfs;
    init.no_pivot = request.no_pivot;
    init.preserve_fds = request.preserve_fds;
    init.start_listen_fd = request.start_listen_fd;
    init.exec_mode = request.exec_mode;
    if (request.new_keyring && !request.exec_mode) init.session_keyring = "_ses." + request.id;
    init.namespaces = &plan;
    init.channel = &child_end;
    init.seccomp = seccomp ? &*seccomp : nullptr;
    run_setup_child(init);
  }
  child_end.close();
  ChildGuard setup_guard(setup_pid);

  auto message = KRILL_TRY(runtime_end.receive());
  if (message.type == SyncMessage::kNeedIdMaps) {
    KRILL_CHECK_CTX(linux_ns::write_id_mappings(setup_pid, linux_config.uid_mappings,
                                                linux_config.gid_mappings),
                    "set up user namespace id mappings");
    KRILL_CHECK(runtime_end.send(SyncMessage::kIdMapsDone));
    message = KRILL_TRY(runtime_end.receive());
  }
  if (message.type == SyncMessage::kError) return fail(message.payload);
  if (message.type != SyncMessage::kInitPid)
    return fail(std::string("container setup protocol: unexpected ") + to_string(message.type));
  const pid_t init_pid = KRILL_TRY(parse_pid(message.payload));
  setup_guard.release();
  if (init_pid != setup_pid) reap(setup_pid);
  ChildGuard init_guard(init_pid);

  if (request.cgroup && !born_in_cgroup) {
    if (!request.exec_mode) KRILL_CHECK(request.cgroup->create());
    KRILL_CHECK(request.cgroup->add_process(init_pid));
  }
  RdtGuard rdt_guard;
  if (!request.exec_mode && linux_config.intel_rdt)
    rdt_guard.hold(KRILL_TRY(
        apply_intel_rdt(request.resctrl_root, *linux_config.intel_rdt, request.id, init_pid)));
  // linux.netDevices: moved from here, the runtime's (host's) namespace, before any hook or
  // the container's program can look for them.
  if (!request.exec_mode && !linux_config.net_devices.empty()) {
    const std::string netns_path = "/proc/" + std::to_string(init_pid) + "/ns/net";
    UniqueFd netns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) return fail_errno("linux.netDevices: open " + netns_path);
    KRILL_CHECK(linux_ns::move_net_devices(linux_config.net_devices, netns.get()));
  }
  if (!request.exec_mode && linux_config.has_namespace(oci::NamespaceType::kMount))
    KRILL_CHECK(
        send_idmapped_trees(spec, linux_config, plan.new_user || plan.join_user, runtime_end));
  // The state travels with kCgroupReady: the init needs it for createContainer hooks even when
  // there are no runtime-namespace hooks, and then it asks for nothing in between.
  const std::string state_json = hook_state_json(request, oci::Status::kCreating, init_pid);
  KRILL_CHECK(runtime_end.send(SyncMessage::kCgroupReady, state_json));

  LaunchedInit launched;
  launched.pid = init_pid;
  for (;;) {
    auto next = KRILL_TRY(runtime_end.receive());
    switch (next.type) {
      case SyncMessage::kRunRuntimeHooks:
        KRILL_CHECK(run_hooks(spec.hooks.prestart, state_json, "prestart", request.bundle));
        KRILL_CHECK(
            run_hooks(spec.hooks.create_runtime, state_json, "createRuntime", request.bundle));
        KRILL_CHECK(runtime_end.send(SyncMessage::kHooksDone, state_json));
        break;
      case SyncMessage::kConsole:
        launched.console_master = std::move(next.fd);
        KRILL_CHECK(runtime_end.send(SyncMessage::kAck));
        break;
      case SyncMessage::kSeccompListener: {
        const auto& seccomp = *linux_config.seccomp;
        if (!seccomp.listener_path.empty()) {
          KRILL_CHECK(security::send_seccomp_listener(seccomp.listener_path, next.fd.get(),
                                                      init_pid, seccomp.listener_metadata,
                                                      state_json));
        }
        KRILL_CHECK(runtime_end.send(SyncMessage::kAck));
        break;
      }
      case SyncMessage::kReady:
        // Limits apply once the init has made its devices and mounts (as runc
        // does): a devices cgroup set earlier would forbid mknod of linux.devices.
        if (request.cgroup && !request.exec_mode)
          KRILL_CHECK(request.cgroup->apply(resources_with_devices(linux_config)));
        if (request.exec_mode) KRILL_CHECK(wait_for_exec(runtime_end));
        init_guard.release();
        launched.intel_rdt = rdt_guard.release();
        return launched;
      case SyncMessage::kError:
        return fail(next.payload);
      default:
        return fail(std::string("container setup protocol: unexpected ") + to_string(next.type));
    }
  }
}

}  // namespace krill::runtime
