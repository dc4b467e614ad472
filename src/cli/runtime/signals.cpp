#include "cli/runtime/signals.h"

#include <csignal>
#include <cstdlib>
#include <string>

namespace krill::cli {
namespace {

struct NamedSignal {
  std::string_view name;  // without "SIG"
  int number;
};

constexpr NamedSignal kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

// Parses a non-negative decimal number that fills the whole text.
bool parse_number(std::string_view text, int& out) {
  if (text.empty() || text.size() > 4) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

std::string to_upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return upper;
}

// "RTMIN", "RTMIN+3", "RTMAX", "RTMAX-2" (without "SIG"); -1 when not one of these.
int parse_realtime(std::string_view name) {
  const int min = SIGRTMIN;
  const int max = SIGRTMAX;
  auto offset_signal = [&](std::string_view rest, int base, char sign) {
    if (rest.empty()) return base;
    if (rest[0] != sign) return -1;
    int offset = 0;
    if (!parse_number(rest.substr(1), offset)) return -1;
    int signal = sign == '+' ? base + offset : base - offset;
    return (signal >= min && signal <= max) ? signal : -1;
  };
  if (name.starts_with("RTMIN")) return offset_signal(name.substr(5), min, '+');
  if (name.starts_with("RTMAX")) return offset_signal(name.substr(5), max, '-');
  return -1;
}

}  // namespace

Result<int> parse_signal(std::string_view text) {
  auto unknown = [&] { return fail("unknown signal \"" + std::string(text) + "\""); };
  int number = 0;
  if (parse_number(text, number)) {
    if (number > SIGRTMAX) return unknown();
    return number;
  }
  std::string name = to_upper(text);
  std::string_view bare = name;
  if (bare.starts_with("SIG")) bare.remove_prefix(3);
  for (const auto& signal : kSignals)
    if (signal.name == bare) return signal.number;
  int realtime = parse_realtime(bare);
  if (realtime > 0) return realtime;
  return unknown();
}

std::string signal_name(int signal) {
  for (const auto& named : kSignals)
    if (named.number == signal) return "SIG" + std::string(named.name);
  if (signal == SIGRTMIN) return "SIGRTMIN";
  if (signal == SIGRTMAX) return "SIGRTMAX";
  if (signal > SIGRTMIN && signal < SIGRTMAX)
    return "SIGRTMIN+" + std::to_string(signal - SIGRTMIN);
  return std::to_string(signal);
}

}  // namespace krill::cli
