#include "runtime/cgroups/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <limits>

#include "base/unique_fd.h"

namespace krill::cgroups {

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (name.empty()) return dir;
  if (dir.back() == '/') return dir + (name.front() == '/' ? name.substr(1) : name);
  return dir + (name.front() == '/' ? "" : "/") + name;
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Result<void> write_file(const std::string& dir, const std::string& name, const std::string& value) {
  std::string path = join_path(dir, name);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  ssize_t written;
  do {
    written = ::write(fd.get(), value.data(), value.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) return fail_errno("write \"" + value + "\" to " + path);
  if (static_cast<size_t>(written) != value.size())
    return fail("write \"" + value + "\" to " + path + ": short write");
  return {};
}

Result<std::string> read_file(const std::string& dir, const std::string& name) {
  std::string path = join_path(dir, name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\n\r");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\n\r");
  return text.substr(begin, end - begin + 1);
}

Result<std::string> read_trimmed(const std::string& dir, const std::string& name) {
  return trim(KRILL_TRY(read_file(dir, name)));
}

std::optional<uint64_t> parse_u64(const std::string& text) {
  if (text == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_i64(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

Result<uint64_t> read_u64(const std::string& dir, const std::string& name) {
  std::string text = KRILL_TRY(read_trimmed(dir, name));
  auto value = parse_u64(text);
  if (!value) return fail("parse " + join_path(dir, name) + ": not a number: \"" + text + "\"");
  return *value;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = text.find(separator, start);
    if (pos == std::string::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string> split_whitespace(const std::string& text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

Result<std::map<std::string, uint64_t>> read_keyed(const std::string& dir,
                                                   const std::string& name) {
  std::string content = KRILL_TRY(read_file(dir, name));
  std::map<std::string, uint64_t> values;
  for (const auto& line : split(content, '\n')) {
    auto words = split_whitespace(line);
    if (words.size() != 2) continue;
    if (auto value = parse_u64(words[1])) values[words[0]] = *value;
  }
  return values;
}

}  // namespace krill::cgroups
