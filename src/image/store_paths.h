// Default locations of the image store and of runtime state, as podman picks them.
#pragma once

#include <sys/types.h>

#include <string>

namespace krill::image {

// The store (`--root`): "/var/lib/krill" when running as root (euid 0); rootless
// "$XDG_DATA_HOME/krill", or "$HOME/.local/share/krill" when XDG_DATA_HOME is unset,
// empty or relative (HOME falls back to the passwd entry of the user).
std::string default_store_root();
// Runtime state (`--runroot`): "/run/krill" as root; rootless "$XDG_RUNTIME_DIR/krill",
// or "/tmp/krill-run-<uid>/krill" when XDG_RUNTIME_DIR is unset, empty or relative.
std::string default_run_root();

// The same decisions for a given effective uid (reading the environment), for
// callers and tests that must not depend on who runs them.
std::string store_root_for(uid_t euid);
std::string run_root_for(uid_t euid);

}  // namespace krill::image
