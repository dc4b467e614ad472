#include "runtime/container_init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "runtime/hooks.h"
#include "runtime/linux/terminal.h"
#include "runtime/process/environment.h"
#include "runtime/process/executable.h"
#include "runtime/process/host_names.h"
#include "runtime/process/identity.h"
#include "runtime/process/rlimits.h"
#include "runtime/process/scheduling.h"
#include "runtime/process/sysctl.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/lsm.h"
#include "runtime/security/seccomp.h"

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

Result<void> setup_terminal(const oci::Process& process, linux_ns::SyncChannel& channel) {
  auto pty = KRILL_TRY(linux_ns::open_pty("/dev/ptmx"));
  if (process.console_size) {
    KRILL_CHECK(linux_ns::set_window_size(pty.slave.get(),
                                          static_cast<uint16_t>(process.console_size->height),
                                          static_cast<uint16_t>(process.console_size->width)));
  }
  KRILL_CHECK(mount_console(pty.slave.get()));
  KRILL_CHECK(linux_ns::become_session_leader_with_terminal(pty.slave.get()));
  KRILL_CHECK(channel.send(SyncMessage::kConsole, {}, pty.master.get()));
  KRILL_CHECK(channel.expect(SyncMessage::kAck));
  return {};
}

Result<void> load_seccomp(const oci::Seccomp& seccomp, linux_ns::SyncChannel& channel) {
  auto listener = KRILL_TRY(security::apply_seccomp(seccomp));
  if (listener.valid()) {
    KRILL_CHECK(channel.send(SyncMessage::kSeccompListener, {}, listener.get()));
    KRILL_CHECK(channel.expect(SyncMessage::kAck));
  }
  return {};
}

// A leaked host directory fd as cwd would let the process escape (CVE-2024-21626).
Result<void> verify_cwd_inside_container() {
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr)
    return fail_errno("current working directory is outside of the container");
  if (buf[0] != '/') return fail("current working directory is outside of the container");
  return {};
}

struct PreparedExec {
  std::string path;
  std::vector<std::string> env;
};

