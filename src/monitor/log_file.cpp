// LogWriter: container output as k8s-file or json-file entries, with size-based rotation.
#include "monitor/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "monitor/log_format.h"

namespace krill::monitor {
namespace {

// A line longer than this is written in parts (partial entries), as Docker does at 16 KiB.
constexpr size_t kMaxEntryText = 16 * 1024;

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

Result<UniqueFd> open_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return fail_errno("open log " + path);
  return fd;
}

}  // namespace

std::string format_rfc3339_nano(int64_t unix_ns, bool zulu) {
  int64_t seconds = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm utc {};
  ::gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09lld%s", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(nanos), zulu ? "Z" : "+00:00");
  return text;
}

Result<LogWriter> LogWriter::open(const LogWriterOptions& options) {
  if (options.driver != "k8s-file" && options.driver != "json-file")
    return fail("open log " + options.path + ": unknown log driver \"" + options.driver + "\"");
  LogWriter writer;
  writer.options_ = options;
  if (writer.options_.max_files < 1) writer.options_.max_files = 1;
  writer.fd_ = KRILL_TRY(open_log(options.path));
  struct stat st {};
  if (::fstat(writer.fd_.get(), &st) != 0) return fail_errno("stat log " + options.path);
  writer.size_ = st.st_size;
  return writer;
}

Result<void> LogWriter::write(LogStream stream, std::string_view data, int64_t now_ns) {
  std::string& pending = stream == LogStream::kStdout ? pending_stdout_ : pending_stderr_;
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      pending.append(data);
      break;
    }
    if (pending.empty()) {
      KRILL_CHECK(write_entry(stream, data.substr(0, newline), false, now_ns));
    } else {
      pending.append(data.substr(0, newline));
      std::string line = std::move(pending);
      pending.clear();
      KRILL_CHECK(write_entry(stream, line, false, now_ns));
    }
    data.remove_prefix(newline + 1);
  }
  // A very long line without a newline yet: write what we have as partial entries.
  while (pending.size() >= kMaxEntryText) {
    KRILL_CHECK(
        write_entry(stream, std::string_view(pending).substr(0, kMaxEntryText), true, now_ns));
    pending.erase(0, kMaxEntryText);
  }
  if (pending.capacity() > 4 * kMaxEntryText && pending.size() < kMaxEntryText)
    pending.shrink_to_fit();
  return {};
}

Result<void> LogWriter::flush(int64_t now_ns) {
  if (!pending_stdout_.empty()) {
    std::string text = std::move(pending_stdout_);
    pending_stdout_.clear();
    KRILL_CHECK(write_entry(LogStream::kStdout, text, true, now_ns));
  }
  if (!pending_stderr_.empty()) {
    std::string text = std::move(pending_stderr_);
    pending_stderr_.clear();
    KRILL_CHECK(write_entry(LogStream::kStderr, text, true, now_ns));
  }
  return {};
}

Result<void> LogWriter::write_entry(LogStream stream, std::string_view text, bool partial,
                                    int64_t now_ns) {
  // Long lines (when a whole one arrives at once) are split like pending ones.
  while (text.size() > kMaxEntryText) {
    KRILL_CHECK(write_entry(stream, text.substr(0, kMaxEntryText), true, now_ns));
    text.remove_prefix(kMaxEntryText);
  }
  const std::string entry = options_.driver == "json-file"
                                ? format_json_file_entry(stream, text, partial, now_ns)
                                : format_k8s_file_entry(stream, text, partial, now_ns);
  KRILL_CHECK(rotate_if_needed(entry.size()));
  KRILL_CHECK(write_all(fd_.get(), entry, options_.path));
  size_ += static_cast<int64_t>(entry.size());
  return {};
}

Result<void> LogWriter::rotate_if_needed(size_t next_entry_size) {
  if (options_.max_size <= 0 || size_ == 0) return {};
  if (size_ + static_cast<int64_t>(next_entry_size) <= options_.max_size) return {};
  const std::string& path = options_.path;
  if (options_.max_files <= 1) {
    if (::ftruncate(fd_.get(), 0) != 0) return fail_errno("truncate log " + path);
    size_ = 0;
    return {};
  }
  // path.(max_files-1) falls off; path.k -> path.(k+1); path -> path.1.
  const std::string oldest = path + "." + std::to_string(options_.max_files - 1);
  if (::unlink(oldest.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + oldest);
  for (int k = options_.max_files - 2; k >= 1; --k) {
    const std::string from = path + "." + std::to_string(k);
    const std::string to = path + "." + std::to_string(k + 1);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
      return fail_errno("rotate log " + from + " to " + to);
  }
  const std::string first = path + ".1";
  if (::rename(path.c_str(), first.c_str()) != 0)
    return fail_errno("rotate log " + path + " to " + first);
  fd_ = KRILL_TRY(open_log(path));
  size_ = 0;
  return {};
}

}  // namespace krill::monitor
