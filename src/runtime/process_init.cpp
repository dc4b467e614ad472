#include "runtime/process_init.h"

#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "runtime/process/environment.h"
#include "runtime/process/executable.h"
#include "runtime/process/identity.h"
#include "runtime/process/memory_policy.h"
#include "runtime/process/personality.h"
#include "runtime/process/rlimits.h"
#include "runtime/process/scheduling.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/lsm.h"
#include "runtime/security/seccomp.h"

namespace krill::runtime {
namespace {

using linux_ns::SyncMessage;

Result<void> load_seccomp(const security::CompiledSeccomp& seccomp,
                          linux_ns::SyncChannel& channel) {
  auto listener = KRILL_TRY(security::load_compiled_seccomp(seccomp));
  if (listener.valid()) {
    KRILL_CHECK(channel.send(SyncMessage::kSeccompListener, {}, listener.get()));
    KRILL_CHECK(channel.expect(SyncMessage::kAck));
  }
  return {};
}

// A leaked host directory as cwd would let the process escape (CVE-2024-21626).
Result<void> verify_cwd_inside_container() {
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr || buf[0] != '/')
    return fail("the working directory is outside of the container");
  return {};
}

}  // namespace

Result<PreparedExec> prepare_process(const oci::Process& process, const oci::Linux& linux_config,
                                     const security::CompiledSeccomp* seccomp, int preserve_fds,
                                     linux_ns::SyncChannel& channel) {
  KRILL_CHECK(process::apply_rlimits(process.rlimits));
  if (linux_config.personality) KRILL_CHECK(process::apply_personality(*linux_config.personality));
  if (process.scheduler) KRILL_CHECK(process::apply_scheduler(*process.scheduler));
  if (process.io_priority) KRILL_CHECK(process::apply_io_priority(*process.io_priority));
  if (linux_config.memory_policy)
    KRILL_CHECK(process::apply_memory_policy(*linux_config.memory_policy));
  if (!process.apparmor_profile.empty())
    KRILL_CHECK(security::apply_apparmor_profile(process.apparmor_profile));
  if (!process.selinux_label.empty())
    KRILL_CHECK(security::apply_selinux_exec_label(process.selinux_label));

  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have it.
  const bool late_seccomp = process.no_new_privileges;
  if (seccomp && !late_seccomp) KRILL_CHECK(load_seccomp(*seccomp, channel));

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
  if (::syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    return fail_errno("mark inherited file descriptors close-on-exec");
  if (seccomp && late_seccomp) KRILL_CHECK(load_seccomp(*seccomp, channel));
  return exec;
}

Error exec_process(PreparedExec& exec, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : exec.env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  ::execve(exec.path.c_str(), argv.data(), envp.data());
  return Error::from_errno("exec: \"" + args[0] + "\"");
}

}  // namespace krill::runtime
