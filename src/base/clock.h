// The two clocks krill reads: wall time for what users see (created, started, log lines) and
// monotonic time for deadlines and intervals.
#pragma once

#include <time.h>

#include <cstdint>

namespace krill {

// Unix time in nanoseconds (CLOCK_REALTIME).
inline int64_t now_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_MONOTONIC in nanoseconds and milliseconds: unaffected by changes of the wall clock.
inline int64_t monotonic_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline int64_t monotonic_ms() { return monotonic_ns() / 1'000'000; }

}  // namespace krill
