// Reading and writing the small kernel files under /proc that process setup touches
// (/proc/sys/..., /proc/self/oom_score_adj, /proc/self/setgroups). Internal to krill::process.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/error.h"

namespace krill::process {

// Opens `path` write-only and writes all of `data` in one write(2), as the kernel expects for
// proc files. Errors read "write <path>: <strerror>"; callers add what the value means.
Result<void> write_small_file(const char* path, std::string_view data);

// Reads up to `size` bytes of `path` into `buffer`; returns how many were read.
Result<size_t> read_small_file(const char* path, char* buffer, size_t size);

}  // namespace krill::process