// Everything between the namespaces and the wait for `start`.
Result<PreparedExec> prepare_init(InitRequest& request) {
  const oci::Spec& spec = *request.spec;
  const oci::Process& process = *spec.process;
  const oci::Linux empty_linux;
  const oci::Linux& linux_config = spec.linux_config ? *spec.linux_config : empty_linux;
  auto& channel = *request.channel;
  auto& plan = *request.namespaces;

  KRILL_CHECK(channel.expect(SyncMessage::kCgroupReady));
  if (plan.new_cgroup && ::unshare(CLONE_NEWCGROUP) != 0)
    return fail_errno("create cgroup namespace");

  const bool in_user_namespace = plan.new_user || plan.join_user;
  if (in_user_namespace) {
    // Become root of the new user namespace when root is mapped; ignore otherwise.
    (void)::setresgid(0, 0, 0);
    (void)::setresuid(0, 0, 0);
  }

  rootfs::RootfsConfig rootfs_config;
  rootfs_config.spec = &spec;
  rootfs_config.rootfs = request.rootfs;
  rootfs_config.in_user_namespace = in_user_namespace;
  rootfs_config.new_cgroup_namespace = plan.new_cgroup;
  rootfs_config.no_pivot = request.no_pivot;
  auto mount_ops = rootfs::make_real_mount_ops();
  const bool own_mount_namespace = linux_config.has_namespace(oci::NamespaceType::kMount);
  if (own_mount_namespace) KRILL_CHECK(rootfs::prepare_rootfs(rootfs_config, *mount_ops));

  KRILL_CHECK(channel.send(SyncMessage::kRunRuntimeHooks));
  auto hooks_done = KRILL_TRY(channel.expect(SyncMessage::kHooksDone));
  const std::string& state_json = hooks_done.payload;
  KRILL_CHECK(run_hooks(spec.hooks.create_container, state_json, "createContainer"));

  if (own_mount_namespace) {
    KRILL_CHECK(rootfs::enter_rootfs(rootfs_config, *mount_ops));
  } else {
    if (::chroot(request.rootfs.c_str()) != 0 || ::chdir("/") != 0)
      return fail_errno("chroot into " + request.rootfs);
  }
  if (process.terminal) KRILL_CHECK(setup_terminal(process, channel));
  if (own_mount_namespace) KRILL_CHECK(rootfs::finalize_rootfs(rootfs_config, *mount_ops));

  if (linux_config.has_namespace(oci::NamespaceType::kUts)) {
    if (!spec.hostname.empty()) KRILL_CHECK(process::set_hostname(spec.hostname));
    if (!spec.domainname.empty()) KRILL_CHECK(process::set_domainname(spec.domainname));
  }
  KRILL_CHECK(process::apply_sysctls(linux_config.sysctl));
  KRILL_CHECK(process::apply_rlimits(process.rlimits));
  if (process.oom_score_adj) KRILL_CHECK(process::set_oom_score_adj(*process.oom_score_adj));
  if (linux_config.personality) KRILL_CHECK(process::apply_personality(*linux_config.personality));
  if (process.scheduler) KRILL_CHECK(process::apply_scheduler(*process.scheduler));
  if (process.io_priority) KRILL_CHECK(process::apply_io_priority(*process.io_priority));
  if (linux_config.memory_policy)
    KRILL_CHECK(process::apply_memory_policy(*linux_config.memory_policy));
  if (process.exec_cpu_affinity && !process.exec_cpu_affinity->initial.empty())
    KRILL_CHECK(process::apply_cpu_affinity(process.exec_cpu_affinity->initial));
  if (!process.apparmor_profile.empty())
    KRILL_CHECK(security::apply_apparmor_profile(process.apparmor_profile));
  if (!process.selinux_label.empty())
    KRILL_CHECK(security::apply_selinux_exec_label(process.selinux_label));

  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have it.
  const bool late_seccomp = process.no_new_privileges;
  if (linux_config.seccomp && !late_seccomp) KRILL_CHECK(load_seccomp(*linux_config.seccomp, channel));

  const oci::Capabilities no_capabilities;
  const oci::Capabilities& caps = process.capabilities ? *process.capabilities : no_capabilities;
  KRILL_CHECK(security::prepare_capabilities(caps));
  KRILL_CHECK(process::apply_user(process.user));
  KRILL_CHECK(security::apply_capabilities(caps));
  KRILL_CHECK(process::enter_working_directory(process.cwd));
  KRILL_CHECK(verify_cwd_inside_container());

  PreparedExec exec;
  exec.env = KRILL_TRY(process::build_environment(process.env, process.user.uid));
  exec.path = KRILL_TRY(process::find_executable(process.args[0], exec.env, process.cwd));

  if (process.no_new_privileges) KRILL_CHECK(security::set_no_new_privileges());
  // Nothing of the runtime's may reach the container: every fd above the
  // preserved ones closes at execve.
  if (::syscall(SYS_close_range, 3 + request.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    return fail_errno("mark inherited file descriptors close-on-exec");
  if (linux_config.seccomp && late_seccomp) KRILL_CHECK(load_seccomp(*linux_config.seccomp, channel));
  return exec;
}

// Tells `start` why the container could not start, then ends the init.
[[noreturn]] void fail_start(int connection, const std::string& message) {
  (void)!::write(connection, message.data(), message.size());
  ::_exit(127);
}

[[noreturn]] void run_init(InitRequest& request) {
  auto& channel = *request.channel;
  auto exec = prepare_init(request);
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
    // The state the hooks see; `start` wrote nothing new, so rebuild from what we know.
    std::string state = "{\"ociVersion\":\"" + std::string(oci::kRuntimeSpecVersion) +
                        "\",\"status\":\"created\",\"pid\":" + std::to_string(::getpid()) + "}";
    auto hooks = run_hooks(spec.hooks.start_container, state, "startContainer");
    if (!hooks) fail_start(connection, hooks.error().message());
  }

  std::vector<char*> argv;
  for (const auto& arg : spec.process->args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : exec->env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  ::execve(exec->path.c_str(), argv.data(), envp.data());
  fail_start(connection, "exec: \"" + spec.process->args[0] + "\": " + std::strerror(errno));
}

Result<pid_t> enter_namespaces(InitRequest& request) {
  auto& plan = *request.namespaces;
  auto& channel = *request.channel;
  if (plan.join_user) {
    KRILL_CHECK(linux_ns::join_namespaces(plan, /*user_only=*/true));
  } else if (plan.new_user) {
    if (::unshare(CLONE_NEWUSER) != 0) return fail_errno("create user namespace");
    KRILL_CHECK(channel.send(SyncMessage::kNeedIdMaps));
    KRILL_CHECK(channel.expect(SyncMessage::kIdMapsDone));
  }
  KRILL_CHECK(linux_ns::join_namespaces(plan, /*user_only=*/false));
  if (plan.unshare_flags != 0 && ::unshare(plan.unshare_flags) != 0)
    return fail_errno("create namespaces");
  if (plan.new_time) {
    if (::unshare(CLONE_NEWTIME) != 0) return fail_errno("create time namespace");
    const auto& linux_config = *request.spec->linux_config;
    KRILL_CHECK(linux_ns::write_time_offsets(linux_config.time_offsets));
  }
  if (!plan.needs_fork()) return ::getpid();
  // CLONE_PARENT: the init becomes the runtime's child, so `run` can wait for it.
  pid_t init = static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0));
  if (init < 0) return fail_errno("fork the container's init process");
  return init;
}

}  // namespace

void run_setup_child(InitRequest& request) {
  auto& channel = *request.channel;
  // Keep the container from opening /proc/<pid>/exe of the runtime (CVE-2019-5736);
  // execve of the container's program resets this.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // `run` blocks the signals it forwards; the container must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  auto pid = enter_namespaces(request);
  if (!pid) die_with(channel, pid.error());
  if (*pid == 0) run_init(request);
  if (*pid != ::getpid()) {
    if (auto sent = channel.send(SyncMessage::kInitPid, std::to_string(*pid)); !sent) ::_exit(1);
    ::_exit(0);
  }
  if (auto sent = channel.send(SyncMessage::kInitPid, std::to_string(*pid)); !sent) ::_exit(1);
  run_init(request);
}

}  // namespace krill::runtime
