// krill-runtime run: create and start a container; attached, exit with its status.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_run_command(CLI::App& parent, RuntimeRunFlags& flags) {
  CLI::App* command =
      add_subcommand(parent, "run", "create and run a container", "[options] <container-id>",
                     "krill-runtime run --bundle /containers/web web1");
  add_create_flags(command, flags.options.create);
  command->add_flag("-d,--detach", flags.options.detach, "detach from the container's process");
  command->add_flag("--keep", flags.options.keep, "do not delete the container after it exits");
  command->add_flag("--no-subreaper", flags.no_subreaper,
                    "accepted for compatibility with runc; no effect");
  return command;
}

void register_run(CLI::App& parent, CommandList& commands) {
  auto flags = std::make_shared<RuntimeRunFlags>();
  CLI::App* command = add_run_command(parent, *flags);
  commands.push_back({command,
                      [flags](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        return runtime.run(flags->options);
                      },
                      /*creates_cgroups=*/true});
}

}  // namespace krill::cli
