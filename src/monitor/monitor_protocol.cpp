// JSON forms of the monitor's files and status line, and Docker's detach-key syntax.
#include "monitor/monitor_protocol.h"

#include <nlohmann/json.hpp>

#include "base/file_io.h"

namespace krill::monitor {
namespace {

using nlohmann::json;

Result<json> parse_object(std::string_view text, std::string_view what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return fail("parse " + std::string(what) + ": invalid JSON");
  if (!value.is_object()) return fail("parse " + std::string(what) + ": not a JSON object");
  return value;
}

// Reads an optional member of the expected type; a member of another type is an error.
template <typename T>
Result<void> read_member(const json& object, const char* key, T& out, std::string_view what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return fail("parse " + std::string(what) + ": member \"" + key + "\" has the wrong type");
  }
  return {};
}

}  // namespace

std::string monitor_config_to_json(const MonitorConfig& config) {
  json value = {
      {"id", config.id},
      {"bundle", config.bundle},
      {"run_dir", config.run_dir},
      {"runtime_path", config.runtime_path},
      {"runtime_root", config.runtime_root},
      {"tty", config.tty},
      {"stdin_open", config.stdin_open},
      {"log_driver", config.log_driver},
      {"log_path", config.log_path},
      {"log_max_size", config.log_max_size},
      {"log_max_files", config.log_max_files},
      {"exit_command", config.exit_command},
  };
  return value.dump();
}

Result<MonitorConfig> monitor_config_from_json(std::string_view text) {
  constexpr std::string_view kWhat = "monitor config";
  json value = KRILL_TRY(parse_object(text, kWhat));
  MonitorConfig config;
  KRILL_CHECK(read_member(value, "id", config.id, kWhat));
  KRILL_CHECK(read_member(value, "bundle", config.bundle, kWhat));
  KRILL_CHECK(read_member(value, "run_dir", config.run_dir, kWhat));
  KRILL_CHECK(read_member(value, "runtime_path", config.runtime_path, kWhat));
  KRILL_CHECK(read_member(value, "runtime_root", config.runtime_root, kWhat));
  KRILL_CHECK(read_member(value, "tty", config.tty, kWhat));
  KRILL_CHECK(read_member(value, "stdin_open", config.stdin_open, kWhat));
  KRILL_CHECK(read_member(value, "log_driver", config.log_driver, kWhat));
  KRILL_CHECK(read_member(value, "log_path", config.log_path, kWhat));
  KRILL_CHECK(read_member(value, "log_max_size", config.log_max_size, kWhat));
  KRILL_CHECK(read_member(value, "log_max_files", config.log_max_files, kWhat));
  KRILL_CHECK(read_member(value, "exit_command", config.exit_command, kWhat));
  if (config.id.empty()) return fail("parse monitor config: \"id\" is missing");
  if (config.run_dir.empty()) return fail("parse monitor config: \"run_dir\" is missing");
  if (config.runtime_path.empty()) return fail("parse monitor config: \"runtime_path\" is missing");
  if (config.log_driver != "k8s-file" && config.log_driver != "json-file" &&
      config.log_driver != "none")
    return fail("parse monitor config: unknown log driver \"" + config.log_driver + "\"");
  if (config.log_driver != "none" && config.log_path.empty())
    return fail("parse monitor config: \"log_path\" is missing");
  if (config.log_max_files < 1) config.log_max_files = 1;
  if (config.log_max_size < 0) config.log_max_size = 0;
  return config;
}

std::string monitor_ready_to_json(const MonitorReady& ready) {
  json value = json::object();
  if (!ready.error.empty())
    value["error"] = ready.error;
  else
    value["pid"] = ready.container_pid;
  // Error text from a runtime may hold bytes that are not UTF-8: replace them.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<MonitorReady> monitor_ready_from_json(std::string_view text) {
  constexpr std::string_view kWhat = "monitor status";
  json value = KRILL_TRY(parse_object(text, kWhat));
  MonitorReady ready;
  KRILL_CHECK(read_member(value, "pid", ready.container_pid, kWhat));
  KRILL_CHECK(read_member(value, "error", ready.error, kWhat));
  if (ready.error.empty() && ready.container_pid <= 0)
    return fail("parse monitor status: neither a pid nor an error");
  return ready;
}

std::string exit_record_to_json(const ExitRecord& record) {
  json value = {
      {"exit_code", record.exit_code},
      {"finished_ns", record.finished_ns},
      {"oom_killed", record.oom_killed},
  };
  return value.dump();
}

Result<ExitRecord> exit_record_from_json(std::string_view text) {
  constexpr std::string_view kWhat = "exit record";
  json value = KRILL_TRY(parse_object(text, kWhat));
  if (!value.contains("exit_code")) return fail("parse exit record: \"exit_code\" is missing");
  ExitRecord record;
  KRILL_CHECK(read_member(value, "exit_code", record.exit_code, kWhat));
  KRILL_CHECK(read_member(value, "finished_ns", record.finished_ns, kWhat));
  KRILL_CHECK(read_member(value, "oom_killed", record.oom_killed, kWhat));
  return record;
}

Result<std::optional<ExitRecord>> read_exit_record(const std::string& run_dir) {
  const std::string path = run_dir + "/exit.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().errno_value() == ENOENT) return std::optional<ExitRecord>();
    return std::unexpected(std::move(text.error()));
  }
  auto record = exit_record_from_json(*text);
  if (!record) return std::unexpected(std::move(record.error()).context(path));
  return std::optional<ExitRecord>(*record);
}

Result<std::string> parse_detach_keys(std::string_view keys) {
  std::string bytes;
  if (keys.empty()) return bytes;
  size_t start = 0;
  while (start <= keys.size()) {
    size_t comma = keys.find(',', start);
    if (comma == std::string_view::npos) comma = keys.size();
    std::string_view key = keys.substr(start, comma - start);
    start = comma + 1;
    if (key.size() == 1) {
      bytes += key[0];
      continue;
    }
    if (key.size() == 6 && key.starts_with("ctrl-")) {
      char c = key[5];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c >= 'a' && c <= 'z') {
        bytes += static_cast<char>(c - 'a' + 1);
        continue;
      }
      switch (c) {
        case '@':
          bytes += '\0';
          continue;
        case '[':
          bytes += '\x1b';
          continue;
        case '\\':
          bytes += '\x1c';
          continue;
        case ']':
          bytes += '\x1d';
          continue;
        case '^':
          bytes += '\x1e';
          continue;
        case '_':
          bytes += '\x1f';
          continue;
        default:
          break;
      }
    }
    return fail("invalid detach keys \"" + std::string(keys) + "\": unknown key \"" +
                std::string(key) + "\"");
  }
  return bytes;
}

}  // namespace krill::monitor
