// The built-in runtime's `start` and `delete --force`, run in krill's own process.
//
// Both are on the path of every `krill run`: start after the monitor created the container,
// delete when --rm removes it. Exec'ing krill-runtime for them cost a fork, an exec and the
// runtime's start-up twice per container (about 3 ms each here); krill links the same runtime
// library, so it calls it directly. Neither forks anything of its own (delete runs poststop
// hooks, which are separate processes either way) or changes process-wide state. The other
// verbs (create is the monitor's, kill may come from the signal-proxy thread) are exec'd.
#include "engine/engine_internal.h"
#include "runtime/runtime.h"

namespace krill::engine {

std::optional<RuntimeOutput> run_builtin_runtime_in_process(const std::string& root,
                                                            const std::vector<std::string>& args) {
  const bool start = args.size() == 2 && args[0] == "start";
  const bool remove = args.size() == 3 && args[0] == "delete" && args[1] == "--force";
  if (!start && !remove) return std::nullopt;
  RuntimeOutput output;
  runtime::GlobalOptions options;
  options.root = root;
  auto opened = runtime::Runtime::open(options);
  if (!opened) {
    output.exit_code = 1;
    output.err = opened.error().message() + "\n";
    return output;
  }
  opened->set_warning_sink(
      [&output](const std::string& warning) { output.err += "warning: " + warning + "\n"; });
  auto done = start ? opened->start(args[1]) : opened->remove(args[2], /*force=*/true);
  if (!done) {
    output.exit_code = 1;
    output.err += done.error().message() + "\n";
  }
  return output;
}

}  // namespace krill::engine
