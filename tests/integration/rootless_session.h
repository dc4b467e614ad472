// A rootless krill for tests: the test user (test_user.h), a home with copies of the krill
// binaries (the build tree may sit where the user cannot enter), and a clean-up that ends the
// user's krill namespace (containers stopped, the pause process gone) even when a test fails.
#pragma once

#include <string>
#include <vector>

#include "harness.h"
#include "test_user.h"

namespace krill::it {

class RootlessSession {
 public:
  // Skips (sets skip_reason) where rootless runs are impossible: not root, no setpriv or
  // newuidmap, user namespaces disabled.
  RootlessSession();
  ~RootlessSession();
  RootlessSession(const RootlessSession&) = delete;
  RootlessSession& operator=(const RootlessSession&) = delete;

  const std::string& skip_reason() const { return skip_reason_; }
  const std::string& error() const { return user_.error(); }
  const TestUser& user() const { return user_; }
  const std::string& home() const { return home_.path(); }
  // $XDG_RUNTIME_DIR/krill and $XDG_DATA_HOME/krill of the user.
  std::string run_root() const { return home() + "/xdg/krill"; }
  std::string store_root() const { return home() + "/.local/share/krill"; }
  // The command line of `krill ARGS...` as the user (for script(1) or a pty).
  std::vector<std::string> krill_argv(const std::vector<std::string>& args) const;
  // `krill ARGS...` as the user.
  CommandResult krill(const std::vector<std::string>& args,
                      CommandOptions options = {.timeout = std::chrono::seconds(120)}) const;
  // The user's pause process (from pause.pid), 0 when none runs.
  pid_t pause_pid() const;
  // Files the user's processes may open: chowns `path` (recursively) to the user.
  void give(const std::string& path) const;

 private:
  std::string skip_reason_;
  TestUser user_;
  TempDir home_{"rootless"};
};

}  // namespace krill::it
