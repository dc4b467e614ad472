// parse_go_duration: Go's time.ParseDuration, for the flags and Dockerfile options that take
// Docker's durations.
#include "base/go_duration.h"

#include <cctype>
#include <cstdlib>
#include <string>

namespace krill {

Result<int64_t> parse_go_duration(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return 0;
  if (rest.empty()) return fail("time: invalid duration \"" + std::string(text) + "\"");
  long double total = 0;
  while (!rest.empty()) {
    size_t i = 0;
    while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '.'))
      ++i;
    if (rest.substr(0, i).find_first_of("0123456789") == std::string_view::npos)
      return fail("time: invalid duration \"" + std::string(text) + "\"");
    long double number = std::strtold(std::string(rest.substr(0, i)).c_str(), nullptr);
    rest.remove_prefix(i);
    size_t j = 0;
    while (j < rest.size() && !std::isdigit(static_cast<unsigned char>(rest[j])) && rest[j] != '.')
      ++j;
    std::string unit(rest.substr(0, j));
    rest.remove_prefix(j);
    long double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else if (unit.empty())
      return fail("time: missing unit in duration \"" + std::string(text) + "\"");
    else
      return fail("time: unknown unit \"" + unit + "\" in duration \"" + std::string(text) + "\"");
    total += number * scale;
  }
  if (total > 9.2e18L) return fail("time: invalid duration \"" + std::string(text) + "\"");
  auto ns = static_cast<int64_t>(total);
  return negative ? -ns : ns;
}

}  // namespace krill
