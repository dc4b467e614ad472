// The container commands (docker/podman verbs over engine::Engine). Each returns the exit status
// or an error that krill_main prints as "Error: <message>" with status 125.
//
// Exit statuses (Docker's and podman's):
//   run/start: the container's own status; 125 krill failed; 126 the command cannot be invoked;
//   127 the command was not found.
//   A missing container: 125 ("no container with name or ID \"x\" found: no such container"),
//   except rm (1, podman's).
//   exec into a container that is not running: 1 ("container x is not running", Docker's).
#pragma once

#include "base/error.h"
#include "cli/krill/container_options.h"
#include "cli/krill/context.h"
#include "cli/krill/options.h"
#include "engine/engine.h"

namespace krill::cli {

// The engine for this command line's --root/--runroot/--storage-driver.
Result<engine::Engine> open_engine(const Context& ctx);

// A detached start's request that prints the start's warnings on ctx's stderr.
engine::StartRequest warning_printer(Context& ctx);
Result<int> run_container_run(Context& ctx, const RunFlags& o);
Result<int> run_container_create(Context& ctx, const RunFlags& o);
Result<int> run_container_start(Context& ctx, const StartFlags& o);
Result<int> run_container_attach(Context& ctx, const AttachFlags& o);
Result<int> run_container_stop(Context& ctx, const StopFlags& o);
Result<int> run_container_restart(Context& ctx, const NamesFlags& o);
Result<int> run_container_kill(Context& ctx, const KillFlags& o);
Result<int> run_container_rm(Context& ctx, const RmFlags& o);
Result<int> run_container_ps(Context& ctx, const PsFlags& o);
Result<int> run_container_logs(Context& ctx, const LogsFlags& o);
// `inspect` (containers first, then images) and `container inspect` (containers only).
Result<int> run_container_inspect(Context& ctx, const ContainerInspectFlags& o,
                                  const InspectOptions& image_options);
Result<int> run_container_wait(Context& ctx, const WaitFlags& o);
Result<int> run_container_exec(Context& ctx, const ExecFlags& o);
Result<int> run_container_pause(Context& ctx, const NamesFlags& o);
Result<int> run_container_unpause(Context& ctx, const NamesFlags& o);
Result<int> run_container_rename(Context& ctx, const RenameFlags& o);
Result<int> run_container_top(Context& ctx, const TopFlags& o);
Result<int> run_container_prune(Context& ctx, const ContainerPruneFlags& o);
// Removes the containers that are not running and match `filters` (ps's, and until=SECONDS);
// returns their ids. One that cannot be removed is reported on ctx.err and stays.
Result<std::vector<std::string>> prune_containers(const Context& ctx, engine::Engine& engine,
                                                  const std::vector<std::string>& filters);
Result<int> run_container_cleanup(Context& ctx, const CleanupFlags& o);

}  // namespace krill::cli
