// krill-runtime kill: send a signal to a container's init (or all) processes.
#include <memory>

#include "cli/runtime/commands.h"
#include "cli/runtime/signals.h"

namespace krill::cli {

CLI::App* add_kill_command(CLI::App& parent, KillOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "kill",
      "kill sends the specified signal (default: SIGTERM) to the container's init process",
      "[options] <container-id> [signal]", "krill-runtime kill web1 KILL");
  command->add_flag("-a,--all", options.all,
                    "send the specified signal to all processes inside the container");
  add_id_argument(command, options.id);
  command->add_option("signal", options.signal,
                      "a name (KILL, SIGKILL, SIGRTMIN+3) or a number (default: SIGTERM)");
  return command;
}

void register_kill(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<KillOptions>();
  CLI::App* command = add_kill_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        int signal = KRILL_TRY(parse_signal(options->signal));
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.kill(options->id, signal, options->all));
                        return 0;
                      }});
}

}  // namespace krill::cli
