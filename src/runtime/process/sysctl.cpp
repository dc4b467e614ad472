#include "runtime/process/sysctl.h"

#include "runtime/process/small_file.h"

namespace krill::process {

Result<std::string> sysctl_path(std::string_view name) {
  auto invalid = [&](const char* why) {
    return fail("invalid sysctl name \"" + std::string(name) + "\": " + why);
  };
  if (name.empty()) return invalid("empty");
  if (name.find('\0') != std::string_view::npos) return invalid("contains a NUL byte");
  if (name.front() == '/') return invalid("must be relative to /proc/sys");

  size_t first_separator = name.find_first_of("./");
  bool slash_separated = first_separator != std::string_view::npos && name[first_separator] == '/';
  char separator = slash_separated ? '/' : '.';

  std::string path = "/proc/sys/";
  size_t start = 0;
  while (true) {
    size_t end = name.find(separator, start);
    std::string_view component =
        name.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (component.empty()) return invalid("empty component");
    if (!slash_separated) {
      // In a dotted name '/' stands for a '.' inside a component (an interface "eth0.100").
      std::string literal(component);
      for (char& c : literal)
        if (c == '/') c = '.';
      if (literal == "." || literal == "..") return invalid("\".\" and \"..\" are not allowed");
      path += literal;
    } else {
      if (component == "." || component == "..") return invalid("\".\" and \"..\" are not allowed");
      path += component;
    }
    if (end == std::string_view::npos) break;
    path += '/';
    start = end + 1;
  }
  return path;
}

Result<void> apply_sysctls(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [name, value] : sysctl) KRILL_CHECK(sysctl_path(name));
  for (const auto& [name, value] : sysctl) {
    std::string path = *sysctl_path(name);
    KRILL_CHECK_CTX(write_small_file(path.c_str(), value),
                    "set sysctl " + name + " to \"" + value + "\"");
  }
  return {};
}

}  // namespace krill::process
