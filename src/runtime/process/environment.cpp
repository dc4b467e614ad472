#include "runtime/process/environment.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string_view>

#include "base/unique_fd.h"

namespace krill::process {
namespace {

constexpr size_t kMaxPasswdSize = 4 << 20;

// Field `index` (0-based) of a ':'-separated passwd line; false when the line is shorter.
bool passwd_field(std::string_view line, int index, std::string_view& field) {
  for (int i = 0; i < index; ++i) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    line.remove_prefix(colon + 1);
  }
  field = line.substr(0, line.find(':'));
  return true;
}

bool parse_uid(std::string_view text, uint32_t& uid) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > UINT32_MAX) return false;
  uid = static_cast<uint32_t>(value);
  return true;
}

std::string_view key_of(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Field `index` of the first entry for `uid` in the passwd(5) file at `passwd_path`; nothing when
// the file is unreadable or has no such entry.
std::optional<std::string> passwd_field_for_uid(uint32_t uid, const std::string& passwd_path,
                                                int index) {
  UniqueFd fd(::open(passwd_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return std::nullopt;
  std::string content;
  char buffer[4096];
  while (content.size() < kMaxPasswdSize) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  std::string_view rest = content;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (line.empty() || line.front() == '#') continue;
    std::string_view uid_text, field;
    uint32_t line_uid = 0;
    if (!passwd_field(line, 2, uid_text) || !parse_uid(uid_text, line_uid) || line_uid != uid)
      continue;
    if (!passwd_field(line, index, field)) continue;
    return std::string(field);
  }
  return std::nullopt;
}

}  // namespace

std::string home_from_passwd(uint32_t uid, const std::string& passwd_path) {
  return passwd_field_for_uid(uid, passwd_path, 5).value_or("");
}

std::optional<std::string> name_from_passwd(uint32_t uid, const std::string& passwd_path) {
  return passwd_field_for_uid(uid, passwd_path, 0);
}

Result<std::vector<std::string>> build_environment(const std::vector<std::string>& env,
                                                   uint32_t uid, const std::string& passwd_path) {
  std::vector<std::string> result;
  result.reserve(env.size() + 1);
  bool has_home = false;
  for (const auto& entry : env) {
    size_t equals = entry.find('=');
    if (equals == std::string::npos)
      return fail("invalid environment variable \"" + entry + "\": missing '='");
    if (equals == 0)
      return fail("invalid environment variable \"" + entry + "\": name cannot be empty");
    if (entry.find('\0') != std::string::npos)
      return fail("invalid environment variable \"" + entry.substr(0, equals) +
                  "\": contains a NUL byte");
    std::string_view key = key_of(entry);
    if (key == "HOME") has_home = true;
    bool replaced = false;
    for (auto& existing : result) {
      if (key_of(existing) == key) {
        existing = entry;
        replaced = true;
        break;
      }
    }
    if (!replaced) result.push_back(entry);
  }
  if (!has_home) {
    std::string home = home_from_passwd(uid, passwd_path);
    result.push_back("HOME=" + (home.empty() ? std::string("/") : home));
  }
  return result;
}

}  // namespace krill::process
