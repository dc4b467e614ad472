#include "monitor/log_format.h"

#include <nlohmann/json.hpp>

namespace krill::monitor {
namespace {

const char* stream_name(LogStream stream) {
  return stream == LogStream::kStdout ? "stdout" : "stderr";
}

// Length of the valid UTF-8 sequence at text[pos], or 0 when it is not one.
size_t utf8_sequence_length(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  size_t length;
  uint32_t min_code;
  uint32_t code;
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, min_code = 0x80, code = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, min_code = 0x800, code = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, min_code = 0x10000, code = lead & 0x07;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(pos + i) & 0x3f);
  }
  if (code < min_code || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

// Appends `text` as the inside of a JSON string the way Go's encoder writes it.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t pos = 0; pos < text.size();) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x80) {
      const size_t length = utf8_sequence_length(text, pos);
      if (length == 0) {
        out += "\xef\xbf\xbd";  // U+FFFD
        ++pos;
      } else {
        out.append(text.substr(pos, length));
        pos += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
      case '>':
      case '&':
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++pos;
  }
}

std::optional<LogStream> stream_from_name(std::string_view name) {
  if (name == "stdout") return LogStream::kStdout;
  if (name == "stderr") return LogStream::kStderr;
  return std::nullopt;
}

}  // namespace

std::string format_k8s_file_entry(LogStream stream, std::string_view text, bool partial,
                                  int64_t time_ns) {
  std::string entry = format_rfc3339_nano(time_ns, /*zulu=*/false);
  entry.reserve(entry.size() + text.size() + 12);
  entry += ' ';
  entry += stream_name(stream);
  entry += partial ? " P " : " F ";
  entry += text;
  entry += '\n';
  return entry;
}

std::string format_json_file_entry(LogStream stream, std::string_view text, bool partial,
                                   int64_t time_ns) {
  std::string entry;
  entry.reserve(text.size() + 96);
  entry += "{\"log\":\"";
  append_json_string(entry, text);
  if (!partial) entry += "\\n";
  entry += "\",\"stream\":\"";
  entry += stream_name(stream);
  entry += "\",\"time\":\"";
  entry += format_rfc3339_nano(time_ns, /*zulu=*/true);
  entry += "\"}\n";
  return entry;
}

std::optional<LogEntry> parse_k8s_file_line(std::string_view line) {
  const size_t time_end = line.find(' ');
  if (time_end == std::string_view::npos) return std::nullopt;
  auto time = parse_rfc3339_nano(line.substr(0, time_end));
  if (!time) return std::nullopt;
  const size_t stream_end = line.find(' ', time_end + 1);
  if (stream_end == std::string_view::npos) return std::nullopt;
  auto stream = stream_from_name(line.substr(time_end + 1, stream_end - time_end - 1));
  if (!stream) return std::nullopt;
  LogEntry entry;
  entry.time_ns = *time;
  entry.stream = *stream;
  std::string_view rest = line.substr(stream_end + 1);
  // "F text" / "P text"; very old files had no tag at all.
  if (rest.size() >= 2 && (rest[0] == 'F' || rest[0] == 'P') && rest[1] == ' ') {
    entry.partial = rest[0] == 'P';
    rest.remove_prefix(2);
  } else if (rest == "F" || rest == "P") {
    entry.partial = rest[0] == 'P';
    rest = {};
  }
  entry.text = std::string(rest);
  return entry;
}

std::optional<LogEntry> parse_json_file_line(std::string_view line) {
  nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  auto log = value.find("log");
  auto stream_it = value.find("stream");
  auto time_it = value.find("time");
  if (log == value.end() || !log->is_string() || stream_it == value.end() ||
      !stream_it->is_string() || time_it == value.end() || !time_it->is_string())
    return std::nullopt;
  auto stream = stream_from_name(stream_it->get_ref<const std::string&>());
  auto time = parse_rfc3339_nano(time_it->get_ref<const std::string&>());
  if (!stream || !time) return std::nullopt;
  LogEntry entry;
  entry.time_ns = *time;
  entry.stream = *stream;
  entry.text = log->get<std::string>();
  if (!entry.text.empty() && entry.text.back() == '\n') {
    entry.text.pop_back();
  } else {
    entry.partial = true;
  }
  return entry;
}

}  // namespace krill::monitor
