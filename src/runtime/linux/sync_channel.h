// The message channel between the runtime and the container's setup and init
// processes (a SOCK_SEQPACKET socketpair). Every step of create that needs the
// other side is one message; a failure in the child travels back as kError
// with the full error text, so the runtime can report it and clean up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::linux_ns {

enum class SyncMessage : uint8_t {
  kNeedIdMaps = 1,   // child -> runtime: I unshared a user namespace, write my maps
  kIdMapsDone,       // runtime -> child
  kInitPid,          // setup child -> runtime: the init's pid (payload)
  kCgroupReady,      // runtime -> init: you are in your cgroups; payload: the state JSON
  kRunRuntimeHooks,  // init -> runtime: mounts done, run prestart/createRuntime (if any)
  kHooksDone,        // runtime -> init: payload is the state JSON for createContainer
  kConsole,          // init -> runtime: the pty master (fd)
  kSeccompListener,  // init -> runtime: the seccomp notify fd
  kReady,            // init -> runtime: waiting for start
  kAck,              // generic acknowledgement
  kError,            // either way: payload is the error message
  kIdmappedMount,    // runtime -> init, before kCgroupReady: a detached idmapped tree (fd)
                     // for the spec mount whose index is the payload
};

const char* to_string(SyncMessage message);

class SyncChannel {
 public:
  struct Received {
    SyncMessage type;
    std::string payload;
    UniqueFd fd;
  };

  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<void> send(SyncMessage type, std::string_view payload = {}, int fd = -1);
  // Sends an error; failures to send are ignored (the peer sees EOF instead).
  void send_error(const Error& error);
  Result<Received> receive();
  // Receives the next message and requires it to be `type`; a kError from the
  // peer becomes this call's error.
  Result<Received> expect(SyncMessage type);

  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

}  // namespace krill::linux_ns
