#include "base/process_stat.h"

#include <charconv>
#include <cstdlib>
#include <string>

#include "base/file_io.h"

namespace krill {
namespace {

// Splits off the next space-separated token of `rest`.
std::string_view next_token(std::string_view& rest) {
  const size_t begin = rest.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(begin);
  const size_t end = rest.find_first_of(" \n");
  std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return token;
}

template <typename T>
bool parse_number(std::string_view token, T& value) {
  if (token.empty()) return false;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  return ec == std::errc() && ptr == token.data() + token.size();
}

}  // namespace

Result<ProcessStat> parse_process_stat(std::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return fail("parse process stat: no comm field in parentheses");

  ProcessStat stat;
  std::string_view pid_text = text.substr(0, open);
  while (!pid_text.empty() && pid_text.back() == ' ') pid_text.remove_suffix(1);
  if (!parse_number(pid_text, stat.pid)) return fail("parse process stat: bad pid field");

  // Fields after the comm: 3 (state) is the first token.
  std::string_view rest = text.substr(close + 1);
  int field = 3;
  for (; field <= 22; ++field) {
    std::string_view token = next_token(rest);
    if (token.empty())
      return fail("parse process stat: only " + std::to_string(field - 1) + " fields");
    if (field == 3) {
      if (token.size() != 1) return fail("parse process stat: bad state field");
      stat.state = token[0];
    } else if (field == 4) {
      if (!parse_number(token, stat.parent_pid)) return fail("parse process stat: bad ppid field");
    } else if (field == 22) {
      if (!parse_number(token, stat.start_time))
        return fail("parse process stat: bad start time field");
    }
  }
  return stat;
}

Result<ProcessStat> read_process_stat(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::string text = KRILL_TRY(read_file(path));
  auto stat = parse_process_stat(text);
  if (!stat) return std::unexpected(std::move(stat.error()).context(path));
  return stat;
}

Result<uint64_t> process_start_time(pid_t pid) {
  ProcessStat stat = KRILL_TRY(read_process_stat(pid));
  return stat.start_time;
}

bool process_alive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto stat = read_process_stat(pid);
  if (!stat) return false;
  if (stat->state == 'Z' || stat->state == 'X' || stat->state == 'x') return false;
  return stat->start_time == start_time;
}

bool has_effective_capability(int cap) {
  auto status = read_file("/proc/self/status");
  if (!status) return false;
  size_t at = status->find("\nCapEff:");
  if (at == std::string::npos) return false;
  uint64_t mask = std::strtoull(status->c_str() + at + 8, nullptr, 16);
  return cap >= 0 && cap < 64 && ((mask >> cap) & 1) != 0;
}

}  // namespace krill
