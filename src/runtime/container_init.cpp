#include "runtime/container_init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "base/user_namespace.h"
#include "runtime/hooks.h"
#include "runtime/linux/terminal.h"
#include "runtime/process/host_names.h"
#include "runtime/process/oom_score.h"
#include "runtime/process/scheduling.h"
#include "runtime/process/sysctl.h"
#include "runtime/process_init.h"
#include "runtime/rootfs/rootfs.h"

namespace krill::runtime {
namespace {

using linux_ns::SyncMessage;

[[noreturn]] void die_with(linux_ns::SyncChannel& channel, const Error& error) {
  channel.send_error(error);
  ::_exit(1);
}

// Binds the pty slave over /dev/console so that the container's console is its terminal.
Result<void> mount_console(int slave_fd) {
  int fd = ::open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) ::close(fd);
  std::string source = "/proc/self/fd/" + std::to_string(slave_fd);
  if (::mount(source.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) != 0)
    return fail_errno("bind the container's terminal on /dev/console");
  return {};
}

Result<void> setup_terminal(const oci::Process& process, linux_ns::SyncChannel& channel,
                            bool bind_console) {
  auto pty = KRILL_TRY(linux_ns::open_pty("/dev/ptmx"));
  if (process.console_size) {
    KRILL_CHECK(linux_ns::set_window_size(pty.slave.get(),
                                          static_cast<uint16_t>(process.console_size->height),
                                          static_cast<uint16_t>(process.console_size->width)));
  }
  if (bind_console) KRILL_CHECK(mount_console(pty.slave.get()));
  KRILL_CHECK(linux_ns::become_session_leader_with_terminal(pty.slave.get()));
  KRILL_CHECK(channel.send(SyncMessage::kConsole, {}, pty.master.get()));
  KRILL_CHECK(channel.expect(SyncMessage::kAck));
  return {};
}

// A keyring of its own, so that the container cannot read the caller's keys.
// Kernels without keyrings (ENOSYS) are fine, as with runc.
Result<void> join_session_keyring(const std::string& name) {
  if (name.empty()) return {};
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS)
    return fail_errno("join session keyring " + name);
  return {};
}

// A missing process.cwd is made, as runc makes it (engines rely on that): as the container's
// root, before the switch to the process's user and before root.readonly applies, resolved in
// the new root with RESOLVE_IN_ROOT and no magic links, so that neither ".." nor a symlink nor
// /proc/self/... can place it outside. The chdir later still checks where it landed
// (CVE-2024-21626).
Result<void> make_working_directory(const std::string& cwd) {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open the container's root");
  auto made = rootfs::mkdir_all_in_root(root.get(), cwd, 0755);
  if (!made)
    return std::unexpected(
        std::move(made.error()).context("create process.cwd \"" + cwd + "\" in the container"));
  return {};
}

