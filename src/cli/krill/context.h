// What krill's commands run with: the global options, the streams, and helpers shared by the
// command files (logging in podman's style, store and transport options).
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

#include "base/error.h"
#include "cli/krill/options.h"
#include "transport/image_transport.h"

namespace krill::cli {

// Docker's/podman's exit statuses.
inline constexpr int kExitEngineError = 125;  // krill itself failed (also usage errors)
inline constexpr int kExitNotFound = 1;       // e.g. rmi of an image that does not exist
inline constexpr int kExitInUse = 2;          // e.g. rmi of an image a container uses

enum class KrillLogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
Result<KrillLogLevel> parse_krill_log_level(std::string_view text);

// The store and run root of the user whose rootless namespace this is, set by the command that
// joined it for everything it runs (`krill unshare` shells, monitors).
inline constexpr const char* kRootlessStoreEnv = "KRILL_STORE";
inline constexpr const char* kRootlessRunRootEnv = "KRILL_RUNROOT";

struct Context {
  GlobalOptions global;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool out_is_terminal = false;
  bool err_is_terminal = false;
  bool in_is_terminal = false;
  KrillLogLevel log_level = KrillLogLevel::kWarn;
  // One lock for every warning_sink(): the store's and the transports' write to one stream.
  std::shared_ptr<std::mutex> warn_lock = std::make_shared<std::mutex>();

  // podman's logrus lines on stderr: `WARN[0000] message`, `DEBU[0000] message`.
  void warn(std::string_view message) const;
  // warn() for code that may call it from several threads (a pull's layers).
  std::function<void(const std::string&)> warning_sink() const;
  void info(std::string_view message) const;
  void debug(std::string_view message) const;

  std::string store_root() const;
  std::string run_root() const;
  bool rootless() const;
  // TransportOptions from the global flags and a command's registry flags.
  transport::TransportOptions transport_options(const RegistryFlags& flags) const;
  // $KRILL_REGISTRY_STALL_TIMEOUT (whole seconds, at least 1): how long a registry transfer may
  // go without a byte before it is retried. nullopt when unset; an invalid value is warned
  // about and ignored.
  std::optional<long> registry_stall_timeout_seconds() const;
};

inline constexpr const char* kRegistryStallTimeoutEnv = "KRILL_REGISTRY_STALL_TIMEOUT";

// A stream that drops everything (output a command must not show, e.g. pull's id line).
class NullStream : public std::ostream {
 public:
  NullStream() : std::ostream(&buffer_) {}

 private:
  class Buffer : public std::streambuf {
   protected:
    int overflow(int c) override { return c; }
  } buffer_;
};

// The directory of the running krill binary (where krill-runtime and krill-monitor are).
std::string krill_executable_dir();

// "not implemented yet: <what>" (exit 125): a piece of the toolchain that has not landed.
std::unexpected<Error> not_implemented(std::string_view what);

// "docker://x" stays; a bare name becomes "docker://<name>".
std::string as_docker_reference(std::string_view name);
// True when `text` starts with a transport prefix krill knows ("docker://", "oci:",
// "oci-archive:", "docker-archive:", "dir:", "containers-storage:").
bool has_transport_prefix(std::string_view text);

}  // namespace krill::cli
