// Durations as Go writes them (Docker's flags and HEALTHCHECK options): "300ms", "1.5s",
// "1h30m", "-2m"; units ns, us (µs), ms, s, m, h.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.h"

namespace krill {

// Nanoseconds. Errors as Go's: "time: invalid duration \"x\"", "time: missing unit in
// duration \"10\"", "time: unknown unit \"d\" in duration \"1d\"".
Result<int64_t> parse_go_duration(std::string_view text);

}  // namespace krill
