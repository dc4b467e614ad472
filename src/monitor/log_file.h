// Container logs as podman (k8s-file) and Docker (json-file) write them, with size-based
// rotation, and the reader behind `krill logs` (--since, --until, --tail, -f, -t).
//
// k8s-file line: "2026-11-28T11:00:00.123456789+00:00 stdout F text" (P for a partial line,
// a line the container wrote without a newline yet, when the buffer was flushed).
// json-file line: {"log":"text\n","stream":"stdout","time":"2026-11-28T11:00:00.123456789Z"}
// Rotation: when the file would exceed max_size it is renamed to <path>.1 (.1 -> .2, ...),
// keeping max_files files in all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/file_io.h"  // parse_rfc3339_nano
#include "base/unique_fd.h"

namespace krill::monitor {

enum class LogStream { kStdout, kStderr };

struct LogWriterOptions {
  std::string driver = "k8s-file";  // "k8s-file" | "json-file"
  std::string path;
  int64_t max_size = 0;  // 0 = never rotate
  int max_files = 1;
};

class LogWriter {
 public:
  static Result<LogWriter> open(const LogWriterOptions& options);
  // Appends `data` (any chunk of the stream); complete lines are written at once, a trailing
  // partial line is kept until its newline or flush().
  Result<void> write(LogStream stream, std::string_view data, int64_t now_ns);
  // Writes kept partial lines (k8s-file "P" entries).
  Result<void> flush(int64_t now_ns);
  // True while a partial line waits for its newline (or flush()).
  bool has_pending() const { return !pending_stdout_.empty() || !pending_stderr_.empty(); }

 private:
  LogWriter() = default;
  Result<void> write_entry(LogStream stream, std::string_view text, bool partial, int64_t now_ns);
  Result<void> rotate_if_needed(size_t next_entry_size);
  LogWriterOptions options_;
  UniqueFd fd_;
  int64_t size_ = 0;
  std::string pending_stdout_, pending_stderr_;
};

struct LogEntry {
  int64_t time_ns = 0;
  LogStream stream = LogStream::kStdout;
  std::string text;      // without the trailing newline
  bool partial = false;  // no newline after text
};

struct LogReadOptions {
  int64_t since_ns = 0;  // 0 = from the start
  int64_t until_ns = 0;  // 0 = no end
  int64_t tail = -1;     // last N entries; -1 = all
  bool follow = false;
};

// Reads the rotated files oldest first, then the current one. With follow, keeps reading new
// entries (and across rotations) until `still_running` returns false and the file is drained.
Result<void> read_logs(const std::string& driver, const std::string& path,
                       const LogReadOptions& options,
                       const std::function<void(const LogEntry&)>& sink,
                       const std::function<bool()>& still_running = {});

// "2026-11-28T11:00:00.123456789+00:00" (podman's k8s-file) / "...Z" (json-file) <-> ns.
std::string format_rfc3339_nano(int64_t unix_ns, bool zulu);

}  // namespace krill::monitor
