// read_logs: the reader behind `krill logs` (--since, --until, --tail, --follow).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <vector>

#include "monitor/log_file.h"
#include "monitor/log_format.h"

namespace krill::monitor {
namespace {

using EntrySink = std::function<bool(LogEntry&&)>;  // false: stop reading

// An open log file read line by line from where it was left.
class LogCursor {
 public:
  LogCursor(UniqueFd fd, std::string path, bool json)
      : fd_(std::move(fd)), path_(std::move(path)), json_(json) {}

  // Reads what is there now; complete lines go to `sink`. Returns whether any bytes were read,
  // or false in `keep_going` once the sink asked to stop.
  Result<bool> read_available(const EntrySink& sink, bool& keep_going) {
    bool any = false;
    char buffer[64 * 1024];
    while (keep_going) {
      ssize_t n = ::read(fd_.get(), buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno("read log " + path_);
      }
      if (n == 0) break;
      any = true;
      offset_ += n;
      std::string_view data(buffer, static_cast<size_t>(n));
      while (keep_going && !data.empty()) {
        const size_t newline = data.find('\n');
        if (newline == std::string_view::npos) {
          carry_.append(data);
          break;
        }
        if (carry_.empty()) {
          keep_going = emit(data.substr(0, newline), sink);
        } else {
          carry_.append(data.substr(0, newline));
          std::string line = std::move(carry_);
          carry_.clear();
          keep_going = emit(line, sink);
        }
        data.remove_prefix(newline + 1);
      }
    }
    return any;
  }

  // True when the file was truncated below what was read (max_files=1 rotation): start over.
  bool restart_if_truncated() {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0 || st.st_size >= offset_) return false;
    ::lseek(fd_.get(), 0, SEEK_SET);
    offset_ = 0;
    carry_.clear();
    return true;
  }

  bool stat(struct stat& st) const { return ::fstat(fd_.get(), &st) == 0; }

  bool same_file(const struct stat& st) const {
    struct stat own {};
    return ::fstat(fd_.get(), &own) == 0 && own.st_dev == st.st_dev && own.st_ino == st.st_ino;
  }

 private:
  bool emit(std::string_view line, const EntrySink& sink) {
    auto entry = json_ ? parse_json_file_line(line) : parse_k8s_file_line(line);
    if (!entry) return true;  // not an entry (e.g. a torn line): skip it
    return sink(std::move(*entry));
  }

  UniqueFd fd_;
  std::string path_;
  bool json_;
  off_t offset_ = 0;
  std::string carry_;
};

// The log's files, oldest first (path.N ... path.1, path), opened together so that a rotation
// in between cannot make us skip or repeat one: the names are checked again after opening.
Result<std::vector<LogCursor>> open_log_files(const std::string& path, bool json) {
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> names;
    for (int k = 1;; ++k) {
      std::string name = path + "." + std::to_string(k);
      if (::access(name.c_str(), F_OK) != 0) break;
      names.push_back(std::move(name));
    }
    std::reverse(names.begin(), names.end());
    names.push_back(path);
    std::vector<LogCursor> cursors;
    bool consistent = true;
    for (const std::string& name : names) {
      UniqueFd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) {
        if (errno != ENOENT) return fail_errno("open log " + name);
        if (names.size() == 1) return cursors;  // no log at all (yet)
        consistent = false;
        break;
      }
      cursors.emplace_back(std::move(fd), name, json);
    }
    for (size_t i = 0; consistent && i < names.size(); ++i) {
      struct stat st {};
      consistent = ::stat(names[i].c_str(), &st) == 0 && cursors[i].same_file(st);
    }
    if (consistent) return cursors;
    if (attempt >= 100) return fail("open log " + path + ": it keeps rotating");
    struct timespec ts {
      0, 1000000
    };
    nanosleep(&ts, nullptr);
  }
}

void sleep_ms(long ms) {
  struct timespec ts {
    ms / 1000, (ms % 1000) * 1000000
  };
  nanosleep(&ts, nullptr);
}

}  // namespace

Result<void> read_logs(const std::string& driver, const std::string& path,
                       const LogReadOptions& options,
                       const std::function<void(const LogEntry&)>& sink,
                       const std::function<bool()>& still_running) {
  if (driver != "k8s-file" && driver != "json-file")
    return fail("read logs " + path + ": the \"" + driver + "\" log driver keeps no logs");
  const bool json = driver == "json-file";
  bool past_until = false;

  // Filters by time; stops at the first entry after --until.
  auto in_window = [&](const LogEntry& entry) {
    if (options.until_ns > 0 && entry.time_ns > options.until_ns) {
      past_until = true;
      return false;
    }
    return options.since_ns <= 0 || entry.time_ns >= options.since_ns;
  };

  // --tail N: keep the last N lines (a line = its partial entries + the final one).
  std::deque<LogEntry> tail;
  size_t tail_lines = 0;
  const bool tailing = options.tail >= 0;
  EntrySink collect = [&](LogEntry&& entry) {
    if (!in_window(entry)) return !past_until;
    if (!tailing) {
      sink(entry);
      return true;
    }
    if (options.tail == 0) return true;
    if (!entry.partial) ++tail_lines;
    tail.push_back(std::move(entry));
    while (tail_lines > static_cast<size_t>(options.tail)) {
      if (!tail.front().partial) --tail_lines;
      tail.pop_front();
    }
    return true;
  };

  std::vector<LogCursor> files = KRILL_TRY(open_log_files(path, json));
  bool keep_going = true;
  for (LogCursor& file : files) {
    if (!keep_going) break;
    KRILL_CHECK(file.read_available(collect, keep_going));
  }
  std::optional<LogCursor> current;
  if (!files.empty()) current.emplace(std::move(files.back()));
  files.clear();
  for (const LogEntry& entry : tail) sink(entry);
  tail.clear();
  if (!options.follow || !keep_going) return {};

  EntrySink forward = [&](LogEntry&& entry) {
    if (!in_window(entry)) return !past_until;
    sink(entry);
    return true;
  };
  // Follow: poll for growth every 100 ms; when `path` is a new file, the one we read was
  // rotated: finish it, then read the files rotated after it, then the new current one.
  while (keep_going) {
    const bool running = !still_running || still_running();
    bool progressed = false;
    if (current) {
      current->restart_if_truncated();
      progressed = KRILL_TRY(current->read_available(forward, keep_going));
      if (!keep_going) break;
    }
    struct stat st {};
    const bool path_exists = ::stat(path.c_str(), &st) == 0;
    if (path_exists && (!current || !current->same_file(st))) {
      // Rotated: finish our file, then the files rotated after it, then follow the new one.
      std::vector<LogCursor> now = KRILL_TRY(open_log_files(path, json));
      if (now.empty()) continue;
      size_t next = 0;
      if (current) {
        KRILL_CHECK(current->read_available(forward, keep_going));
        for (size_t i = 0; i < now.size(); ++i) {
          struct stat file_st {};
          if (now[i].stat(file_st) && current->same_file(file_st)) next = i + 1;
        }
      }
      for (size_t i = next; i + 1 < now.size() && keep_going; ++i)
        KRILL_CHECK(now[i].read_available(forward, keep_going));
      if (next < now.size()) current.emplace(std::move(now.back()));
      progressed = true;
      continue;
    }
    if (!running && !progressed) break;  // drained after the container stopped
    if (!progressed) sleep_ms(100);
  }
  return {};
}

}  // namespace krill::monitor
