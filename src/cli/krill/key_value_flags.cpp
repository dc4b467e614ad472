#include "cli/krill/key_value_flags.h"

namespace krill::cli {

Result<std::map<std::string, std::string>> parse_key_values(const std::vector<std::string>& items,
                                                            std::string_view what) {
  std::map<std::string, std::string> pairs;
  for (const auto& item : items) {
    auto eq = item.find('=');
    std::string key = item.substr(0, eq);
    if (key.empty()) return fail("invalid " + std::string(what) + " \"" + item + "\": empty key");
    pairs[key] = eq == std::string::npos ? "" : item.substr(eq + 1);
  }
  return pairs;
}

}  // namespace krill::cli
