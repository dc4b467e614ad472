#include "base/program_path.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace krill {

namespace {

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

std::string find_program(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  std::string dirs = env != nullptr && env[0] != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";
  std::string_view rest = dirs;
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return {};
}

std::string find_catatonit() {
  for (const char* path : {"/usr/libexec/podman/catatonit", "/usr/bin/catatonit"})
    if (executable(path)) return path;
  return find_program("catatonit");
}

}  // namespace krill
