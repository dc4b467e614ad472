// Repeated "key=value" flags (--label, --opt) as a map.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::cli {

// "k=v" -> {k, v}; "k" -> {k, ""}; a later key replaces an earlier one. `what` names the flag in
// errors: invalid label "=x": empty key.
Result<std::map<std::string, std::string>> parse_key_values(const std::vector<std::string>& items,
                                                            std::string_view what);

}  // namespace krill::cli
