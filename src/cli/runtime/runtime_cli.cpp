#include "cli/runtime/runtime_cli.h"

#include <exception>
#include <iostream>
#include <memory>

#include "cli/runtime/commands.h"
#include "cli/runtime/global_flags.h"
#include "cli/runtime/logger.h"

namespace krill::cli {
namespace {

constexpr const char* kProgram = "krill-runtime";
constexpr int kUnknownCommandStatus = 3;  // as runc (urfave/cli)

constexpr const char* kDescription =
    "krill-runtime - an OCI runtime (runc-compatible)\n"
    "\n"
    "Runs containers described by OCI bundles: a directory with a config.json and a\n"
    "root filesystem. To start a container from the bundle in the current directory:\n"
    "\n"
    "    krill-runtime run <container-id>\n";

struct CommandLine {
  CLI::App app{kDescription, kProgram};
  GlobalFlags globals;
  bool version = false;
  CLI::App* help = nullptr;
  std::string help_topic;
  CommandList commands;

  CommandLine() {
    app.formatter(std::make_shared<UsageFormatter>());
    app.set_help_flag("-h,--help", "show help");
    // One command per call: later words are its arguments even when they name
    // another command (`krill-runtime state list` asks about container "list").
    app.require_subcommand(0, 1);
    add_global_flags(app, globals);
    app.add_flag("-v,--version", version, "print the version");
    register_all_commands(app, commands);
    help = add_subcommand(app, "help", "Shows a list of commands or help for one command",
                          "[command]", "krill-runtime help exec");
    help->alias("h");
    help->add_option("command", help_topic, "the command to describe");
  }

  CLI::App* find_command(const std::string& name) {
    for (const auto& command : commands)
      if (command.app->check_name(name)) return command.app;
    return nullptr;
  }
};

// CLI11 reports a stray word at the top level as an extra argument: that is
// an unknown command (runc: "No help topic for 'foo'").
bool is_unknown_command(const CommandLine& line, const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::ExtrasError*>(&error) == nullptr) return false;
  if (!line.app.get_subcommands().empty()) return false;
  auto extras = line.app.remaining();
  return !extras.empty() && !extras.front().empty() && extras.front().front() != '-';
}

int run_command(CommandLine& line, Logger& log, std::istream& in, std::ostream& out) {
  auto globals = to_global_options(line.globals);
  if (!globals) {
    log.error(globals.error().message());
    return 1;
  }
  if (!line.globals.log_file.empty()) {
    auto opened = log.open_file(line.globals.log_file, *parse_log_format(line.globals.log_format));
    if (!opened) {
      log.error(opened.error().message());
      return 1;
    }
  }
  log.set_debug(line.globals.debug);

  for (auto& command : line.commands) {
    if (!command.app->parsed()) continue;
    if (line.globals.systemd_cgroup && command.creates_cgroups) {
      if (auto running = check_systemd_running(); !running) {
        log.error(running.error().message());
        return 1;
      }
    }
    log.debug("running command " + command.app->get_name());
    CommandContext context{*globals, log, out, in};
    try {
      auto status = command.action(context);
      if (!status) {
        log.error(status.error().message());
        return 1;
      }
      return *status;
    } catch (const std::exception& e) {
      log.error(command.app->get_name() + ": " + e.what());
      return 1;
    }
  }
  return 0;
}

}  // namespace

void register_all_commands(CLI::App& parent, CommandList& commands) {
  register_create(parent, commands);
  register_delete(parent, commands);
  register_events(parent, commands);
  register_exec(parent, commands);
  register_kill(parent, commands);
  register_list(parent, commands);
  register_pause(parent, commands);
  register_ps(parent, commands);
  register_resume(parent, commands);
  register_run(parent, commands);
  register_spec(parent, commands);
  register_start(parent, commands);
  register_state(parent, commands);
  register_update(parent, commands);
  register_features(parent, commands);
}

int runtime_main(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err) {
  CommandLine line;
  Logger log(kProgram, err);
  try {
    line.app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << line.app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << line.app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& error) {
    if (is_unknown_command(line, error)) {
      log.error("No help topic for '" + line.app.remaining().front() + "'");
      return kUnknownCommandStatus;
    }
    log.error(std::string(error.what()) + " (see " + kProgram + " --help)");
    return 1;
  }

  if (line.version) {
    out << version_text();
    return 0;
  }
  if (line.help->parsed()) {
    if (line.help_topic.empty()) {
      out << line.app.help();
      return 0;
    }
    CLI::App* topic = line.find_command(line.help_topic);
    if (!topic) {
      log.error("No help topic for '" + line.help_topic + "'");
      return kUnknownCommandStatus;
    }
    out << topic->help();
    return 0;
  }
  if (line.app.get_subcommands().empty()) {
    out << line.app.help();
    return 0;
  }
  return run_command(line, log, in, out);
}

int runtime_main(int argc, char** argv) {
  return runtime_main(argc, argv, std::cin, std::cout, std::cerr);
}

}  // namespace krill::cli
