// quote(text): "text" in double quotes, as error messages name values ("invalid reference \"a b\"").
#pragma once

#include <string>
#include <string_view>

namespace krill {

inline std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace krill
