// The `krill run` flag values that are not mounts: sizes, CPUs, ulimits, devices, restart
// policies, signals. Each error names the value it refuses.
#include <csignal>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "base/quoted.h"
#include "engine/spec_builder.h"

namespace krill::engine {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

// Decimal digits -> value; false on overflow or a non-digit.
bool parse_u64(std::string_view text, uint64_t& value) {
  if (!all_digits(text)) return false;
  value = 0;
  for (char c : text) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  return true;
}

// "12.5" -> 12 and "5" as (integer part, fraction digits).
bool split_decimal(std::string_view text, std::string_view& whole, std::string_view& fraction) {
  size_t dot = text.find('.');
  whole = text.substr(0, dot);
  fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return false;
  if (!whole.empty() && !all_digits(whole)) return false;
  if (dot != std::string_view::npos && !fraction.empty() && !all_digits(fraction)) return false;
  if (dot != std::string_view::npos && fraction.empty() && whole.empty()) return false;
  return true;
}

// whole.fraction * multiplier, rounded down; false on overflow.
bool scale_decimal(std::string_view whole, std::string_view fraction, uint64_t multiplier,
                   uint64_t& result) {
  uint64_t integer = 0;
  if (!whole.empty() && !parse_u64(whole, integer)) return false;
  if (integer != 0 && multiplier > std::numeric_limits<uint64_t>::max() / integer) return false;
  result = integer * multiplier;
  // The fraction: digit by digit, exact for the power-of-two and power-of-ten multipliers used.
  unsigned __int128 numerator = 0;
  unsigned __int128 denominator = 1;
  for (char c : fraction.substr(0, 18)) {
    numerator = numerator * 10 + static_cast<unsigned>(c - '0');
    denominator *= 10;
  }
  unsigned __int128 extra = numerator * multiplier / denominator;
  if (extra > std::numeric_limits<uint64_t>::max() - result) return false;
  result += static_cast<uint64_t>(extra);
  return true;
}

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},    {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},  {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},  {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},  {"ALRM", SIGALRM},     {"TERM", SIGTERM},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
    {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},  {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},  {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},      {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},       {"UNUSED", SIGSYS},
};

// Docker's (and glibc's) real-time range: the kernel's 32 and 33 belong to the C library.
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

}  // namespace

