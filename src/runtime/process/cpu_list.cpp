#include "runtime/process/cpu_list.h"

#include <algorithm>
#include <string>

namespace krill::process {
namespace cpu_list_detail {
namespace {

// Parses a decimal id with no sign; returns false on anything else or above max_id.
bool parse_id(std::string_view text, int max_id, int& id, bool& too_large) {
  too_large = false;
  if (text.empty()) return false;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
    if (value > max_id) {
      too_large = true;
      return false;
    }
  }
  id = static_cast<int>(value);
  return true;
}

}  // namespace

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

const char* parse_item(std::string_view item, int max_id, int& first, int& last) {
  if (item.empty()) return "empty item";
  size_t dash = item.find('-');
  bool too_large = false;
  if (dash == std::string_view::npos) {
    if (!parse_id(item, max_id, first, too_large))
      return too_large ? "id out of range" : "not a number or range";
    last = first;
    return nullptr;
  }
  if (!parse_id(item.substr(0, dash), max_id, first, too_large) ||
      !parse_id(item.substr(dash + 1), max_id, last, too_large))
    return too_large ? "id out of range" : "not a number or range";
  if (first > last) return "range start is above its end";
  return nullptr;
}

Error invalid_list(std::string_view list, std::string_view item, const char* why, int max_id) {
  std::string message =
      "invalid cpu list \"" + std::string(list) + "\": \"" + std::string(item) + "\": " + why;
  if (std::string_view(why) == "id out of range")
    message += " (max " + std::to_string(max_id) + ")";
  return Error(std::move(message));
}

}  // namespace cpu_list_detail

Result<std::vector<int>> parse_cpu_list(std::string_view list) {
  std::vector<int> ids;
  KRILL_CHECK(for_each_in_cpu_list(list, kMaxCpuListId, [&](int id) { ids.push_back(id); }));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace krill::process
