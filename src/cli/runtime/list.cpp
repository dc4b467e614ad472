// krill-runtime list (ls): the containers under --root, as a table or JSON.
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/runtime/commands.h"

namespace krill::cli {
namespace {

// Go's text/tabwriter as runc configures it for `list`: every column but the
// last is padded to max(12, widest cell + 3).
std::string tabulate(const std::vector<std::vector<std::string>>& rows) {
  constexpr size_t kMinWidth = 12;
  constexpr size_t kPadding = 3;
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t column = 0; column + 1 < row.size(); ++column) {
      if (widths.size() <= column) widths.resize(column + 1, kMinWidth);
      widths[column] = std::max(widths[column], row[column].size() + kPadding);
    }
  std::string text;
  for (const auto& row : rows) {
    for (size_t column = 0; column < row.size(); ++column) {
      text += row[column];
      if (column + 1 < row.size()) text.append(widths[column] - row[column].size(), ' ');
    }
    text += "\n";
  }
  return text;
}

}  // namespace

std::string format_list_table(const std::vector<runtime::ContainerSummary>& containers) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& container : containers)
    rows.push_back({container.state.id, std::to_string(container.state.pid),
                    oci::to_string(container.state.status), container.state.bundle,
                    container.created, container.owner});
  return tabulate(rows);
}

std::string format_list_quiet(const std::vector<runtime::ContainerSummary>& containers) {
  std::string text;
  for (const auto& container : containers) text += container.state.id + "\n";
  return text;
}

std::string format_list_json(const std::vector<runtime::ContainerSummary>& containers) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& container : containers) {
    nlohmann::ordered_json entry;
    entry["ociVersion"] = container.state.oci_version;
    entry["id"] = container.state.id;
    entry["pid"] = container.state.pid;
    entry["status"] = oci::to_string(container.state.status);
    entry["bundle"] = container.state.bundle;
    entry["rootfs"] = container.rootfs;
    entry["created"] = container.created;
    if (!container.state.annotations.empty()) entry["annotations"] = container.state.annotations;
    entry["owner"] = container.owner;
    list.push_back(std::move(entry));
  }
  return list.dump() + "\n";
}

CLI::App* add_list_command(CLI::App& parent, ListOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "list", "lists containers started by krill-runtime with the given root", "[options]",
      "krill-runtime --root /run/krill list --format json");
  command->alias("ls");
  command->add_option("-f,--format", options.format,
                      "select one of: table or json (default: \"table\")");
  command->add_flag("-q,--quiet", options.quiet, "display only container IDs");
  return command;
}

void register_list(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* command = add_list_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        if (options->format != "table" && options->format != "json")
                          return fail("invalid format option");
                        auto runtime = KRILL_TRY(open_runtime(context));
                        auto containers = KRILL_TRY(runtime.list());
                        if (options->quiet)
                          context.out << format_list_quiet(containers);
                        else if (options->format == "json")
                          context.out << format_list_json(containers);
                        else
                          context.out << format_list_table(containers);
                        return 0;
                      }});
}

}  // namespace krill::cli
