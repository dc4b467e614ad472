// krill-runtime spec: write a starter config.json into a bundle.
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "base/unique_fd.h"
#include "cli/runtime/commands.h"
#include "oci/spec_json.h"

namespace krill::cli {

Result<void> write_default_spec(const SpecOptions& options) {
  std::string path = (options.bundle.empty() ? std::string(".") : options.bundle) + "/config.json";
  std::string text = oci::spec_to_json(oci::default_spec(options.rootless)) + "\n";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (!fd) {
    if (errno == EEXIST) return fail("File config.json exists. Remove it first");
    return fail_errno("create " + path);
  }
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write " + path);
    written += static_cast<size_t>(n);
  }
  if (::close(fd.release()) != 0) return fail_errno("write " + path);
  return {};
}

CLI::App* add_spec_command(CLI::App& parent, SpecOptions& options) {
  CLI::App* command =
      add_subcommand(parent, "spec", "create a new specification file (config.json) for a bundle",
                     "[options]", "krill-runtime spec --rootless --bundle /containers/web");
  command->add_option("-b,--bundle", options.bundle,
                      "path to the root of the bundle directory (default: the current directory)");
  command->add_flag("--rootless", options.rootless,
                    "generate a configuration for a rootless container");
  return command;
}

void register_spec(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<SpecOptions>();
  CLI::App* command = add_spec_command(parent, *options);
  commands.push_back({command, [options](CommandContext&) -> Result<int> {
                        KRILL_CHECK(write_default_spec(*options));
                        return 0;
                      }});
}

}  // namespace krill::cli
