// Value conversions between the OCI (cgroup v1 shaped) resources and cgroup v2
// files, following the kernel documentation and runc's conversions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace krill::cgroups {

// cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays 0 ("unset").
uint64_t cpu_shares_to_weight(uint64_t shares);

// blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 stays 0 ("unset").
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// A memory limit as cgroup v2 writes it: -1 -> "max", else the number.
std::string memory_limit_to_v2(int64_t limit);

// OCI swap (memory+swap, v1 semantics) -> memory.swap.max (swap only).
// Returns nullopt when nothing should be written, "max" for unlimited.
// Mirrors runc: memory -1 with swap unset means both unlimited; swap needs a
// positive memory limit and must be >= it.
Result<std::optional<std::string>> swap_to_v2(std::optional<int64_t> swap,
                                              std::optional<int64_t> memory);

// The cpu.max line for a quota/period pair ("max 100000", "50000 100000", "50000").
std::optional<std::string> cpu_max_line(std::optional<int64_t> quota,
                                        std::optional<uint64_t> period);

// "hugepages-2048kB" size in kB -> "2MB"; 1048576 -> "1GB"; 64 -> "64KB".
std::string hugepage_size_name(uint64_t size_kb);

// Parses a cpuset list "0-3,7" into its members.
Result<std::vector<uint16_t>> parse_cpu_list(const std::string& list);

}  // namespace krill::cgroups