// Everything between the namespaces and the wait for `start`.
Result<PreparedExec> prepare_init(InitRequest& request, std::string& hook_state) {
  const oci::Spec& spec = *request.spec;
  const oci::Process& process = *spec.process;
  const oci::Linux empty_linux;
  const oci::Linux& linux_config = spec.linux_config ? *spec.linux_config : empty_linux;
  auto& channel = *request.channel;
  auto& plan = *request.namespaces;

  // Idmapped trees the runtime made for us arrive first (a user namespace may not make them).
  std::vector<UniqueFd> trees;
  std::map<size_t, int> tree_of_mount;
  for (;;) {
    auto next = KRILL_TRY(channel.receive());
    if (next.type == SyncMessage::kCgroupReady) {
      hook_state = std::move(next.payload);
      break;
    }
    if (next.type == SyncMessage::kError) return fail(next.payload);
    if (next.type != SyncMessage::kIdmappedMount || !next.fd)
      return fail(std::string("container setup protocol: unexpected ") + to_string(next.type));
    char* end = nullptr;
    const unsigned long index = std::strtoul(next.payload.c_str(), &end, 10);
    if (end == next.payload.c_str() || *end != '\0' || index >= spec.mounts.size())
      return fail("container setup protocol: bad mount index \"" + next.payload + "\"");
    tree_of_mount[index] = next.fd.get();
    trees.push_back(std::move(next.fd));
  }
  if (plan.new_cgroup && ::unshare(CLONE_NEWCGROUP) != 0)
    return fail_errno("create cgroup namespace");
  KRILL_CHECK(join_session_keyring(request.session_keyring));

  const bool in_user_namespace = plan.new_user || plan.join_user;
  if (in_user_namespace) {
    // Become root of the new user namespace when root is mapped; ignore otherwise.
    (void)::setresgid(0, 0, 0);
    (void)::setresuid(0, 0, 0);
  }

  rootfs::RootfsConfig rootfs_config;
  rootfs_config.spec = &spec;
  rootfs_config.rootfs = request.rootfs;
  // Also when the runtime itself runs as root of an unprivileged user's namespace (rootless
  // krill, podman): devices are bind-mounted there too, sysfs falls back to a bind.
  rootfs_config.in_user_namespace = in_user_namespace || !in_initial_user_namespace();
  // In a joined cgroup namespace /proc/self/cgroup is relative to its root,
  // so cgroupfs is mounted directly, as with a new one.
  rootfs_config.new_cgroup_namespace =
      plan.new_cgroup || plan.joins_type(oci::NamespaceType::kCgroup);
  rootfs_config.no_pivot = request.no_pivot;
  rootfs_config.idmapped_trees = tree_of_mount;
  auto mount_ops = rootfs::make_real_mount_ops();
  const bool own_mount_namespace = linux_config.has_namespace(oci::NamespaceType::kMount);
  if (own_mount_namespace) KRILL_CHECK(rootfs::prepare_rootfs(rootfs_config, *mount_ops));

  // prestart and createRuntime hooks run in the runtime now; without any, no round trip.
  if (has_runtime_namespace_hooks(spec.hooks)) {
    KRILL_CHECK(channel.send(SyncMessage::kRunRuntimeHooks));
    auto hooks_done = KRILL_TRY(channel.expect(SyncMessage::kHooksDone));
    hook_state = std::move(hooks_done.payload);
  }
  // In the container's mount namespace before pivot_root, from the rootfs (as runc runs them).
  KRILL_CHECK(run_hooks(spec.hooks.create_container, hook_state, "createContainer",
                        own_mount_namespace ? request.rootfs : std::string()));

  if (own_mount_namespace) {
    KRILL_CHECK(rootfs::enter_rootfs(rootfs_config, *mount_ops));
  } else {
    if (::chroot(request.rootfs.c_str()) != 0 || ::chdir("/") != 0)
      return fail_errno("chroot into " + request.rootfs);
  }
  KRILL_CHECK(make_working_directory(process.cwd));
  if (process.terminal) KRILL_CHECK(setup_terminal(process, channel, /*bind_console=*/true));
  if (linux_config.has_namespace(oci::NamespaceType::kUts)) {
    if (!spec.hostname.empty()) KRILL_CHECK(process::set_hostname(spec.hostname));
    if (!spec.domainname.empty()) KRILL_CHECK(process::set_domainname(spec.domainname));
  }
  // Before finalize: readonlyPaths usually include /proc/sys.
  KRILL_CHECK(process::apply_sysctls(linux_config.sysctl));
  if (own_mount_namespace) KRILL_CHECK(rootfs::finalize_rootfs(rootfs_config, *mount_ops));
  return prepare_process(process, linux_config, request.seccomp, request.preserve_fds, channel);
}

// Tells `start` why the container could not start, then ends the init.
[[noreturn]] void fail_start(int connection, const std::string& message) {
  (void)!::write(connection, message.data(), message.size());
  ::_exit(127);
}

