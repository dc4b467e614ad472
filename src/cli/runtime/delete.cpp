// krill-runtime delete: remove a stopped (or, with --force, any) container.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_delete_command(CLI::App& parent, DeleteOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "delete",
      "delete any resources held by the container often used with detached container",
      "[options] <container-id>", "krill-runtime delete --force web1");
  command->add_flag("-f,--force", options.force,
                    "Forcibly deletes the container if it is still running (uses SIGKILL)");
  add_id_argument(command, options.id);
  return command;
}

void register_delete(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<DeleteOptions>();
  CLI::App* command = add_delete_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.remove(options->id, options->force));
                        return 0;
                      }});
}

}  // namespace krill::cli
