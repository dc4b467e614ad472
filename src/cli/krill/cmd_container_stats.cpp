// stats: containers' resource usage, one sample (--no-stream) or a stream of them, one frame per
// interval as docker and podman show it. On a terminal each frame replaces the last (unless
// --no-reset); otherwise frames follow each other. SIGINT or SIGTERM ends the stream (exit 0).
//
// A sample is the runtime's `events --stats` (cgroup CPU, memory, PIDs, block I/O) and the
// container's network namespace's /proc/PID/net/dev; CPU % is the CPU time used between two
// samples over the wall time between them (the first frame compares with a sample 200 ms
// earlier).
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/krill/cmd_container.h"
#include "cli/krill/cmd_container_fs.h"
#include "cli/krill/format_template.h"
#include "cli/krill/store_access.h"

namespace krill::cli {

using nlohmann::json;

namespace {

struct StatsSample {
  bool valid = false;  // false: not running (or its runtime gave nothing)
  uint64_t cpu_ns = 0;
  uint64_t mem_usage = 0, mem_limit = 0;
  uint64_t pids = 0;
  uint64_t block_read = 0, block_write = 0;
  uint64_t net_rx = 0, net_tx = 0;
  std::chrono::steady_clock::time_point at;
};

void parse_runtime_stats(const std::string& text, StatsSample& s) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return;
  const json& d = doc.contains("data") ? doc["data"] : doc;
  auto num = [](const json& j, std::initializer_list<const char*> path) -> uint64_t {
    const json* p = &j;
    for (const char* k : path) {
      if (!p->is_object() || !p->contains(k)) return 0;
      p = &(*p)[k];
    }
    return p->is_number_unsigned() || p->is_number_integer() ? p->get<uint64_t>() : 0;
  };
  s.valid = true;
  s.cpu_ns = num(d, {"cpu", "usage", "total"});
  s.mem_usage = num(d, {"memory", "usage", "usage"});
  s.mem_limit = num(d, {"memory", "usage", "limit"});
  s.pids = num(d, {"pids", "current"});
  if (d.contains("blkio") && d["blkio"].is_object() &&
      d["blkio"].contains("ioServiceBytesRecursive") &&
      d["blkio"]["ioServiceBytesRecursive"].is_array())
    for (const auto& e : d["blkio"]["ioServiceBytesRecursive"]) {
      if (!e.is_object()) continue;
      std::string op = e.value("op", "");
      std::transform(op.begin(), op.end(), op.begin(), ::tolower);
      uint64_t v = e.contains("value") && e["value"].is_number() ? e["value"].get<uint64_t>() : 0;
      if (op == "read") s.block_read += v;
      if (op == "write") s.block_write += v;
    }
}

// Bytes received and sent on the interfaces of the process's network namespace but lo.
void read_net_dev(pid_t pid, StatsSample& s) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/net/dev");
  std::string line;
  for (int skip = 0; skip < 2 && std::getline(in, line); ++skip) {
  }
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v[9] = {};
    for (auto& x : v) fields >> x;
    s.net_rx += v[0];
    s.net_tx += v[8];
  }
}

bool live(const engine::ContainerRecord& r) {
  return r.status == engine::ContainerStatus::kRunning ||
         r.status == engine::ContainerStatus::kPaused;
}

