// Hands the seccomp notify listener to the seccomp agent (runtime-spec "container process state").
#include <nlohmann/json.hpp>

#include "base/fd_passing.h"
#include "runtime/security/seccomp.h"

namespace krill::security {

Result<void> send_seccomp_listener(const std::string& listener_path, int listener_fd, pid_t pid,
                                   const std::string& metadata, const std::string& state_json) {
  const std::string context = "send seccomp listener to agent " + listener_path;
  if (listener_fd < 0) return fail(context + ": no listener fd");
  nlohmann::json state = nlohmann::json::parse(state_json, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.is_object())
    return fail(context + ": the container state is not a JSON object");

  nlohmann::json message = nlohmann::json::object();
  message["ociVersion"] = oci::kRuntimeSpecVersion;
  message["fds"] = nlohmann::json::array({"seccompFd"});  // index i names SCM_RIGHTS fd i
  message["pid"] = pid;
  if (!metadata.empty()) message["metadata"] = metadata;
  message["state"] = std::move(state);
  // metadata is opaque: replace invalid UTF-8 rather than throw.
  const std::string payload =
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  UniqueFd socket_fd;
  {
    auto connected = connect_unix(listener_path);
    if (!connected) return std::unexpected(std::move(connected.error()).context(context));
    socket_fd = std::move(*connected);
  }
  // One sendmsg carries the fd with the payload; the connection closes after one state.
  const int fds[] = {listener_fd};
  KRILL_CHECK_CTX(send_fds(socket_fd.get(), fds, payload), context);
  return {};
}

}  // namespace krill::security