Result<int64_t> parse_byte_size(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<int64_t> {
    return fail("invalid size " + quote(text) + ": " + std::string(why));
  };
  std::string_view rest = text;
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return invalid("empty");
  if (rest.front() == '-') return invalid("must not be negative");
  size_t number_end = 0;
  while (number_end < rest.size() &&
         ((rest[number_end] >= '0' && rest[number_end] <= '9') || rest[number_end] == '.'))
    ++number_end;
  std::string_view number = rest.substr(0, number_end);
  std::string unit = to_lower(rest.substr(number_end));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  std::string_view whole, fraction;
  if (number.empty() || !split_decimal(number, whole, fraction))
    return invalid("expected a number with an optional unit (b, k, m, g, t, p)");
  // Docker's RAMInBytes: k, kb, kib, ... all binary.
  uint64_t multiplier = 1;
  std::string_view prefix = unit;
  if (prefix.ends_with("ib"))
    prefix.remove_suffix(2);
  else if (prefix.size() == 2 && prefix.ends_with("b"))
    prefix.remove_suffix(1);
  if (prefix.empty() || prefix == "b") {
    multiplier = 1;
    if (unit == "ib") return invalid("unknown unit " + quote(unit));
  } else if (prefix == "k") {
    multiplier = 1ull << 10;
  } else if (prefix == "m") {
    multiplier = 1ull << 20;
  } else if (prefix == "g") {
    multiplier = 1ull << 30;
  } else if (prefix == "t") {
    multiplier = 1ull << 40;
  } else if (prefix == "p") {
    multiplier = 1ull << 50;
  } else {
    return invalid("unknown unit " + quote(unit));
  }
  uint64_t bytes = 0;
  if (!scale_decimal(whole, fraction, multiplier, bytes) ||
      bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return invalid("too large");
  return static_cast<int64_t>(bytes);
}

Result<int64_t> parse_cpus(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<int64_t> {
    return fail("invalid --cpus value " + quote(text) + ": " + std::string(why));
  };
  if (text.empty()) return invalid("empty");
  if (text.front() == '-') return invalid("must not be negative");
  std::string_view whole, fraction;
  if (!split_decimal(text, whole, fraction)) return invalid("not a number");
  size_t significant = fraction.size();
  while (significant > 0 && fraction[significant - 1] == '0') --significant;
  if (significant > 9) return invalid("value is too precise");
  uint64_t nano = 0;
  if (!scale_decimal(whole, fraction, 1000000000ull, nano) ||
      nano > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return invalid("too large");
  return static_cast<int64_t>(nano);
}

Result<UlimitRequest> parse_ulimit(std::string_view text) {
  static constexpr std::string_view kNames[] = {
      "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
      "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
  };
  auto invalid = [&](std::string_view why) -> Result<UlimitRequest> {
    return fail("--ulimit " + std::string(text) + ": " + std::string(why));
  };
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) return invalid("expected name=soft[:hard]");
  UlimitRequest request;
  request.name = to_lower(text.substr(0, eq));
  bool known = false;
  for (auto name : kNames) known = known || name == request.name;
  if (!known) return invalid("invalid ulimit type " + quote(request.name));
  std::string_view values = text.substr(eq + 1);
  size_t colon = values.find(':');
  std::string_view soft_text = values.substr(0, colon);
  std::string_view hard_text =
      colon == std::string_view::npos ? soft_text : values.substr(colon + 1);
  auto parse_limit = [](std::string_view value, uint64_t& out) {
    if (value == "-1" || value == "unlimited") {
      out = std::numeric_limits<uint64_t>::max();
      return true;
    }
    return parse_u64(value, out);
  };
  if (!parse_limit(soft_text, request.soft) || !parse_limit(hard_text, request.hard))
    return invalid("not a number");
  if (request.soft > request.hard)
    return invalid("soft limit " + std::string(soft_text) + " exceeds the hard limit " +
                   std::string(hard_text));
  return request;
}

Result<DeviceRequest> parse_device(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<DeviceRequest> {
    return fail("--device " + std::string(text) + ": " + std::string(why));
  };
  auto valid_mode = [](std::string_view mode) {
    if (mode.empty() || mode.size() > 3) return false;
    std::string seen;
    for (char c : mode) {
      if (c != 'r' && c != 'w' && c != 'm') return false;
      if (seen.find(c) != std::string::npos) return false;
      seen += c;
    }
    return true;
  };
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  DeviceRequest device;
  switch (parts.size()) {
    case 3:
      if (!valid_mode(parts[2])) return invalid("invalid device mode " + quote(parts[2]));
      device.permissions = std::string(parts[2]);
      device.container_path = std::string(parts[1]);
      break;
    case 2:
      if (valid_mode(parts[1]))
        device.permissions = std::string(parts[1]);
      else
        device.container_path = std::string(parts[1]);
      break;
    case 1:
      break;
    default:
      return invalid("expected HOST[:CONTAINER[:PERMISSIONS]]");
  }
  device.host_path = std::string(parts[0]);
  if (device.host_path.empty() || device.host_path.front() != '/')
    return invalid("the host path must be absolute");
  if (device.container_path.empty()) device.container_path = device.host_path;
  if (device.container_path.front() != '/') return invalid("the container path must be absolute");
  return device;
}

Result<RestartPolicy> parse_restart(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<RestartPolicy> {
    return fail("--restart " + std::string(text) + ": " + std::string(why));
  };
  size_t colon = text.find(':');
  RestartPolicy policy;
  policy.name = std::string(text.substr(0, colon));
  if (policy.name.empty()) policy.name = "no";
  if (policy.name != "no" && policy.name != "always" && policy.name != "on-failure" &&
      policy.name != "unless-stopped")
    return invalid("invalid restart policy " + quote(policy.name) +
                   " (no, always, on-failure[:max-retries], unless-stopped)");
  if (colon == std::string_view::npos) return policy;
  std::string_view count = text.substr(colon + 1);
  if (policy.name != "on-failure")
    return invalid("a maximum retry count cannot be used with restart policy " +
                   quote(policy.name));
  if (!count.empty() && count.front() == '-')
    return invalid("the maximum retry count cannot be negative");
  uint64_t retries = 0;
  if (!parse_u64(count, retries) ||
      retries > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    return invalid("the maximum retry count " + quote(count) + " is not a number");
  policy.max_retries = static_cast<int>(retries);
  return policy;
}

Result<int> parse_signal(std::string_view text) {
  auto invalid = [&]() -> Result<int> { return fail("invalid signal " + quote(text)); };
  if (text.empty()) return invalid();
  uint64_t number = 0;
  if (all_digits(text)) {
    if (!parse_u64(text, number) || number == 0 || number > static_cast<uint64_t>(kRtMax))
      return invalid();
    return static_cast<int>(number);
  }
  std::string name = to_upper(text);
  if (name.starts_with("SIG")) name.erase(0, 3);
  for (const auto& signal : kSignals)
    if (name == signal.name) return signal.number;
  auto offset_after = [&](std::string_view prefix, int& offset) {
    if (!std::string_view(name).starts_with(prefix)) return false;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    uint64_t value = 0;
    if (!parse_u64(rest, value) || value > static_cast<uint64_t>(kRtMax - kRtMin)) return false;
    offset = static_cast<int>(value);
    return true;
  };
  int offset = 0;
  if (name == "RTMIN") return kRtMin;
  if (name == "RTMAX") return kRtMax;
  if (offset_after("RTMIN+", offset)) return kRtMin + offset;
  if (offset_after("RTMAX-", offset)) return kRtMax - offset;
  return invalid();
}

}  // namespace krill::engine
