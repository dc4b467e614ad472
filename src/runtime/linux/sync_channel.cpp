#include "runtime/linux/sync_channel.h"

#include <sys/socket.h>

#include "base/fd_passing.h"

namespace krill::linux_ns {

const char* to_string(SyncMessage message) {
  switch (message) {
    case SyncMessage::kNeedIdMaps: return "need-id-maps";
    case SyncMessage::kIdMapsDone: return "id-maps-done";
    case SyncMessage::kInitPid: return "init-pid";
    case SyncMessage::kCgroupReady: return "cgroup-ready";
    case SyncMessage::kRunRuntimeHooks: return "run-runtime-hooks";
    case SyncMessage::kHooksDone: return "hooks-done";
    case SyncMessage::kConsole: return "console";
    case SyncMessage::kSeccompListener: return "seccomp-listener";
    case SyncMessage::kReady: return "ready";
    case SyncMessage::kAck: return "ack";
    case SyncMessage::kError: return "error";
    case SyncMessage::kIdmappedMount: return "idmapped-mount";
  }
  return "unknown";
}

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return fail_errno("create sync socketpair");
  return std::make_pair(SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1])));
}

Result<void> SyncChannel::send(SyncMessage type, std::string_view payload, int fd) {
  std::string message(1, static_cast<char>(type));
  message += payload;
  if (fd >= 0) {
    int fds[1] = {fd};
    return send_fds(fd_.get(), fds, message);
  }
  return send_fds(fd_.get(), {}, message);
}

void SyncChannel::send_error(const Error& error) {
  (void)send(SyncMessage::kError, error.message());
}

Result<SyncChannel::Received> SyncChannel::receive() {
  auto received = KRILL_TRY(receive_fds(fd_.get(), 1));
  auto& [fds, payload] = received;
  if (payload.empty()) return fail("container setup process exited unexpectedly");
  Received message{static_cast<SyncMessage>(payload[0]), payload.substr(1), UniqueFd()};
  if (!fds.empty()) message.fd = std::move(fds[0]);
  return message;
}

Result<SyncChannel::Received> SyncChannel::expect(SyncMessage type) {
  auto message = KRILL_TRY(receive());
  if (message.type == SyncMessage::kError) return fail(message.payload);
  if (message.type != type)
    return fail(std::string("container setup protocol: expected ") + to_string(type) + ", got " +
                to_string(message.type));
  return message;
}

}  // namespace krill::linux_ns
