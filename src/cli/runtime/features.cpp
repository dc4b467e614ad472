// krill-runtime features: what this build supports (runtime-spec features.md).
#include <ostream>

#include "cli/runtime/commands.h"

namespace krill::cli {

CLI::App* add_features_command(CLI::App& parent) {
  return add_subcommand(parent, "features", "show the enabled features (JSON)", "",
                        "krill-runtime features | jq .linux.namespaces");
}

void register_features(CLI::App& parent, CommandList& commands) {
  CLI::App* command = add_features_command(parent);
  commands.push_back({command, [](CommandContext& context) -> Result<int> {
                        std::string text = runtime::features_json();
                        context.out << text;
                        if (text.empty() || text.back() != '\n') context.out << "\n";
                        return 0;
                      }});
}

}  // namespace krill::cli
