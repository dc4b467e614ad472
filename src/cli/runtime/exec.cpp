// krill-runtime exec: run another process in a running container.
// Flags come before the id; everything after it is the command, verbatim.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_exec_command(CLI::App& parent, RuntimeExecFlags& flags) {
  runtime::ExecOptions& options = flags.options;
  CLI::App* command = add_subcommand(
      parent, "exec", "execute new process inside the container",
      "[options] <container-id> <command> [args...]  ||  [options] -p process.json <container-id>",
      "krill-runtime exec -t web1 sh -c 'ls -la /'");
  // Once the id is seen, the rest are positionals (the command and its options).
  command->positionals_at_end();
  command->add_option("--console-socket", options.console_socket,
                      "path to an AF_UNIX socket that receives the master end of the "
                      "process's pseudo-terminal");
  command->add_option("--cwd", options.cwd, "current working directory in the container");
  command->add_option("-e,--env", options.env, "set an environment variable (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("-t,--tty", options.tty, "allocate a pseudo-TTY");
  command->add_option("-u,--user", options.user, "UID (format: <uid>[:<gid>])");
  command
      ->add_option("-g,--additional-gids", options.additional_gids,
                   "an additional group id (repeatable)")
      ->allow_extra_args(false);
  command->add_option("-p,--process", options.process_file,
                      "path to a process.json describing the process");
  command->add_flag("-d,--detach", options.detach, "detach from the process");
  command->add_option("--pid-file", options.pid_file, "write the process's pid to this file");
  command->add_option("--process-label", options.process_label,
                      "set the SELinux process label for the process");
  command->add_option("--apparmor", options.apparmor, "set the AppArmor profile for the process");
  command->add_flag("--no-new-privs", options.no_new_privs,
                    "set the no new privileges value for the process");
  command
      ->add_option("-c,--cap", options.caps,
                   "add a capability to the bounding set for the process (repeatable)")
      ->allow_extra_args(false);
  command
      ->add_option("--preserve-fds", options.preserve_fds,
                   "pass N more file descriptors (3 .. 3+N-1) to the process (default: 0)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--cgroup", flags.cgroup,
                      "run the process in an existing sub-cgroup (not supported)");
  command->add_flag("--ignore-paused", flags.ignore_paused, "accepted for compatibility with runc");
  add_id_argument(command, options.id);
  command->add_option("command", options.args, "the command and its arguments");
  return command;
}

Result<runtime::ExecOptions> exec_options(const RuntimeExecFlags& flags) {
  runtime::ExecOptions options = flags.options;
  if (!options.args.empty() && options.args.front() == "--")
    options.args.erase(options.args.begin());
  if (!flags.cgroup.empty()) return fail("exec --cgroup is not supported");
  if (options.args.empty() && options.process_file.empty())
    return fail("exec needs a command to run (or a process.json with --process)");
  return options;
}

void register_exec(CLI::App& parent, CommandList& commands) {
  auto flags = std::make_shared<RuntimeExecFlags>();
  CLI::App* command = add_exec_command(parent, *flags);
  commands.push_back({command, [flags](CommandContext& context) -> Result<int> {
                        // Like runc, a failure to start the process exits 255, so
                        // that it is told apart from the process's own status.
                        auto status = [&]() -> Result<int> {
                          runtime::ExecOptions options = KRILL_TRY(exec_options(*flags));
                          auto runtime = KRILL_TRY(open_runtime(context));
                          return runtime.exec(options);
                        }();
                        if (status) return *status;
                        context.log.error("exec failed: " + status.error().message());
                        return 255;
                      }});
}

}  // namespace krill::cli
