// logs (-f --since --until --tail -t) and exec.
#include <unistd.h>

#include <iostream>

#include "base/clock.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/cmd_container_flags.h"
#include "cli/krill/container_json.h"
#include "monitor/log_file.h"

namespace krill::cli {

Result<int> run_container_logs(Context& ctx, const LogsFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(engine.find(o.container));
  if (record.config.log_driver == "none")
    return fail("failed to read logs of " + o.container +
                ": the log driver \"none\" does not keep logs");
  monitor::LogReadOptions options;
  int64_t now = now_ns();
  if (!o.since.empty()) options.since_ns = KRILL_TRY(parse_time_or_duration(o.since, now));
  if (!o.until.empty()) options.until_ns = KRILL_TRY(parse_time_or_duration(o.until, now));
  if (!o.tail.empty() && o.tail != "all") {
    char* end = nullptr;
    long long n = std::strtoll(o.tail.c_str(), &end, 10);
    if (!end || *end != '\0')
      return fail("invalid argument \"" + o.tail + "\" for \"-n, --tail\" flag: not a number");
    options.tail = n < 0 ? -1 : n;
  }
  options.follow = o.follow;
  std::string id = record.id;
  auto sink = [&](const monitor::LogEntry& entry) {
    std::ostream& stream = entry.stream == monitor::LogStream::kStderr ? ctx.err : ctx.out;
    if (o.timestamps) stream << time_text(entry.time_ns) << " ";
    stream << entry.text;
    if (!entry.partial) stream << "\n";
    if (o.follow) stream.flush();
  };
  auto still_running = [&]() {
    auto current = engine.store().find(id);
    if (!current) return false;
    auto reconciled = engine.reconcile(*current);
    if (!reconciled) return false;
    return reconciled->status == engine::ContainerStatus::kRunning ||
           reconciled->status == engine::ContainerStatus::kPaused;
  };
  std::string path = engine.log_path(record);
  if (::access(path.c_str(), F_OK) != 0 && !o.follow) return 0;  // never started: no output
  KRILL_CHECK(monitor::read_logs(record.config.log_driver, path, options, sink, still_running));
  ctx.out.flush();
  return 0;
}

Result<int> run_container_exec(Context& ctx, const ExecFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(engine.find(o.container));
  if (record.status != engine::ContainerStatus::kRunning) {
    // Docker's wording and status (1).
    ctx.err << "Error: container " << record.name << " is not running\n";
    return 1;
  }
  if (o.command.empty()) return fail("exec requires at least 2 arguments");
  engine::ExecRequest request;
  request.args = o.command;
  request.tty = o.tty;
  request.interactive = o.interactive;
  request.detach = o.detach;
  for (const auto& file : o.env_file)
    for (auto& e : KRILL_TRY(read_env_file(file, process_env_lookup()))) request.env.push_back(e);
  auto lookup = process_env_lookup();
  for (const auto& e : o.env) {
    if (e.find('=') != std::string::npos) {
      request.env.push_back(e);
    } else if (auto value = lookup(e)) {
      request.env.push_back(e + "=" + *value);
    }
  }
  request.user = o.user;
  request.working_dir = o.workdir;
  request.privileged = o.privileged;
  if (o.tty && !ctx.in_is_terminal) {
    if (o.interactive) ctx.warn("the input device is not a TTY");
    request.tty = false;
  }
  ctx.out.flush();
  auto status = engine.exec(record.id, request);
  if (!status) {
    ctx.err << "Error: " << status.error().message() << "\n";
    return engine::exit_status_for_start_error(status.error());
  }
  return *status;
}

}  // namespace krill::cli
