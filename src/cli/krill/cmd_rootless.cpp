// Rootless krill: every command that touches the store or containers runs inside the user's
// shared user + mount namespace (base/rootless_namespace.h), as podman's commands join its pause
// process. `krill unshare` runs any command there; `krill system migrate` ends the namespace.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/rootless_namespace.h"
#include "base/user_namespace.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/krill_cli.h"
#include "cli/krill/rootless_session.h"
#include "image/store_paths.h"

namespace krill::cli {
namespace {

// Commands that never need the namespace: credentials and the pause process itself.
bool runs_outside_namespace(std::string_view command) {
  return command == "login" || command == "logout" || command == "system migrate";
}

// Joins (or makes) the namespace of the caller's run root. Inside, the uid is 0: the store and
// run root the caller's uid chose are pinned first, and left in the environment for whatever
// runs inside (Context::store_root).
Result<void> join_users_namespace(Context& ctx) {
  if (ctx.global.root.empty()) ctx.global.root = image::default_store_root();
  if (ctx.global.runroot.empty()) ctx.global.runroot = image::default_run_root();
  KRILL_CHECK(join_rootless_namespace(ctx.global.runroot));
  ::setenv(kRootlessStoreEnv, ctx.global.root.c_str(), 1);
  ::setenv(kRootlessRunRootEnv, ctx.global.runroot.c_str(), 1);
  return {};
}

Result<int> run_unshare(Context& ctx, const std::vector<std::string>& command) {
  std::vector<std::string> argv = command;
  if (argv.empty()) {
    const char* shell = std::getenv("SHELL");
    argv.push_back(shell != nullptr && shell[0] == '/' ? shell : "/bin/sh");
  }
  ctx.out.flush();
  ctx.err.flush();
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  ::execvp(raw[0], raw.data());
  const int err = errno;
  ctx.err << "Error: run " << argv[0] << ": " << std::strerror(err) << "\n";
  return err == ENOENT ? 127 : 126;
}

Result<int> run_system_migrate(Context& ctx) {
  if (::geteuid() == 0 && !in_krill_user_namespace()) {
    ctx.out << "nothing to migrate: krill runs as root\n";
    return 0;
  }
  const std::string run_root = ctx.run_root();
  if (find_pause_process(run_root)) {
    // The containers live in the namespace that is about to end: stop them first, as podman.
    KRILL_CHECK(join_users_namespace(ctx));
    auto engine = KRILL_TRY(open_engine(ctx));
    for (const auto& record : KRILL_TRY(engine.list())) {
      if (record.status != engine::ContainerStatus::kRunning &&
          record.status != engine::ContainerStatus::kPaused)
        continue;
      auto stopped = engine.stop(record.id);
      if (!stopped) ctx.warn("stop " + record.name + ": " + stopped.error().message());
    }
  }
  bool stopped = KRILL_TRY(stop_pause_process(run_root));
  ctx.debug(stopped ? "pause process stopped" : "no pause process was running");
  return 0;
}

}  // namespace

Result<void> enter_rootless_namespace(Context& ctx, std::string_view command) {
  if (::geteuid() == 0 || in_krill_user_namespace() || runs_outside_namespace(command)) return {};
  return join_users_namespace(ctx);
}

void KrillCommandLine::register_rootless_commands(CLI::App& system) {
  {
    add(*app_, "unshare", "Run a command in krill's rootless user namespace", "[COMMAND [ARG...]]",
        "krill unshare ls -ln ~/.local/share/krill/layers\n"
        "  krill unshare rm -rf ~/.local/share/krill   # files owned by subordinate ids",
        [this](Context& ctx) { return run_unshare(ctx, unshare_command_); });
  }
  add(system, "migrate", "End the rootless user namespace (stops its containers)", "",
      "krill system migrate   # after editing /etc/subuid or /etc/subgid",
      [](Context& ctx) { return run_system_migrate(ctx); });
}

}  // namespace krill::cli
