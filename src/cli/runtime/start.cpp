// krill-runtime start: run the user process of a created container.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_start_command(CLI::App& parent, IdOptions& options) {
  CLI::App* command =
      add_subcommand(parent, "start", "executes the user defined process in a created container",
                     "<container-id>", "krill-runtime start web1");
  add_id_argument(command, options.id);
  return command;
}

void register_start(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<IdOptions>();
  CLI::App* command = add_start_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.start(options->id));
                        return 0;
                      }});
}

}  // namespace krill::cli
