#include "runtime/cgroups/conversions.h"

#include "runtime/cgroups/fs.h"

namespace krill::cgroups {

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

std::string memory_limit_to_v2(int64_t limit) {
  if (limit < 0) return "max";
  return std::to_string(limit);
}

Result<std::optional<std::string>> swap_to_v2(std::optional<int64_t> swap,
                                              std::optional<int64_t> memory) {
  int64_t mem = memory.value_or(0);
  if (!swap || *swap == 0) {
    if (mem == -1) return std::optional<std::string>("max");
    return std::optional<std::string>();
  }
  if (*swap == -1) return std::optional<std::string>("max");
  if (mem == 0 || mem == -1)
    return fail("memory.swap " + std::to_string(*swap) +
                ": a swap limit needs a memory limit on cgroup v2");
  if (mem < 0) return fail("memory.limit " + std::to_string(mem) + ": invalid value");
  if (*swap < mem)
    return fail("memory.swap " + std::to_string(*swap) + " is less than memory.limit " +
                std::to_string(mem) + " (swap is memory+swap)");
  return std::optional<std::string>(std::to_string(*swap - mem));
}

std::optional<std::string> cpu_max_line(std::optional<int64_t> quota,
                                        std::optional<uint64_t> period) {
  bool has_quota = quota && *quota != 0;
  bool has_period = period && *period != 0;
  if (!has_quota && !has_period) return std::nullopt;
  std::string line = has_quota && *quota > 0 ? std::to_string(*quota) : "max";
  if (has_period) line += " " + std::to_string(*period);
  return line;
}

std::string hugepage_size_name(uint64_t size_kb) {
  static const char* units[] = {"KB", "MB", "GB", "TB", "PB"};
  size_t unit = 0;
  while (size_kb >= 1024 && size_kb % 1024 == 0 && unit + 1 < std::size(units)) {
    size_kb /= 1024;
    ++unit;
  }
  return std::to_string(size_kb) + units[unit];
}

Result<std::vector<uint16_t>> parse_cpu_list(const std::string& list) {
  std::vector<uint16_t> members;
  std::string text = trim(list);
  if (text.empty()) return members;
  for (const auto& part : split(text, ',')) {
    auto range = split(part, '-');
    auto first = parse_u64(trim(range[0]));
    auto last = range.size() == 2 ? parse_u64(trim(range[1])) : first;
    if (range.size() > 2 || !first || !last || *last < *first || *last > 65535)
      return fail("parse cpu list \"" + list + "\": bad element \"" + part + "\"");
    for (uint64_t i = *first; i <= *last; ++i) members.push_back(static_cast<uint16_t>(i));
  }
  return members;
}

}  // namespace krill::cgroups
