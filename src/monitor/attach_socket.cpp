#include "monitor/attach_socket.h"

#include <sys/socket.h>

#include <cstring>

#include "base/fd_passing.h"

namespace krill::monitor {
namespace {

void put_u16(std::string& out, uint16_t value) {
  out += static_cast<char>(value & 0xff);
  out += static_cast<char>(value >> 8);
}

uint32_t get_u32(std::string_view bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path, int type) {
  return krill::listen_unix(path, type, SOCK_NONBLOCK, 16);
}

Result<UniqueFd> connect_seqpacket(const std::string& path) {
  return connect_unix(path, SOCK_SEQPACKET);
}

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 1);
  frame += static_cast<char>(type);
  frame += payload;
  return frame;
}

std::string encode_exit_frame(int exit_code) {
  std::string frame(1, static_cast<char>(FrameType::kExit));
  const auto value = static_cast<uint32_t>(exit_code);
  for (int i = 0; i < 4; ++i) frame += static_cast<char>((value >> (8 * i)) & 0xff);
  return frame;
}

std::string encode_resize_frame(uint16_t rows, uint16_t cols) {
  std::string frame(1, static_cast<char>(FrameType::kResize));
  put_u16(frame, rows);
  put_u16(frame, cols);
  return frame;
}

bool decode_exit_payload(std::string_view payload, int& exit_code) {
  if (payload.size() != 4) return false;
  exit_code = static_cast<int>(get_u32(payload));
  return true;
}

bool decode_resize_payload(std::string_view payload, uint16_t& rows, uint16_t& cols) {
  if (payload.size() != 4) return false;
  auto u8 = [&](size_t i) { return static_cast<uint16_t>(static_cast<unsigned char>(payload[i])); };
  rows = static_cast<uint16_t>(u8(0) | (u8(1) << 8));
  cols = static_cast<uint16_t>(u8(2) | (u8(3) << 8));
  return true;
}

}  // namespace krill::monitor
