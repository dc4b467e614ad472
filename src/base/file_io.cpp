#include "base/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "base/unique_fd.h"

namespace krill {
namespace {

std::string parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write " + path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Removes the temporary file unless released (after the rename succeeded).
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

// Removes `name` under `parent_fd`, recursing into directories on the same
// device as `parent_dev`. `shown` is the path used in error messages.
Result<void> remove_at(int parent_fd, const std::string& name, dev_t parent_dev,
                       const std::string& shown) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return {};
    return fail_errno("stat " + shown);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent_fd, name.c_str(), 0) < 0 && errno != ENOENT)
      return fail_errno("remove " + shown);
    return {};
  }
  if (st.st_dev != parent_dev) return fail("remove " + shown + ": it is a mount point");

  UniqueFd dir_fd(
      ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir_fd) return fail_errno("open directory " + shown);
  std::vector<std::string> entries;
  {
    int dup_fd = ::fcntl(dir_fd.get(), F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return fail_errno("duplicate the fd of " + shown);
    DIR* dir = ::fdopendir(dup_fd);
    if (dir == nullptr) {
      ::close(dup_fd);
      return fail_errno("read directory " + shown);
    }
    errno = 0;
    while (dirent* entry = ::readdir(dir)) {
      std::string entry_name = entry->d_name;
      if (entry_name != "." && entry_name != "..") entries.push_back(std::move(entry_name));
      errno = 0;
    }
    const int read_errno = errno;
    ::closedir(dir);
    if (read_errno != 0) return fail_errno("read directory " + shown, read_errno);
  }
  for (const auto& entry : entries)
    KRILL_CHECK(remove_at(dir_fd.get(), entry, st.st_dev, shown + "/" + entry));
  dir_fd.reset();
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    return fail_errno("remove directory " + shown);
  return {};
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("read " + path);
  std::string content;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Durability durability) {
  const bool durable = durability == Durability::kDurable;
  const std::string dir = parent_dir(path);
  std::string temp_path = dir + "/." + base_name(path) + ".tmp-XXXXXX";
  int raw_fd = ::mkostemp(temp_path.data(), O_CLOEXEC);
  if (raw_fd < 0) return fail_errno("create a temporary file for " + path);
  UniqueFd fd(raw_fd);
  TempFileGuard guard(temp_path);

  if (::fchmod(fd.get(), mode) < 0) return fail_errno("chmod " + temp_path);
  KRILL_CHECK(write_all(fd.get(), data, temp_path));
  if (durable && ::fsync(fd.get()) < 0) return fail_errno("fsync " + temp_path);
  if (::close(fd.release()) < 0) return fail_errno("close " + temp_path);
  if (::rename(temp_path.c_str(), path.c_str()) < 0)
    return fail_errno("rename " + temp_path + " to " + path);
  guard.release();
  if (!durable) return {};

  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno("open directory " + dir);
  if (::fsync(dir_fd.get()) < 0 && errno != EINVAL) return fail_errno("fsync directory " + dir);
  return {};
}

Result<void> write_file(const std::string& path, std::string_view data) {
  std::string shown(data.substr(0, 64));
  if (data.size() > 64) shown += "...";
  while (!shown.empty() && shown.back() == '\n') shown.pop_back();
  const std::string what = "write \"" + shown + "\" to " + path;

  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno(what);
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno(what);
  if (static_cast<size_t>(n) != data.size())
    return fail(what + ": short write (" + std::to_string(n) + " of " +
                std::to_string(data.size()) + " bytes)");
  return {};
}

Result<void> mkdir_all(const std::string& path, mode_t mode) {
  if (path.empty()) return fail("mkdir: empty path");
  size_t pos = 0;
  for (;;) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (!prefix.empty() && prefix != "/" && ::mkdir(prefix.c_str(), mode) < 0) {
      if (errno != EEXIST) return fail_errno("mkdir " + prefix);
      struct stat st {};
      if (::stat(prefix.c_str(), &st) < 0) return fail_errno("stat " + prefix);
      if (!S_ISDIR(st.st_mode)) return fail_errno("mkdir " + prefix, ENOTDIR);
    }
    if (pos == std::string::npos) break;
  }
  return {};
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return fail_errno("list directory " + path);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return fail_errno("list directory " + path, read_errno);
  return names;
}

Result<void> remove_all(const std::string& path) {
  if (path.empty()) return fail("remove: empty path");
  const std::string dir = parent_dir(path);
  const std::string name = base_name(path);
  if (name.empty() || name == "." || name == "..") return fail("remove " + path + ": invalid path");
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) {
    if (errno == ENOENT) return {};
    return fail_errno("open directory " + dir);
  }
  struct stat st {};
  if (::fstat(dir_fd.get(), &st) < 0) return fail_errno("stat " + dir);
  return remove_at(dir_fd.get(), name, st.st_dev, path);
}

// Calendar arithmetic in std::chrono rather than gmtime_r/timegm: glibc's time functions read
// /etc/localtime (tzset) on first use even for UTC, which every `create` would pay.
std::string format_rfc3339_nano(int64_t seconds, long nanoseconds) {
  namespace chrono = std::chrono;
  const chrono::sys_seconds time{chrono::seconds(seconds)};
  const chrono::sys_days day = chrono::floor<chrono::days>(time);
  const chrono::year_month_day ymd{day};
  const chrono::hh_mm_ss clock{time - day};
  char date[64];
  std::snprintf(date, sizeof(date), "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  std::string out = date;
  if (nanoseconds > 0) {
    char fraction[32];
    std::snprintf(fraction, sizeof(fraction), ".%09ld", nanoseconds);
    std::string f = fraction;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

std::string rfc3339_nano_now() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_rfc3339_nano(ts.tv_sec, ts.tv_nsec);
}

Result<UniqueFd> open_in_root(const std::string& root, const std::string& path, int flags) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail_errno("open " + root);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative = path.empty() ? "." : path;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root_fd.get(), relative.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return fail_errno("open " + path + " in " + root);
  return UniqueFd(static_cast<int>(fd));
}

Result<int64_t> parse_rfc3339_nano(std::string_view text) {
  auto bad = [&] { return fail("parse time \"" + std::string(text) + "\": not RFC 3339"); };
  auto digits = [&](size_t pos, size_t count, int& out) {
    if (pos + count > text.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(5, 2, month) ||
      text[7] != '-' || !digits(8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(11, 2, hour) ||
      text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second))
    return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return bad();
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
        ++count;
      }
      ++pos;
    }
    if (count == 0) return bad();
    for (; count < 9; ++count) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offset_hours, offset_minutes;
    if (!digits(pos + 1, 2, offset_hours) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(pos + 4, 2, offset_minutes))
      return bad();
    offset_seconds = (offset_hours * 60 + offset_minutes) * 60;
    if (text[pos] == '-') offset_seconds = -offset_seconds;
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  // Like timegm, an out-of-range day (February 31) or second 60 carries into what follows.
  namespace chrono = std::chrono;
  const chrono::sys_days date{chrono::year{year} / chrono::month{static_cast<unsigned>(month)} /
                              chrono::day{static_cast<unsigned>(day)}};
  const int64_t seconds = chrono::duration_cast<chrono::seconds>(date.time_since_epoch()).count() +
                          (hour * 60 + minute) * 60 + second - offset_seconds;
  return seconds * 1000000000 + nanos;
}

}  // namespace krill
