#include "cli/krill/context.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <ostream>

#include "base/user_namespace.h"
#include "image/store_paths.h"

namespace krill::cli {

Result<KrillLogLevel> parse_krill_log_level(std::string_view text) {
  if (text == "error" || text == "fatal" || text == "panic") return KrillLogLevel::kError;
  if (text == "warn" || text == "warning") return KrillLogLevel::kWarn;
  if (text == "info") return KrillLogLevel::kInfo;
  if (text == "debug" || text == "trace") return KrillLogLevel::kDebug;
  return fail("invalid log level \"" + std::string(text) +
              "\": must be one of error, warn, info, debug");
}

void Context::warn(std::string_view message) const {
  if (log_level >= KrillLogLevel::kWarn) err << "WARN[0000] " << message << "\n";
}
std::function<void(const std::string&)> Context::warning_sink() const {
  return [this, lock = warn_lock](const std::string& message) {
    std::lock_guard<std::mutex> held(*lock);
    warn(message);
  };
}

void Context::info(std::string_view message) const {
  if (log_level >= KrillLogLevel::kInfo) err << "INFO[0000] " << message << "\n";
}
void Context::debug(std::string_view message) const {
  if (log_level >= KrillLogLevel::kDebug) err << "DEBU[0000] " << message << "\n";
}

namespace {
// Inside krill's rootless namespace the uid is 0, but the store is still the user's: the
// command that joined it left the paths in the environment (cmd_rootless.cpp).
std::string rootless_env(const char* name) {
  const char* value = in_krill_user_namespace() ? std::getenv(name) : nullptr;
  return value != nullptr && value[0] == '/' ? value : "";
}
}  // namespace

std::string Context::store_root() const {
  if (!global.root.empty()) return global.root;
  std::string inherited = rootless_env(kRootlessStoreEnv);
  return inherited.empty() ? image::default_store_root() : inherited;
}
std::string Context::run_root() const {
  if (!global.runroot.empty()) return global.runroot;
  std::string inherited = rootless_env(kRootlessRunRootEnv);
  return inherited.empty() ? image::default_run_root() : inherited;
}
// Also inside the user namespace a rootless build re-executes in (base/user_namespace.h): root
// there, but the store is the user's.
bool Context::rootless() const { return geteuid() != 0 || in_krill_user_namespace(); }

transport::TransportOptions Context::transport_options(const RegistryFlags& flags) const {
  transport::TransportOptions o;
  o.tls_verify = flags.tls_verify;
  o.cert_dir = flags.cert_dir;
  o.creds = flags.creds;
  o.auth_file = flags.authfile;
  o.store_root = store_root();
  o.registries_conf = global.registries_conf;
  o.rootless = rootless();
  o.max_layer_bytes = global.max_layer_bytes;
  o.warn = warning_sink();
  o.stall_timeout_seconds = registry_stall_timeout_seconds();
  return o;
}

std::optional<long> Context::registry_stall_timeout_seconds() const {
  const char* value = std::getenv(kRegistryStallTimeoutEnv);
  if (value == nullptr || *value == '\0') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long seconds = std::strtol(value, &end, 10);
  if (errno != 0 || *end != '\0' || seconds < 1) {
    warn(std::string(kRegistryStallTimeoutEnv) + "=\"" + value +
         "\" ignored: want a whole number of seconds, at least 1");
    return std::nullopt;
  }
  return seconds;
}

std::string krill_executable_dir() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return ".";
  std::string self(buffer, static_cast<size_t>(n));
  return self.substr(0, self.find_last_of('/'));
}

std::unexpected<Error> not_implemented(std::string_view what) {
  return fail("not implemented yet: " + std::string(what));
}

bool has_transport_prefix(std::string_view text) {
  for (std::string_view p : {"docker://", "oci:", "oci-archive:", "docker-archive:", "dir:",
                             "containers-storage:", "docker-daemon:"})
    if (text.starts_with(p)) return true;
  return false;
}

std::string as_docker_reference(std::string_view name) {
  if (name.starts_with("docker://")) return std::string(name);
  return "docker://" + std::string(name);
}

}  // namespace krill::cli
