// One log entry as a line of a k8s-file or json-file log, and back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "monitor/log_file.h"

namespace krill::monitor {

// "2026-11-28T11:00:00.123456789+00:00 stdout F text\n" (P when partial).
std::string format_k8s_file_entry(LogStream stream, std::string_view text, bool partial,
                                  int64_t time_ns);
// {"log":"text\n","stream":"stdout","time":"2026-11-28T11:00:00.123456789Z"}\n
// ("log" without "\n" when partial). Bytes that are not UTF-8 become U+FFFD, as Docker does.
std::string format_json_file_entry(LogStream stream, std::string_view text, bool partial,
                                   int64_t time_ns);

// Parses one line (without its "\n"); nullopt for a line that is not an entry.
std::optional<LogEntry> parse_k8s_file_line(std::string_view line);
std::optional<LogEntry> parse_json_file_line(std::string_view line);

}  // namespace krill::monitor
