#include "runtime/process/small_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/unique_fd.h"

namespace krill::process {

Result<void> write_small_file(const char* path, std::string_view data) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail_errno(std::string("open ") + path + " for writing");
  ssize_t written;
  do {
    written = ::write(fd.get(), data.data(), data.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) return fail_errno(std::string("write ") + path);
  if (static_cast<size_t>(written) != data.size())
    return fail(std::string("write ") + path + ": short write (" + std::to_string(written) +
                " of " + std::to_string(data.size()) + " bytes)");
  return {};
}

Result<size_t> read_small_file(const char* path, char* buffer, size_t size) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail_errno(std::string("open ") + path);
  size_t total = 0;
  while (total < size) {
    ssize_t n = ::read(fd.get(), buffer + total, size - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(std::string("read ") + path);
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

}  // namespace krill::process
