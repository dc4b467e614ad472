#include "monitor/attach_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace krill::monitor {
namespace {

// A sockaddr_un for `path`; for a path longer than sun_path, through an O_PATH fd of its
// directory (kept open in `dir_fd` while the address is used).
Result<sockaddr_un> unix_address(const std::string& path, UniqueFd& dir_fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string target = path;
  if (path.size() >= sizeof(address.sun_path)) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return fail("socket path " + path + ": too long");
    const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    dir_fd.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) return fail_errno("open " + dir);
    target = "/proc/self/fd/" + std::to_string(dir_fd.get()) + "/" + path.substr(slash + 1);
    if (target.size() >= sizeof(address.sun_path))
      return fail("socket path " + path + ": file name too long");
  }
  std::memcpy(address.sun_path, target.c_str(), target.size() + 1);
  return address;
}

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
  UniqueFd dir_fd;
  sockaddr_un address = KRILL_TRY(unix_address(path, dir_fd));
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("create socket for " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
    return fail_errno("bind " + path);
  if (::listen(fd.get(), 16) != 0) return fail_errno("listen on " + path);
  return fd;
}

Result<UniqueFd> connect_seqpacket(const std::string& path) {
  UniqueFd dir_fd;
  sockaddr_un address = KRILL_TRY(unix_address(path, dir_fd));
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("create socket for " + path);
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return fail_errno("connect to " + path);
  return fd;
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
