// krill-runtime pause: freeze every process of a container.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_pause_command(CLI::App& parent, IdOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "pause", "pause suspends all processes inside the container", "<container-id>",
      "krill-runtime pause web1   (undo: krill-runtime resume web1)");
  add_id_argument(command, options.id);
  return command;
}

void register_pause(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<IdOptions>();
  CLI::App* command = add_pause_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.pause(options->id));
                        return 0;
                      }});
}

}  // namespace krill::cli
