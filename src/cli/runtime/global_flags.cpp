#include "cli/runtime/global_flags.h"

#include <seccomp.h>
#include <sys/stat.h>

#include "cli/runtime/logger.h"
#include "oci/spec.h"

namespace krill::cli {

void add_global_flags(CLI::App& app, GlobalFlags& flags) {
  app.add_option("--root", flags.root,
                 "root directory for storage of container state (this should be located in "
                 "tmpfs) (default: /run/krill, or $XDG_RUNTIME_DIR/krill when not root)");
  app.add_option("--log", flags.log_file,
                 "also write the runtime's log records to this file (default: stderr only)");
  app.add_option("--log-format", flags.log_format,
                 "the log file's format: 'text' (default) or 'json'");
  app.add_flag("--debug", flags.debug, "enable debug logging");
  app.add_flag("--systemd-cgroup", flags.systemd_cgroup,
               "manage cgroups through systemd; cgroupsPath is then \"slice:prefix:name\", e.g. "
               "\"system.slice:krill:434234\"");
  app.add_option("--rootless", flags.rootless,
                 "ignore cgroup permission errors ('true', 'false', or 'auto') (default: auto)");
  app.add_option("--criu", flags.criu, "accepted for compatibility with runc; unused");
}

Result<runtime::GlobalOptions> to_global_options(const GlobalFlags& flags) {
  KRILL_TRY(parse_log_format(flags.log_format));
  if (flags.rootless != "auto" && flags.rootless != "true" && flags.rootless != "false")
    return fail("invalid --rootless value \"" + flags.rootless + "\" (want true, false or auto)");
  runtime::GlobalOptions options;
  options.root = flags.root;
  options.log_file = flags.log_file;
  options.log_format = flags.log_format;
  options.debug = flags.debug;
  options.systemd_cgroup = flags.systemd_cgroup;
  return options;
}

Result<void> check_systemd_running(const std::string& marker) {
  struct stat info {};
  if (::lstat(marker.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return {};
  return fail("systemd cgroup driver requested but systemd is not running (no " + marker + ")");
}

std::string version_text() {
  std::string text = std::string("krill-runtime version ") + KRILL_VERSION + "\n" +
                     "spec: " + oci::kRuntimeSpecVersion + "\n";
  if (const scmp_version* seccomp = seccomp_version())
    text += "libseccomp: " + std::to_string(seccomp->major) + "." + std::to_string(seccomp->minor) +
            "." + std::to_string(seccomp->micro) + "\n";
  return text;
}

}  // namespace krill::cli
