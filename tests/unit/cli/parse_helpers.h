// Parsing a command line against an app that holds only the command under test.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace krill::cli::testing {

// Parses `args` (without the program name) as the top-level app would.
inline void parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  app.parse(reversed);
}

}  // namespace krill::cli::testing
