// What every subcommand shares: the context it runs in and how it is listed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/runtime/logger.h"
#include "runtime/runtime.h"

namespace krill::cli {

struct CommandContext {
  runtime::GlobalOptions global;
  Logger& log;
  std::ostream& out;
  std::istream& in;
};

// A parsed subcommand's work: its exit status, or an error that the caller
// reports ("krill-runtime: error: ...") with exit status 1.
using Action = std::function<Result<int>(CommandContext&)>;

struct Command {
  CLI::App* app = nullptr;
  Action action;
  bool creates_cgroups = false;  // --systemd-cgroup needs systemd for this command
};

using CommandList = std::vector<Command>;

Result<runtime::Runtime> open_runtime(const CommandContext& context);

// Help text with a usage line per subcommand ("krill-runtime kill [options]
// <container-id> [signal]") instead of CLI11's generated one.
class UsageFormatter : public CLI::Formatter {
 public:
  void set_usage(const CLI::App* app, std::string usage) { usages_[app] = std::move(usage); }
  std::string make_usage(const CLI::App* app, std::string name) const override;

 private:
  std::map<const CLI::App*, std::string> usages_;
};

// Adds a subcommand with a description, a usage line and a one-line example.
// The usage line is shown when the app's formatter is a UsageFormatter.
CLI::App* add_subcommand(CLI::App& parent, const std::string& name, const std::string& description,
                         const std::string& usage, const std::string& example);

// Adds the required <container-id> positional.
void add_id_argument(CLI::App* command, std::string& id);

}  // namespace krill::cli
