// Process capabilities (process.capabilities) and no_new_privs (process.noNewPrivileges).
//
// Order in the container init, as runc does it:
//   prepare_capabilities(caps)      // still root: PR_SET_KEEPCAPS, drop the bounding set
//   setgroups / setresgid / setresuid
//   apply_capabilities(caps)        // capset E/P/I, raise ambient, clear PR_SET_KEEPCAPS
//   set_no_new_privileges()         // when process.noNewPrivileges
//
// Semantics (runc 1.2 and the runtime-spec): an empty set in the config means an empty set.
// Capabilities that cannot be granted never fail the container, they are skipped with a warning
// (the spec: "SHOULD NOT fail ... MUST be logged as a warning"; runc: "ignoring unknown or
// unavailable capabilities"):
//   - names that are not capabilities (e.g. "CAP_UNKNOWN") or that the running kernel does not
//     know (number >= cap_max_bits());
//   - bounding caps already absent from the bounding set;
//   - permitted caps this process no longer holds in its permitted set;
//   - inheritable caps the kernel would refuse (outside bounding | inheritable, or outside
//     permitted | inheritable without CAP_SETPCAP);
//   - effective caps outside the resulting permitted set;
//   - ambient caps not in both the resulting permitted and inheritable sets (runc 1.1 ignored the
//     PR_CAP_AMBIENT_RAISE error silently, runc >= 1.2 warns), or when the kernel lacks ambient
//     capabilities (EINVAL, Linux < 4.3).
// Warnings are appended to `warnings` when it is not null; the init should pass them on to the
// runtime, which logs them. capability_warnings() gives the config-only ones up front.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::security {

// "CAP_SYS_ADMIN" -> 21. Exact upper-case spelling, as in the spec; unknown -> error naming it.
// Names known to libcap but not to the running kernel still resolve.
Result<int> capability_from_name(std::string_view name);

// Every capability the running kernel knows (cap_max_bits()) that has a name, "CAP_CHOWN" ...,
// in numeric order, for features.json.
std::vector<std::string> known_capability_names();

// Warnings a config yields regardless of the process state: unknown names, caps the running
// kernel does not know, ambient caps missing from permitted or inheritable.
std::vector<std::string> capability_warnings(const oci::Capabilities& caps);

// Called by the container init while still root, before changing uid: sets PR_SET_KEEPCAPS and
// drops from the bounding set every capability not in caps.bounding (needs CAP_SETPCAP).
Result<void> prepare_capabilities(const oci::Capabilities& caps,
                                  std::vector<std::string>* warnings = nullptr);

// Called after the uid/gid change: sets effective/permitted/inheritable with capset (libcap),
// clears and raises the ambient set, clears PR_SET_KEEPCAPS.
Result<void> apply_capabilities(const oci::Capabilities& caps,
                                std::vector<std::string>* warnings = nullptr);

// prctl(PR_SET_NO_NEW_PRIVS, 1).
Result<void> set_no_new_privileges();

}  // namespace krill::security
