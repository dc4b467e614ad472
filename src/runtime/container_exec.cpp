// `exec`: a new process inside a running container, joining its namespaces
// and cgroups, with the container's process settings unless overridden.
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <algorithm>

#include "base/file_io.h"
#include "oci/spec_json.h"
#include "runtime/cgroups/manager.h"
#include "runtime/container_launch.h"
#include "runtime/container_status.h"
#include "runtime/linux/terminal.h"
#include "runtime/runtime.h"
#include "runtime/state_store.h"
#include "runtime/supervise.h"

namespace krill::runtime {
namespace {

Result<uint32_t> parse_id(const std::string& text, std::string_view what) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), ::isdigit))
    return fail("invalid --user \"" + text + "\": " + std::string(what) + " must be numeric");
  return static_cast<uint32_t>(std::stoul(text));
}

void add_capability(std::vector<std::string>& set, const std::string& cap) {
  if (std::find(set.begin(), set.end(), cap) == set.end()) set.push_back(cap);
}

// The process to run: process.json, or the container's process with the
// command line's overrides (as runc exec).
Result<oci::Process> exec_process_config(const ExecOptions& options, const oci::Spec& spec) {
  if (!options.process_file.empty()) {
    auto text = KRILL_TRY(read_file(options.process_file));
    auto parsed = oci::parse_process(text);
    if (!parsed) return std::unexpected(std::move(parsed.error()).context(options.process_file));
    return *parsed;
  }
  if (options.args.empty()) return fail("exec: no command given (pass it after the container id)");
  oci::Process process = spec.process ? *spec.process : oci::Process{};
  process.args = options.args;
  process.terminal = options.tty;
  process.console_size.reset();
  for (const auto& entry : options.env) process.env.push_back(entry);
  if (!options.cwd.empty()) process.cwd = options.cwd;
  if (!options.user.empty()) {
    auto colon = options.user.find(':');
    process.user.uid = KRILL_TRY(parse_id(options.user.substr(0, colon), "uid"));
    if (colon != std::string::npos)
      process.user.gid = KRILL_TRY(parse_id(options.user.substr(colon + 1), "gid"));
    process.user.additional_gids.clear();
  }
  for (uint32_t gid : options.additional_gids) process.user.additional_gids.push_back(gid);
  if (!options.caps.empty()) {
    if (!process.capabilities) process.capabilities.emplace();
    auto& caps = *process.capabilities;
    for (const auto& cap : options.caps) {
      add_capability(caps.bounding, cap);
      add_capability(caps.effective, cap);
      add_capability(caps.permitted, cap);
      add_capability(caps.inheritable, cap);
      add_capability(caps.ambient, cap);
    }
  }
  if (options.no_new_privs) process.no_new_privileges = true;
  if (!options.apparmor.empty()) process.apparmor_profile = options.apparmor;
  if (!options.process_label.empty()) process.selinux_label = options.process_label;
  return process;
}

}  // namespace

Result<int> Runtime::exec(const ExecOptions& options) {
  auto store = KRILL_TRY(StateStore::open(state_root_));
  auto record = KRILL_TRY(store.load(options.id));
  const auto status = container_status(record, store.container_dir(options.id));
  if (status == oci::Status::kStopped)
    return fail("cannot exec in container " + options.id + ": container is stopped");
  if (status == oci::Status::kPaused)
    return fail("cannot exec in container " + options.id + ": container is paused");

  oci::Spec spec = KRILL_TRY(oci::parse_spec(record.config_json));
  spec.process = KRILL_TRY(exec_process_config(options, spec));
  if (spec.process->terminal && options.console_socket.empty() && options.detach)
    return fail("exec --tty --detach needs --console-socket");
  if (!spec.linux_config) spec.linux_config.emplace();
  spec.linux_config->namespaces.clear();
  for (const auto& [type, path] : record.namespace_paths) {
    auto parsed = KRILL_TRY(oci::parse_namespace_type(type));
    spec.linux_config->namespaces.push_back({parsed, path});
  }

  cgroups::ManagerOptions cgroup_options;
  cgroup_options.rootless = record.rootless;
  cgroup_options.caller_cgroups = record.creator_cgroups;
  auto cgroup = KRILL_TRY(cgroups::Manager::open(record.cgroups_path, record.id, cgroup_options));

  const sigset_t signals = forwarded_signals();
  std::optional<BlockedSignals> blocked;
  UniqueFd signal_fd;
  if (!options.detach) {
    blocked.emplace(signals);
    signal_fd.reset(::signalfd(-1, &signals, SFD_CLOEXEC));
    if (!signal_fd) return fail_errno("create signalfd");
  }

  LaunchRequest request;
  request.spec = &spec;
  request.id = record.id;
  request.bundle = record.bundle;
  request.rootfs = record.rootfs;
  request.preserve_fds = options.preserve_fds;
  request.cgroup = &cgroup;
  request.exec_mode = true;
  request.seccomp_cache_dir = seccomp_cache_dir(store);
  auto launched = KRILL_TRY(launch_container(request));

  if (!options.pid_file.empty())
    KRILL_CHECK(write_file_atomic(options.pid_file, std::to_string(launched.pid), 0644,
                                  Durability::kVolatile));
  if (!options.console_socket.empty())
    KRILL_CHECK(linux_ns::send_console(options.console_socket, launched.console_master.get()));
  if (options.detach) return 0;
  const int console = options.console_socket.empty() ? launched.console_master.get() : -1;
  return supervise(launched.pid, signal_fd.get(), console);
}

}  // namespace krill::runtime
