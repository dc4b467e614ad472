// krill-runtime create: set up a container from a bundle, stopped before the
// user process starts.
#include <memory>

#include "cli/runtime/commands.h"

namespace krill::cli {

void add_create_flags(CLI::App* command, runtime::CreateOptions& options) {
  command->add_option("-b,--bundle", options.bundle,
                      "path to the root of the bundle directory (default: the current directory)");
  command->add_option("--console-socket", options.console_socket,
                      "path to an AF_UNIX socket that receives the master end of the "
                      "container's pseudo-terminal");
  command->add_option("--pid-file", options.pid_file,
                      "write the container init process's pid to this file");
  command->add_flag("--no-pivot", options.no_pivot,
                    "do not pivot_root into the rootfs (needed when it is on a ramdisk)");
  command->add_flag("--no-new-keyring", options.no_new_keyring,
                    "keep the caller's session keyring instead of creating a new one");
  command
      ->add_option("--preserve-fds", options.preserve_fds,
                   "pass N more file descriptors (3 .. 3+N-1) to the container (default: 0)")
      ->check(CLI::NonNegativeNumber);
  add_id_argument(command, options.id);
}

CLI::App* add_create_command(CLI::App& parent, runtime::CreateOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "create", "create a container", "[options] <container-id>",
      "krill-runtime create --bundle /containers/web web1   (then: krill-runtime start web1)");
  add_create_flags(command, options);
  return command;
}

void register_create(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<runtime::CreateOptions>();
  CLI::App* command = add_create_command(parent, *options);
  commands.push_back({command,
                      [options](CommandContext& context) -> Result<int> {
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.create(*options));
                        return 0;
                      },
                      /*creates_cgroups=*/true});
}

}  // namespace krill::cli
