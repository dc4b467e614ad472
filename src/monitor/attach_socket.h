// The attach socket's plumbing, shared by krill-monitor (server) and the attach client:
// SOCK_SEQPACKET unix sockets at paths of any length, and frame encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "monitor/monitor_protocol.h"

namespace krill::monitor {

// The largest frame either side sends (type byte + payload); receivers use buffers this big.
inline constexpr size_t kMaxFrameSize = 64 * 1024;

// Binds and listens (close-on-exec, non-blocking) on `path`, replacing a stale socket file.
// `type` is SOCK_SEQPACKET or SOCK_STREAM. Paths longer than sun_path are bound through
// /proc/self/fd/<dirfd>/<name>.
Result<UniqueFd> listen_unix(const std::string& path, int type);
// Connects a close-on-exec SOCK_SEQPACKET socket to `path` (any length).
Result<UniqueFd> connect_seqpacket(const std::string& path);

// One frame: type byte + payload.
std::string encode_frame(FrameType type, std::string_view payload);
std::string encode_exit_frame(int exit_code);
std::string encode_resize_frame(uint16_t rows, uint16_t cols);
// Decodes a kExit / kResize payload; false when the size is wrong.
bool decode_exit_payload(std::string_view payload, int& exit_code);
bool decode_resize_payload(std::string_view payload, uint16_t& rows, uint16_t& cols);

}  // namespace krill::monitor
