// CPU and memory-node lists in the kernel's "0-3,7" format (cpuset.cpus, execCPUAffinity,
// memoryPolicy.nodes).
#pragma once

#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::process {

// The largest id parse_cpu_list accepts; the kernel's NR_CPUS limit is 8192.
inline constexpr int kMaxCpuListId = 8191;

// Calls `visit(id)` for every id in `list`, in the order written (ids may repeat), without
// allocating. Items are "N" or "N-M" (N <= M) separated by commas; surrounding whitespace
// (a trailing newline read from a file) is ignored; an empty list visits nothing. Ids above
// `max_id` are an error.
template <typename Visit>
Result<void> for_each_in_cpu_list(std::string_view list, int max_id, Visit&& visit);

// The ids in `list`, sorted and without duplicates: "0-2,7,1" -> {0, 1, 2, 7}. Errors name
// the list: `invalid cpu list "1-": ...`.
Result<std::vector<int>> parse_cpu_list(std::string_view list);

// ---- implementation ----

namespace cpu_list_detail {
// Parses one item ("N" or "N-M") into [first, last]; returns an error text or nullptr.
const char* parse_item(std::string_view item, int max_id, int& first, int& last);
std::string_view trim(std::string_view text);
Error invalid_list(std::string_view list, std::string_view item, const char* why, int max_id);
}  // namespace cpu_list_detail

template <typename Visit>
Result<void> for_each_in_cpu_list(std::string_view list, int max_id, Visit&& visit) {
  std::string_view rest = cpu_list_detail::trim(list);
  if (rest.empty()) return {};
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    int first = 0, last = 0;
    if (const char* why = cpu_list_detail::parse_item(item, max_id, first, last))
      return std::unexpected(cpu_list_detail::invalid_list(list, item, why, max_id));
    for (int id = first; id <= last; ++id) visit(id);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return {};
}

}  // namespace krill::process
