#include "cli/runtime/command.h"

namespace krill::cli {

std::string UsageFormatter::make_usage(const CLI::App* app, std::string name) const {
  auto found = usages_.find(app);
  if (found == usages_.end()) return CLI::Formatter::make_usage(app, std::move(name));
  return "Usage: " + found->second + "\n";
}

Result<runtime::Runtime> open_runtime(const CommandContext& context) {
  return runtime::Runtime::open(context.global);
}

CLI::App* add_subcommand(CLI::App& parent, const std::string& name, const std::string& description,
                         const std::string& usage, const std::string& example) {
  CLI::App* command = parent.add_subcommand(name, description);
  if (auto formatter = std::dynamic_pointer_cast<UsageFormatter>(parent.get_formatter()))
    formatter->set_usage(command, "krill-runtime " + name + (usage.empty() ? "" : " " + usage));
  command->footer("Example:\n  " + example);
  return command;
}

void add_id_argument(CLI::App* command, std::string& id) {
  command->add_option("container-id", id, "the container's id")->required();
}

}  // namespace krill::cli
