// The command line's logger: errors always go to stderr as
// "krill-runtime: error: <message>"; with --log FILE every record is also
// appended to FILE, one per line, in runc's formats:
//   text: time="2024-05-01T10:00:00Z" level=error msg="container does not exist"
//   json: {"level":"error","msg":"container does not exist","time":"2024-05-01T10:00:00Z"}
// (podman reads the json form from the log file to show runtime errors).
// Debug records are written only with --debug.
#pragma once

#include <cstdio>
#include <ctime>
#include <iosfwd>
#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::cli {

enum class LogFormat { kText, kJson };
enum class LogLevel { kDebug, kInfo, kWarning, kError };

// "text" | "json"; `invalid log-format: xml` otherwise.
Result<LogFormat> parse_log_format(std::string_view name);
const char* to_string(LogLevel level);

// RFC 3339 in UTC with second precision: "2024-05-01T10:00:00Z".
std::string rfc3339_utc(std::time_t time);

// One log-file line (with its trailing newline) in the given format.
std::string format_log_line(LogFormat format, LogLevel level, std::string_view message,
                            std::string_view time);

class Logger {
 public:
  // Writes to `err` (stderr in the program) under the name `program`.
  Logger(std::string program, std::ostream& err) : program_(std::move(program)), err_(err) {}
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  // Also append every record to `path` (created 0644 if missing).
  Result<void> open_file(const std::string& path, LogFormat format);
  void set_debug(bool debug) { debug_ = debug; }
  bool debug_enabled() const { return debug_; }

  void error(std::string_view message);
  void warning(std::string_view message);
  void debug(std::string_view message);

 private:
  void write(LogLevel level, std::string_view message);

  std::string program_;
  std::ostream& err_;
  std::FILE* file_ = nullptr;
  LogFormat format_ = LogFormat::kText;
  bool debug_ = false;
};

}  // namespace krill::cli
