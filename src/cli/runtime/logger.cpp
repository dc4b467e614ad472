#include "cli/runtime/logger.h"

#include <fcntl.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "base/file_io.h"

namespace krill::cli {
namespace {

// Go's %q quoting as logrus uses it for text values: "..." with \" \\ \n \t escaped.
std::string quote_text(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\r':
        quoted += "\\r";
        break;
      default:
        quoted += c;
    }
  }
  return quoted + "\"";
}

}  // namespace

Result<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return fail("invalid log-format: " + std::string(name));
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

std::string rfc3339_utc(std::time_t time) { return format_rfc3339_nano(time, 0); }

std::string format_log_line(LogFormat format, LogLevel level, std::string_view message,
                            std::string_view time) {
  if (format == LogFormat::kJson) {
    // Keys in logrus's (sorted) order.
    nlohmann::ordered_json line;
    line["level"] = to_string(level);
    line["msg"] = std::string(message);
    line["time"] = std::string(time);
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return "time=\"" + std::string(time) + "\" level=" + to_string(level) +
         " msg=" + quote_text(message) + "\n";
}

Logger::~Logger() {
  if (file_) std::fclose(file_);
}

Result<void> Logger::open_file(const std::string& path, LogFormat format) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno("open log file " + path);
  std::FILE* file = ::fdopen(fd, "a");
  if (!file) {
    int err = errno;
    ::close(fd);
    return fail_errno("open log file " + path, err);
  }
  if (file_) std::fclose(file_);
  file_ = file;
  format_ = format;
  return {};
}

void Logger::write(LogLevel level, std::string_view message) {
  if (!file_) return;
  std::string line = format_log_line(format_, level, message, rfc3339_utc(std::time(nullptr)));
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

void Logger::error(std::string_view message) {
  err_ << program_ << ": error: " << message << "\n";
  err_.flush();
  write(LogLevel::kError, message);
}

void Logger::warning(std::string_view message) {
  err_ << program_ << ": warning: " << message << "\n";
  err_.flush();
  write(LogLevel::kWarning, message);
}

void Logger::debug(std::string_view message) {
  if (!debug_) return;
  if (file_)
    write(LogLevel::kDebug, message);
  else
    err_ << program_ << ": debug: " << message << "\n";
}

}  // namespace krill::cli
