// The enumerated values of the runtime spec and the kernel names a config may use
// (capabilities in kernel number order, rlimits, seccomp constants); krill_oci and the engine.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::oci::names {

// Every capability the Linux kernel defines (up to CAP_CHECKPOINT_RESTORE, 40).
extern const std::span<const std::string_view> kCapabilities;
// The RLIMIT_* resources of getrlimit(2).
extern const std::span<const std::string_view> kRlimits;
extern const std::span<const std::string_view> kSeccompActions;
extern const std::span<const std::string_view> kSeccompArches;
extern const std::span<const std::string_view> kSeccompOperators;
extern const std::span<const std::string_view> kSeccompFlags;
extern const std::span<const std::string_view> kDeviceTypes;        // c b u p
extern const std::span<const std::string_view> kDeviceCgroupTypes;  // a c b
// The spec's four values plus the recursive forms runc also accepts.
extern const std::span<const std::string_view> kRootfsPropagations;
extern const std::span<const std::string_view> kIoPriorityClasses;
extern const std::span<const std::string_view> kSchedulerPolicies;
extern const std::span<const std::string_view> kSchedulerFlags;
extern const std::span<const std::string_view> kMemoryPolicyModes;
extern const std::span<const std::string_view> kMemoryPolicyFlags;
extern const std::span<const std::string_view> kPersonalityDomains;
extern const std::span<const std::string_view> kTimeOffsetClocks;  // monotonic boottime

bool contains(std::span<const std::string_view> set, std::string_view value);

// path + ": unknown " + what + " \"value\"" unless value is in allowed.
Result<void> check_one_of(std::string_view value, std::span<const std::string_view> allowed,
                          std::string_view what, const std::string& path);

// "2MB", "64KB", "1GB": ^[1-9][0-9]*[KMG]B$ as in the schema.
bool is_valid_hugepage_size(std::string_view size);

// "creating", "created", ... -> Status (the inverse of to_string).
Result<Status> parse_status(std::string_view name);

// JSON-style quoting of a value for an error message: "foo" with \" and \\ escaped.
std::string quote(std::string_view value);

}  // namespace krill::oci::names
