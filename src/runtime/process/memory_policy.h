// linux.memoryPolicy: the NUMA memory policy of the container process.
#pragma once

#include <string_view>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::process {

// Node ids above this are rejected (the kernel's MAX_NUMNODES is at most 1024).
inline constexpr int kMaxMemoryNode = 1023;

// "MPOL_BIND" -> MPOL_BIND (2), including MPOL_PREFERRED_MANY and MPOL_WEIGHTED_INTERLEAVE.
Result<int> memory_policy_mode_from_name(std::string_view name);
// "MPOL_F_STATIC_NODES" -> its mode-flag bit.
Result<int> memory_policy_flag_from_name(std::string_view name);

// set_mempolicy(2) for the calling process with mode | flags and the nodemask from `nodes`
// ("0-3,7"). Checks first what the kernel would only answer with EINVAL: MPOL_DEFAULT and
// MPOL_LOCAL take no nodes, MPOL_BIND / MPOL_INTERLEAVE / MPOL_WEIGHTED_INTERLEAVE /
// MPOL_PREFERRED_MANY need some, MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each
// other.
Result<void> apply_memory_policy(const oci::MemoryPolicy& policy);

}  // namespace krill::process
