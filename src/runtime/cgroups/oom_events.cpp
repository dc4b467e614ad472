#include "runtime/cgroups/oom_events.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "base/file_io.h"

namespace krill::cgroups {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

uint64_t oom_kill_count(const std::string& text) {
  std::istringstream in(text);
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value)
    if (key == "oom_kill") return value;
  return 0;
}

Result<OomWatch> OomWatch::open(const std::string& memory_dir, bool v2) {
  if (v2) {
    const std::string events = memory_dir + "/memory.events";
    UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!inotify) return fail_errno("watch " + events + ": inotify_init1");
    if (::inotify_add_watch(inotify.get(), events.c_str(), IN_MODIFY | IN_DELETE_SELF) < 0)
      return fail_errno("watch " + events);
    OomWatch watch(std::move(inotify), UniqueFd(), memory_dir, true);
    auto text = read_file(events);
    if (!text) return std::unexpected(std::move(text.error()));
    watch.seen_kills_ = oom_kill_count(*text);
    return watch;
  }
  const std::string control_path = memory_dir + "/memory.oom_control";
  UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event) return fail_errno("watch " + control_path + ": eventfd");
  UniqueFd control(::open(control_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!control) return fail_errno("open " + control_path);
  const std::string registration =
      std::to_string(event.get()) + " " + std::to_string(control.get());
  const std::string event_control = memory_dir + "/cgroup.event_control";
  UniqueFd writer(::open(event_control.c_str(), O_WRONLY | O_CLOEXEC));
  if (!writer) return fail_errno("open " + event_control);
  if (::write(writer.get(), registration.data(), registration.size()) < 0)
    return fail_errno("register an OOM eventfd in " + event_control);
  return OomWatch(std::move(event), std::move(control), memory_dir, false);
}

Result<uint64_t> OomWatch::collect() {
  if (!v2_) {
    uint64_t count = 0;
    ssize_t n = ::read(fd_.get(), &count, sizeof count);
    if (n < 0 && errno == EAGAIN) return uint64_t{0};
    if (n != static_cast<ssize_t>(sizeof count)) return fail_errno("read the OOM eventfd");
    // Removing the cgroup signals the eventfd too: that is no OOM.
    if (!exists(dir_ + "/cgroup.event_control")) {
      ended_ = true;
      return uint64_t{0};
    }
    return count;
  }
  char buffer[4096];
  while (::read(fd_.get(), buffer, sizeof buffer) > 0) {
  }
  auto text = read_file(dir_ + "/memory.events");
  if (!text) {
    ended_ = true;
    return uint64_t{0};
  }
  const uint64_t kills = oom_kill_count(*text);
  const uint64_t fresh = kills > seen_kills_ ? kills - seen_kills_ : 0;
  seen_kills_ = kills;
  return fresh;
}

}  // namespace krill::cgroups
