// Engine: exec (a process in a running container, through the runtime's exec) and top.
#include <sstream>

#include "engine/engine_internal.h"
#include "engine/spec_builder.h"
#include "image/snapshot.h"

namespace krill::engine {

Result<int> Engine::exec(const std::string& name_or_id, const ExecRequest& request) {
  auto record = KRILL_TRY(find(name_or_id));
  if (record.status != ContainerStatus::kRunning)
    return fail("container " + record.name + " is not running");
  if (request.args.empty()) return fail("exec: no command given");
  RuntimeBinary runtime = runtime_for(record.config);
  std::vector<std::string> argv = {runtime.path, "--root", runtime.root, "exec"};
  if (request.tty) argv.push_back("--tty");
  if (request.detach) argv.push_back("--detach");
  for (const auto& e : request.env) argv.insert(argv.end(), {"--env", e});
  if (!request.working_dir.empty()) argv.insert(argv.end(), {"--cwd", request.working_dir});
  if (!request.user.empty()) {
    std::string user = request.user;
    bool numeric = user.find_first_not_of("0123456789:") == std::string::npos;
    if (!numeric) {
      auto snapshot = KRILL_TRY(image::open_snapshot(*images_, snapshot_dir(record.id)));
      auto resolved = KRILL_TRY(resolve_user(snapshot.rootfs_dir(), user, {}));
      user = std::to_string(resolved.uid) + ":" + std::to_string(resolved.gid);
    } else if (user.find(':') == std::string::npos) {
      user += ":0";
    }
    argv.insert(argv.end(), {"--user", user});
  }
  argv.push_back(record.id);
  argv.insert(argv.end(), request.args.begin(), request.args.end());
  if (request.detach) {
    auto output = KRILL_TRY(run_captured(argv));
    if (output.exit_code != 0) {
      Error error(runtime_error_text(output));
      return fail(error.message());
    }
    return 0;
  }
  std::string stderr_tail;
  int status = KRILL_TRY(run_inherited(argv, &stderr_tail));
  // The runtime could not start the process: Docker's 126/127.
  if (status != 0 && stderr_tail.find("exec: \"") != std::string::npos) {
    int mapped = exit_status_for_start_error(Error(stderr_tail));
    if (mapped != 125) return mapped;
  }
  return status;
}

Result<std::string> Engine::top(const std::string& name_or_id,
                                const std::vector<std::string>& ps_args) {
  auto record = KRILL_TRY(find(name_or_id));
  if (record.status != ContainerStatus::kRunning && record.status != ContainerStatus::kPaused)
    return fail("top can only be used on running containers");
  auto listed = KRILL_TRY(run_runtime(record.config, {"ps", "--format", "json", record.id}));
  if (listed.exit_code != 0)
    return fail("list processes of " + record.id + ": " + runtime_error_text(listed));
  std::string pids;
  for (char c : listed.out) {
    if (c >= '0' && c <= '9')
      pids += c;
    else if (!pids.empty() && pids.back() != ',')
      pids += ',';
  }
  while (!pids.empty() && pids.back() == ',') pids.pop_back();
  if (pids.empty()) pids = std::to_string(record.pid);
  std::vector<std::string> argv = {"/bin/ps"};
  if (ps_args.empty()) {
    argv.insert(argv.end(), {"-o", "user,pid,ppid,pcpu,etime,tty,time,args"});
  } else {
    argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  }
  argv.insert(argv.end(), {"-p", pids});
  auto output = KRILL_TRY(run_captured(argv));
  if (output.exit_code != 0 && output.out.empty()) return fail("ps: " + runtime_error_text(output));
  return output.out;
}

}  // namespace krill::engine
