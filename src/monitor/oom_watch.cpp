#include "monitor/oom_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/file_io.h"

namespace krill::monitor {

long parse_oom_kill_count(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with("oom_kill ")) continue;
    long count = 0;
    for (char c : line.substr(9)) {
      if (c < '0' || c > '9') break;
      count = count * 10 + (c - '0');
    }
    return count;
  }
  return 0;
}

std::string memory_cgroup_path(std::string_view proc_cgroup, bool& v2) {
  std::string v2_path;
  size_t pos = 0;
  while (pos < proc_cgroup.size()) {
    size_t end = proc_cgroup.find('\n', pos);
    if (end == std::string_view::npos) end = proc_cgroup.size();
    std::string_view line = proc_cgroup.substr(pos, end - pos);
    pos = end + 1;
    const size_t first = line.find(':');
    const size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string_view path = line.substr(second + 1);
    if (controllers.empty() && line.substr(0, first) == "0") {
      v2_path = std::string(path);
      continue;
    }
    // "memory" alone or in a list such as "cpu,memory".
    size_t start = 0;
    while (start <= controllers.size()) {
      size_t comma = controllers.find(',', start);
      if (comma == std::string_view::npos) comma = controllers.size();
      if (controllers.substr(start, comma - start) == "memory") {
        v2 = false;
        return std::string(path);
      }
      start = comma + 1;
    }
  }
  v2 = true;
  return v2_path;
}

OomWatch OomWatch::open_for(pid_t pid) {
  OomWatch watch;
  auto text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return watch;
  bool v2 = false;
  const std::string path = memory_cgroup_path(*text, v2);
  if (path.empty() || path == "/") return watch;  // not a container's own cgroup
  const std::string file = v2 ? "/sys/fs/cgroup" + path + "/memory.events"
                              : "/sys/fs/cgroup/memory" + path + "/memory.oom_control";
  watch.counter_fd_.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  return watch;
}

bool OomWatch::oom_killed() const {
  if (!counter_fd_) return false;
  char buffer[1024];
  const ssize_t n = ::pread(counter_fd_.get(), buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return false;
  return parse_oom_kill_count(std::string_view(buffer, static_cast<size_t>(n))) > 0;
}

}  // namespace krill::monitor
