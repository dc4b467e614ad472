// Facts about the user namespace a process runs in, and parsing of its id maps (writing them:
// base/user_namespace_maps.cpp).
#include "base/user_namespace.h"

#include <cstdlib>
#include <sstream>

#include "base/file_io.h"

namespace krill {

Result<std::vector<IdMapRange>> parse_id_map(std::string_view text) {
  std::vector<IdMapRange> ranges;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    IdMapRange range;
    std::string extra;
    if (!(fields >> range.inside >> range.outside >> range.count) || (fields >> extra) ||
        range.count == 0)
      return fail("id map: bad line \"" + line + "\"");
    ranges.push_back(range);
  }
  return ranges;
}

bool id_is_mapped(const std::vector<IdMapRange>& ranges, unsigned long id) {
  return outside_id(ranges, id).has_value();
}

std::optional<unsigned long> outside_id(const std::vector<IdMapRange>& ranges, unsigned long id) {
  for (const auto& range : ranges)
    if (id >= range.inside && id - range.inside < range.count)
      return id - range.inside + range.outside;
  return std::nullopt;
}

std::optional<unsigned long> inside_id(const std::vector<IdMapRange>& ranges, unsigned long id) {
  for (const auto& range : ranges)
    if (id >= range.outside && id - range.outside < range.count)
      return id - range.outside + range.inside;
  return std::nullopt;
}

bool in_initial_user_namespace() {
  auto map = read_file("/proc/self/uid_map");
  if (!map) return true;
  // The initial namespace maps the whole range: "0 0 4294967295".
  return map->find("4294967295") != std::string::npos;
}

bool in_krill_user_namespace() { return std::getenv(kInUserNamespaceEnv) != nullptr; }

}  // namespace krill
