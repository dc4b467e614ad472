#include "image/store_paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace krill::image {
namespace {

// An environment variable that holds an absolute path; "" otherwise.
std::string absolute_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || value[0] != '/') return {};
  return value;
}

std::string home_of(uid_t uid) {
  std::string home = absolute_env("HOME");
  if (!home.empty()) return home;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] == '/')
    return found->pw_dir;
  return "/tmp/krill-home-" + std::to_string(uid);
}

}  // namespace

std::string store_root_for(uid_t euid) {
  if (euid == 0) return "/var/lib/krill";
  std::string data_home = absolute_env("XDG_DATA_HOME");
  if (data_home.empty()) data_home = home_of(euid) + "/.local/share";
  return data_home + "/krill";
}

std::string run_root_for(uid_t euid) {
  if (euid == 0) return "/run/krill";
  std::string runtime_dir = absolute_env("XDG_RUNTIME_DIR");
  if (runtime_dir.empty()) runtime_dir = "/tmp/krill-run-" + std::to_string(euid);
  return runtime_dir + "/krill";
}

std::string default_store_root() { return store_root_for(::geteuid()); }
std::string default_run_root() { return run_root_for(::geteuid()); }

}  // namespace krill::image
