// process.user: the credentials the container process runs with.
#pragma once

#include "base/error.h"
#include "oci/spec.h"

namespace krill::process {

// Switches the calling process to `user`, in this order:
//  1. setgroups(additionalGids + gid). Skipped when /proc/self/setgroups says "deny" (a user
//     namespace whose gid_map was written without CAP_SETGID) and no additional gids are
//     requested; with additional gids that is an error saying why.
//  2. setresgid(gid, gid, gid), 3. setresuid(uid, uid, uid), 4. umask(umask) when set.
// Call it after PR_SET_KEEPCAPS so capabilities survive the uid change.
Result<void> apply_user(const oci::User& user);

}  // namespace krill::process
