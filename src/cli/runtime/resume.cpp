// krill-runtime resume: thaw a paused container.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_resume_command(CLI::App& parent, IdOptions& options) {
  CLI::App* command =
      add_subcommand(parent, "resume", "resumes all processes that have been previously paused",
                     "<container-id>", "krill-runtime resume web1");
  add_id_argument(command, options.id);
  return command;
}

void register_resume(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<IdOptions>();
  CLI::App* command = add_resume_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.resume(options->id));
                        return 0;
                      }});
}

}  // namespace krill::cli
