// Passing file descriptors over unix sockets (SCM_RIGHTS), as the console
// socket protocol and the runtime <-> init sync channel need.
#pragma once

#include <cstddef>
#include <span>
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill {

// Sends `fds` with `payload` in one sendmsg(). The payload must be non-empty:
// a stream socket carries ancillary data only together with at least one byte.
// All of the payload is sent (the fds travel with its first part).
// Never raises SIGPIPE (MSG_NOSIGNAL).
Result<void> send_fds(int socket_fd, std::span<const int> fds, std::string_view payload);

// Receives one message: the fds that came with it (close-on-exec, owned by the
// caller) and its payload (up to 4096 bytes). Fails when the peer closed the
// connection, when more than `max_fds` fds arrived (the kernel closes the
// excess; the received ones are closed too) or when a datagram was truncated.
Result<std::pair<std::vector<UniqueFd>, std::string>> receive_fds(int socket_fd,
                                                                  size_t max_fds = 16);

// Connects a unix socket of `type` (SOCK_STREAM, SOCK_SEQPACKET; close-on-exec) to
// `path`. Paths longer than sun_path (108 bytes) work too: the parent directory is
// opened with O_PATH and the socket is reached as /proc/self/fd/<dirfd>/<name>.
Result<UniqueFd> connect_unix(const std::string& path, int type = SOCK_STREAM);

// Binds a unix socket of `type` (plus `flags`, e.g. SOCK_NONBLOCK; always close-on-exec) at
// `path`, of any length as above, replacing a stale socket file, and listens with `backlog`.
Result<UniqueFd> listen_unix(const std::string& path, int type, int flags, int backlog);

}  // namespace krill
