// linux.personality: the execution domain (LINUX, or LINUX32 to show a 32-bit machine).
#pragma once

#include <string_view>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::process {

// "LINUX" -> PER_LINUX, "LINUX32" -> PER_LINUX32.
Result<unsigned long> personality_domain_from_name(std::string_view name);

// personality(2) for the calling process. The spec defines no flags yet: any flag is an
// error naming it rather than being silently ignored.
Result<void> apply_personality(const oci::Personality& p);

}  // namespace krill::process
