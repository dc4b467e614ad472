// process.rlimits: POSIX resource limits for the container process.
#pragma once

#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::process {

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE. Unknown names are an error naming them.
Result<int> rlimit_from_name(std::string_view name);

// The name of a resource number ("RLIMIT_NOFILE"), or nullptr for an unknown one.
const char* rlimit_name(int resource);

// Applies every limit with setrlimit(2), in order. Rejects unknown and duplicated types before
// changing anything. Errors name the limit and the values:
//   "set rlimit RLIMIT_NOFILE to 2048/2048: Operation not permitted (...hint...)"
// where the hint explains EPERM (raising a hard limit needs CAP_SYS_RESOURCE; RLIMIT_NOFILE is
// also capped by fs.nr_open) and EINVAL (soft above hard).
Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits);

}  // namespace krill::process