StatsSample take_sample(engine::Engine& engine, const engine::ContainerRecord& r) {
  StatsSample s;
  s.at = std::chrono::steady_clock::now();
  if (!live(r)) return s;
  if (auto text = engine.stats_json(r.id)) parse_runtime_stats(*text, s);
  if (s.valid && r.pid > 0 && r.config.network != "host") read_net_dev(r.pid, s);
  return s;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f%s" : "%.3g%s", v, units[i]);
  return buf;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

struct StatsRow {
  json for_json;      // podman's stats --format json keys
  json for_template;  // podman's/Docker's template fields
};

StatsRow make_row(const engine::ContainerRecord& r, const StatsSample& s,
                  const std::optional<StatsSample>& before, bool no_trunc) {
  double cpu = 0;
  if (s.valid && before && before->valid && s.cpu_ns >= before->cpu_ns) {
    double wall = std::chrono::duration<double, std::nano>(s.at - before->at).count();
    if (wall > 0) cpu = 100.0 * static_cast<double>(s.cpu_ns - before->cpu_ns) / wall;
  }
  double mem = s.mem_limit > 0
                   ? 100.0 * static_cast<double>(s.mem_usage) / static_cast<double>(s.mem_limit)
                   : 0;
  std::string id = no_trunc ? r.id : r.id.substr(0, 12);
  std::string cpu_text = s.valid ? percent(cpu) : "--";
  std::string mem_usage =
      s.valid ? human_bytes(s.mem_usage) + " / " + human_bytes(s.mem_limit) : "-- / --";
  std::string mem_text = s.valid ? percent(mem) : "--";
  std::string net_io = s.valid ? human_bytes(s.net_rx) + " / " + human_bytes(s.net_tx) : "-- / --";
  std::string block_io =
      s.valid ? human_bytes(s.block_read) + " / " + human_bytes(s.block_write) : "-- / --";
  std::string pids = s.valid ? std::to_string(s.pids) : "--";
  StatsRow row;
  row.for_json = {{"id", id},
                  {"name", r.name},
                  {"cpu_percent", cpu_text},
                  {"mem_usage", mem_usage},
                  {"mem_percent", mem_text},
                  {"net_io", net_io},
                  {"block_io", block_io},
                  {"pids", pids},
                  {"cpu_ns", s.cpu_ns},
                  {"mem_bytes", s.mem_usage},
                  {"mem_limit", s.mem_limit},
                  {"net_input", s.net_rx},
                  {"net_output", s.net_tx}};
  row.for_template = {{"ID", id},       {"Container", id},         {"Name", r.name},
                      {"CPUPerc", cpu_text}, {"MemUsage", mem_usage}, {"MemPerc", mem_text},
                      {"NetIO", net_io},     {"BlockIO", block_io},   {"PIDs", pids}};
  return row;
}

// The containers of this frame: the named ones, else every running one (every one with -a),
// listed again for each frame so that new containers appear and removed ones go.
Result<std::vector<engine::ContainerRecord>> frame_targets(engine::Engine& engine,
                                                           const StatsFlags& o) {
  std::vector<engine::ContainerRecord> records;
  if (o.containers.empty()) {
    for (auto& r : KRILL_TRY(engine.list()))
      if ((o.all || live(r)) && !r.config.annotations.contains(engine::kWorkingContainerAnnotation))
        records.push_back(std::move(r));
    return records;
  }
  for (const auto& name : o.containers) records.push_back(KRILL_TRY(engine.find(name)));
  return records;
}

Result<std::string> render_frame(const StatsFlags& o, const std::vector<StatsRow>& rows) {
  if (o.format == "json") {
    json array = json::array();
    for (const auto& row : rows) array.push_back(row.for_json);
    return array.dump(4) + "\n";
  }
  std::vector<json> values;
  for (const auto& row : rows) values.push_back(row.for_template);
  static const std::map<std::string, std::string> headers = {
      {"ID", "ID"},           {"Container", "CONTAINER"}, {"CPUPerc", "CPU %"},
      {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"}, {"NetIO", "NET IO"},
      {"BlockIO", "BLOCK IO"}, {"PIDs", "PIDS"}};
  std::string format = o.format == "table" ? "" : o.format;
  return render_rows(format, values,
                     "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
                     "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
                     headers);
}

// SIGINT and SIGTERM blocked for the stream and taken by sigtimedwait between frames.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~StopSignals() {
    // A signal that arrived after the last wait ends the process as it would have.
    timespec zero{0, 0};
    bool pending = sigtimedwait(&set_, nullptr, &zero) > 0;
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    (void)pending;
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // Sleeps `ms`; true when a stop signal came.
  bool wait(int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      timespec ts{static_cast<time_t>(left.count() / 1000000000),
                  static_cast<long>(left.count() % 1000000000)};
      int sig = sigtimedwait(&set_, nullptr, &ts);
      if (sig > 0) return true;
      if (sig < 0 && errno != EINTR && errno != EAGAIN) return false;
    }
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

}  // namespace

Result<int> run_container_stats(Context& ctx, const StatsFlags& o) {
  if (o.interval < 1) return fail("stats --interval " + std::to_string(o.interval) +
                                  ": must be at least 1 (seconds)");
  if (!o.format.empty() && o.format != "json" && o.format != "table") {
    std::string checked = o.format.starts_with("table ") ? o.format.substr(6) : o.format;
    KRILL_TRY(FormatTemplate::parse(checked));  // a bad template fails before any sample
  }
  auto engine = KRILL_TRY(open_engine(ctx));
  auto records = KRILL_TRY(frame_targets(engine, o));
  if (!o.all)
    for (size_t i = 0; i < o.containers.size() && i < records.size(); ++i)
      if (!live(records[i]))
        return fail("container " + o.containers[i] + " is not running (stats --all shows it)");

  std::optional<StopSignals> signals;
  if (!o.no_stream) signals.emplace();
  bool clear = !o.no_stream && ctx.out_is_terminal && !o.no_reset;
  std::map<std::string, StatsSample> previous;
  for (const auto& r : records)
    if (live(r)) previous[r.id] = take_sample(engine, r);
  if (!previous.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (bool first = true;; first = false) {
    if (!first) records = KRILL_TRY(frame_targets(engine, o));
    std::vector<StatsRow> rows;
    std::map<std::string, StatsSample> current;
    for (const auto& r : records) {
      StatsSample s = take_sample(engine, r);
      auto before = previous.find(r.id);
      rows.push_back(make_row(r, s, before == previous.end() ? std::nullopt
                                                               : std::optional(before->second),
                              o.no_trunc));
      current[r.id] = s;
    }
    previous = std::move(current);
    std::string frame = KRILL_TRY(render_frame(o, rows));
    if (clear) ctx.out << "\033[2J\033[H";
    ctx.out << frame;
    ctx.out.flush();
    if (o.no_stream || !ctx.out) break;
    if (signals->wait(o.interval * 1000)) break;
  }
  return 0;
}

}  // namespace krill::cli