[[noreturn]] void run_init(InitRequest& request) {
  auto& channel = *request.channel;
  std::string hook_state;
  auto exec = prepare_init(request, hook_state);
  if (!exec) die_with(channel, exec.error());
  if (auto sent = channel.send(SyncMessage::kReady); !sent) ::_exit(1);
  channel.close();

  int connection;
  do {
    connection = ::accept4(request.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  } while (connection < 0 && errno == EINTR);
  if (connection < 0) ::_exit(1);
  ::close(request.start_listen_fd);

  const oci::Spec& spec = *request.spec;
  if (!spec.hooks.start_container.empty()) {
    // The runtime sent the state as it was while creating; by now the container is created.
    const std::string creating = "\"creating\"";
    if (auto at = hook_state.find(creating); at != std::string::npos)
      hook_state.replace(at, creating.size(), "\"created\"");
    // After the switch to the process's user and cwd, where runc runs them too.
    auto hooks = run_hooks(spec.hooks.start_container, hook_state, "startContainer", "");
    if (!hooks) fail_start(connection, hooks.error().message());
  }

  auto failed = exec_process(*exec, spec.process->args);
  fail_start(connection, failed.message());
}

// `exec`: the process joined the container's namespaces; now it becomes the
// requested process. execve failures reach the runtime as kError.
Result<PreparedExec> prepare_exec(InitRequest& request) {
  const oci::Process& process = *request.spec->process;
  const oci::Linux empty_linux;
  const oci::Linux& linux_config =
      request.spec->linux_config ? *request.spec->linux_config : empty_linux;
  auto& channel = *request.channel;
  KRILL_CHECK(channel.expect(SyncMessage::kCgroupReady));
  // execCPUAffinity.final: once in the container's cgroup (config.md).
  if (process.exec_cpu_affinity && !process.exec_cpu_affinity->final_cpus.empty())
    KRILL_CHECK(process::apply_cpu_affinity(process.exec_cpu_affinity->final_cpus));
  if (process.terminal) KRILL_CHECK(setup_terminal(process, channel, /*bind_console=*/false));
  return prepare_process(process, linux_config, request.seccomp, request.preserve_fds, channel);
}

[[noreturn]] void run_exec_init(InitRequest& request) {
  auto& channel = *request.channel;
  auto exec = prepare_exec(request);
  if (!exec) die_with(channel, exec.error());
  if (auto sent = channel.send(SyncMessage::kReady); !sent) ::_exit(1);
  die_with(channel, exec_process(*exec, request.spec->process->args));
}

// oom_score_adj (inherited by the init) and the offsets of a new time namespace.
Result<void> write_own_proc_files(InitRequest& request) {
  const oci::Process& process = *request.spec->process;
  if (process.oom_score_adj) KRILL_CHECK(process::set_oom_score_adj(*process.oom_score_adj));
  if (request.namespaces->new_time) {
    if (::unshare(CLONE_NEWTIME) != 0) return fail_errno("create time namespace");
    KRILL_CHECK(linux_ns::write_time_offsets(request.spec->linux_config->time_offsets));
  }
  return {};
}

Result<pid_t> enter_namespaces(InitRequest& request) {
  auto& plan = *request.namespaces;
  auto& channel = *request.channel;
  if (plan.join_user) {
    KRILL_CHECK(linux_ns::join_namespaces(plan, /*user_only=*/true));
  } else if (plan.new_user) {
    // Namespaces given by path (an engine's network namespace, another container's) belong to
    // the host's user namespace: a privileged runtime joins them while it still has its
    // capabilities there, before it makes the new one (runc's order). An unprivileged runtime
    // joins them from inside, as before (its own user namespace owns them).
    if (::geteuid() == 0 && in_initial_user_namespace())
      KRILL_CHECK(linux_ns::join_namespaces(plan, /*user_only=*/false));
    if (::unshare(CLONE_NEWUSER) != 0) return fail_errno("create user namespace");
    KRILL_CHECK(channel.send(SyncMessage::kNeedIdMaps));
    KRILL_CHECK(channel.expect(SyncMessage::kIdMapsDone));
  }
  // A non-dumpable process's /proc/self files belong to the host's root, so an unprivileged
  // runtime writes its own ones first (runc sets oom_score_adj early for the same reason). The
  // time namespace, owned by the user namespace entered above, takes its offsets here too.
  KRILL_CHECK(write_own_proc_files(request));
  // Keep the container from opening /proc/<pid>/exe of the runtime (CVE-2019-5736);
  // execve of the container's program resets this. Only now: see above, and an
  // unprivileged runtime could not have written the id maps either.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  KRILL_CHECK(linux_ns::join_namespaces(plan, /*user_only=*/false));
  if (plan.unshare_flags != 0 && ::unshare(plan.unshare_flags) != 0)
    return fail_errno("create namespaces");
  // execCPUAffinity.initial: an exec'd process before it joins the cgroup.
  const auto& affinity = request.spec->process->exec_cpu_affinity;
  if (request.exec_mode && affinity && !affinity->initial.empty())
    KRILL_CHECK(process::apply_cpu_affinity(affinity->initial));
  if (!plan.needs_fork()) return ::getpid();
  // CLONE_PARENT: the init becomes the runtime's child, so `run` can wait for it.
  pid_t init = static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0));
  if (init < 0) return fail_errno("fork the container's init process");
  return init;
}

}  // namespace

void run_setup_child(InitRequest& request) {
  auto& channel = *request.channel;
  // `run` blocks the signals it forwards; the container must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  auto pid = enter_namespaces(request);
  if (!pid) die_with(channel, pid.error());
  if (*pid == 0) request.exec_mode ? run_exec_init(request) : run_init(request);
  if (*pid != ::getpid()) {
    if (auto sent = channel.send(SyncMessage::kInitPid, std::to_string(*pid)); !sent) ::_exit(1);
    ::_exit(0);
  }
  if (auto sent = channel.send(SyncMessage::kInitPid, std::to_string(*pid)); !sent) ::_exit(1);
  request.exec_mode ? run_exec_init(request) : run_init(request);
}

}  // namespace krill::runtime
