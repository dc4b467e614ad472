// Rootless commands run inside the user's shared user + mount namespace (cmd_rootless.cpp).
#pragma once

#include <string_view>

#include "base/error.h"
#include "cli/krill/context.h"

namespace krill::cli {

// For an unprivileged caller outside krill's namespace: pins the store and run root to the
// caller's (--root/--runroot defaults) and joins (or creates) the namespace of that run root.
// A no-op for root, inside the namespace, and for commands that do not need it (login, logout,
// system migrate).
Result<void> enter_rootless_namespace(Context& ctx, std::string_view command);

}  // namespace krill::cli
