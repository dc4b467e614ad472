// krill-runtime events: the container's resource statistics as JSON events,
// once (--stats) or every --interval until the container stops.
#include <poll.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "cli/runtime/commands.h"

namespace krill::cli {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto invalid = [&] { return fail("invalid duration \"" + std::string(text) + "\""); };
  struct Unit {
    std::string_view name;
    double nanoseconds;
  };
  // Longest names first so that "ms" is not read as "m".
  constexpr Unit kUnits[] = {{"ns", 1},   {"us", 1e3}, {"µs", 1e3}, {"μs", 1e3},
                             {"ms", 1e6}, {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return invalid();
  double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t number_end = 0;
    while (number_end < rest.size() &&
           ((rest[number_end] >= '0' && rest[number_end] <= '9') || rest[number_end] == '.'))
      ++number_end;
    if (number_end == 0) return invalid();
    std::string number(rest.substr(0, number_end));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (*end != '\0') return invalid();
    rest.remove_prefix(number_end);
    const Unit* unit = nullptr;
    for (const auto& candidate : kUnits)
      if (rest.starts_with(candidate.name) && !(candidate.name == "m" && rest.starts_with("ms")))
        if (!unit || candidate.name.size() > unit->name.size()) unit = &candidate;
    if (!unit) return fail("missing unit in duration \"" + std::string(text) + "\"");
    rest.remove_prefix(unit->name.size());
    total += value * unit->nanoseconds;
  }
  if (total > 9.2e18) return invalid();
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

Result<std::string> stats_event_line(const std::string& id, const std::string& stats_json) {
  auto document = nlohmann::ordered_json::parse(stats_json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return fail("stats for container " + id + " are not valid JSON");
  if (document.is_object() && document.contains("type") && document.contains("data"))
    return document.dump() + "\n";
  nlohmann::ordered_json event;
  event["type"] = "stats";
  event["id"] = id;
  event["data"] = std::move(document);
  return event.dump() + "\n";
}

std::string oom_event_line(const std::string& id) {
  nlohmann::ordered_json event;
  event["type"] = "oom";
  event["id"] = id;
  return event.dump() + "\n";
}

namespace {

// Until `until`: prints an OOM event for each OOM kill `oom` reports. False when the container
// stopped meanwhile (checked at least every second).
Result<bool> wait_reporting_ooms(runtime::Runtime& runtime, const std::string& id,
                                 std::optional<cgroups::OomWatch>& oom, std::ostream& out,
                                 std::chrono::steady_clock::time_point until) {
  using namespace std::chrono;
  for (;;) {
    const auto now = steady_clock::now();
    if (now >= until) return true;
    const auto wait = std::min(duration_cast<milliseconds>(until - now) + milliseconds(1),
                               milliseconds(1000));
    if (oom && !oom->ended()) {
      pollfd entry{oom->fd(), POLLIN, 0};
      int ready = ::poll(&entry, 1, static_cast<int>(wait.count()));
      if (ready < 0 && errno != EINTR) return fail_errno("wait for OOM events");
      if (ready > 0) {
        const uint64_t events = KRILL_TRY(oom->collect());
        for (uint64_t i = 0; i < events; ++i) out << oom_event_line(id);
        out.flush();
      }
    } else {
      std::this_thread::sleep_for(wait);
    }
    auto now_state = runtime.state(id);
    if (!now_state || now_state->status == oci::Status::kStopped) return false;
  }
}

}  // namespace

CLI::App* add_events_command(CLI::App& parent, EventsOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "events",
      "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
      "[options] <container-id>", "krill-runtime events --interval 2s web1");
  command->add_option("--interval", options.interval,
                      "set the stats collection interval (default: 5s)");
  command->add_flag("--stats", options.stats, "display the container's stats then exit");
  add_id_argument(command, options.id);
  return command;
}

void register_events(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<EventsOptions>();
  CLI::App* command = add_events_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        auto interval = KRILL_TRY(parse_duration(options->interval));
                        if (interval.count() <= 0)
                          return fail("duration interval must be greater than 0");
                        auto runtime = KRILL_TRY(open_runtime(context));
                        auto state = KRILL_TRY(runtime.state(options->id));
                        if (state.status == oci::Status::kStopped)
                          return fail("container with id " + options->id + " is not running");
                        // OOM kills are reported as they happen, between the stats; a
                        // container without a memory cgroup only has stats.
                        std::optional<cgroups::OomWatch> oom;
                        if (!options->stats) {
                          if (auto watch = runtime.watch_oom(options->id))
                            oom.emplace(std::move(*watch));
                        }
                        for (;;) {
                          std::string stats = KRILL_TRY(runtime.stats_json(options->id));
                          context.out << KRILL_TRY(stats_event_line(options->id, stats));
                          context.out.flush();
                          if (options->stats) return 0;
                          const auto next = std::chrono::steady_clock::now() + interval;
                          if (!KRILL_TRY(wait_reporting_ooms(runtime, options->id, oom,
                                                             context.out, next)))
                            return 0;
                        }
                      }});
}

}  // namespace krill::cli
