// krill-runtime state: print a container's state as JSON.
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/runtime/commands.h"
#include "oci/spec_json.h"

namespace krill::cli {

std::string format_state(const oci::State& state) {
  // Re-indent whatever layout state_to_json chose; keep its key order.
  return nlohmann::ordered_json::parse(oci::state_to_json(state)).dump(2);
}

std::string format_state(const runtime::ContainerSummary& container) {
  // runc's `state` adds rootfs, created and owner to the spec's state.
  auto state = nlohmann::ordered_json::parse(oci::state_to_json(container.state));
  state["rootfs"] = container.rootfs;
  state["created"] = container.created;
  state["owner"] = container.owner;
  return state.dump(2);
}

CLI::App* add_state_command(CLI::App& parent, IdOptions& options) {
  CLI::App* command = add_subcommand(parent, "state", "output the state of a container",
                                     "<container-id>", "krill-runtime state web1");
  add_id_argument(command, options.id);
  return command;
}

void register_state(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<IdOptions>();
  CLI::App* command = add_state_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        auto container = KRILL_TRY(runtime.describe(options->id));
                        context.out << format_state(container) << "\n";
                        return 0;
                      }});
}

}  // namespace krill::cli
