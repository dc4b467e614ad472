// The global flags of krill-runtime, spelled as runc's so that podman,
// containerd and the OCI validation tools can call it unchanged.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/error.h"
#include "runtime/runtime.h"

namespace krill::cli {

struct GlobalFlags {
  std::string root;
  std::string log_file;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";  // accepted for compatibility: auto | true | false
  std::string criu = "criu";      // accepted and ignored (no checkpoint/restore)
};

inline constexpr const char* kSystemdRunningMarker = "/run/systemd/system";

// Declares --root, --log, --log-format, --debug, --systemd-cgroup, --rootless and
// --criu on the top-level app, bound to `flags`.
void add_global_flags(CLI::App& app, GlobalFlags& flags);

// Checks the values (log format, rootless) and converts them for the library.
Result<runtime::GlobalOptions> to_global_options(const GlobalFlags& flags);

// The systemd cgroup driver needs a running systemd: `marker` (normally
// /run/systemd/system) exists only then, as sd_booted(3) checks.
Result<void> check_systemd_running(const std::string& marker = kSystemdRunningMarker);

// What --version prints: "krill-runtime version X\nspec: 1.3.0\nlibseccomp: A.B.C\n".
std::string version_text();

}  // namespace krill::cli
