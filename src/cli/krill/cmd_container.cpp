// stop, restart, kill, rm, ps, inspect, wait, pause, unpause, rename, top, container prune,
// container cleanup.
#include "cli/krill/cmd_container.h"

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/go_duration.h"
#include "cli/krill/commands.h"
#include "cli/krill/container_json.h"
#include "cli/krill/format_template.h"
#include "cli/krill/image_json.h"
#include "cli/krill/store_access.h"
#include "engine/engine_health.h"
#include "engine/spec_builder.h"
#include "image/manifest.h"

namespace krill::cli {

using nlohmann::json;

namespace {

// The image's container config per image id (cached: ps of many containers of one image).
class ImageConfigs {
 public:
  explicit ImageConfigs(engine::Engine& engine) : engine_(engine) {}
  const image::ContainerConfig& get(const std::string& image_id) {
    auto it = cache_.find(image_id);
    if (it != cache_.end()) return it->second;
    image::ContainerConfig config;
    auto found = engine_.images().find(image_id);
    if (found && *found) {
      auto bytes = engine_.images().content().read_blob((*found)->id);
      if (bytes)
        if (auto parsed = image::parse_image_config(*bytes); parsed && parsed->config)
          config = *parsed->config;
    }
    return cache_.emplace(image_id, std::move(config)).first->second;
  }

 private:
  engine::Engine& engine_;
  std::map<std::string, image::ContainerConfig> cache_;
};

// What `ps` shows of a container besides its record: the command, the healthcheck and its
// health, the ports; paths_for adds the rest for inspect. (The rest costs a networks-store lookup
// and string building per container, a fifth of `ps -a` with 1000 containers.)
ContainerPaths ps_paths_for(engine::Engine& engine, const engine::ContainerRecord& r,
                            ImageConfigs& images) {
  ContainerPaths p;
  const image::ContainerConfig& image_config = images.get(r.config.image_id);
  auto args = engine::container_args(r.config, image_config);
  if (args) p.args = *args;
  p.healthcheck = engine::merged_healthcheck(r.config, image_config.healthcheck);
  // A container without a healthcheck has no health state to read.
  if (p.healthcheck) p.health = engine::container_health(engine, r);
  if (r.status == engine::ContainerStatus::kRunning || r.status == engine::ContainerStatus::kPaused)
    p.network = engine.network_state(r).value_or(std::nullopt);
  return p;
}

ContainerPaths paths_for(engine::Engine& engine, const engine::ContainerRecord& r,
                         ImageConfigs& images) {
  ContainerPaths p = ps_paths_for(engine, r, images);
  p.log_path = r.config.log_driver == "none" ? "" : engine.log_path(r);
  p.snapshot_dir = engine.snapshot_dir(r.id);
  p.driver = engine.options().storage_driver;
  p.rootfs = p.snapshot_dir + (p.driver == "vfs" ? "/rootfs" : "/merged");
  std::string userdata = engine.userdata_dir(r.id);
  p.hostname_path = userdata + "/hostname";
  p.hosts_path = userdata + "/hosts";
  p.resolv_conf_path = userdata + "/resolv.conf";
  for (const auto& m : r.config.mounts) {
    if (m.type == "volume")
      p.mount_sources.push_back(engine.options().store_root + "/volumes/" + m.source + "/_data");
    else
      p.mount_sources.push_back(m.source);
  }
  if (r.config.network.empty() && r.config.networks.empty()) {
    auto store = engine.networks();
    if (store) p.default_network = (*store)->defaults().default_network;
  }
  return p;
}

std::string no_such_container(const std::string& name) {
  return "no container with name or ID \"" + name + "\" found: no such container";
}

// Names from the arguments, or every container (--all).
Result<std::vector<std::string>> targets(engine::Engine& engine,
                                         const std::vector<std::string>& names, bool all,
                                         bool only_live) {
  if (!all) {
    if (names.empty()) return fail("you must provide at least one container name or id");
    return names;
  }
  if (!names.empty()) return fail("--all and container names cannot be used together");
  std::vector<std::string> out;
  for (const auto& r : KRILL_TRY(engine.list()))
    if (!only_live || engine::is_live(r.status)) out.push_back(r.id);
  return out;
}

// podman's --interval: a Go duration, or a bare number of milliseconds; positive.
Result<int> parse_wait_interval(const std::string& text) {
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  int64_t ns = 0;
  if (digits) {
    if (text.size() > 9) return fail("--interval " + text + ": too long");
    ns = std::stoll(text) * 1000000;
  } else {
    auto parsed = parse_go_duration(text);
    if (!parsed) return fail("--interval " + text + ": " + parsed.error().message());
    ns = *parsed;
  }
  if (ns <= 0) return fail("--interval " + text + ": must be positive");
  if (ns > int64_t{3600} * 1000000000) return fail("--interval " + text + ": at most 1h");
  return static_cast<int>(std::max<int64_t>(ns / 1000000, 1));
}

}  // namespace

Result<int> run_container_stop(Context& ctx, const StopFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto names = KRILL_TRY(targets(engine, o.containers, o.all, true));
  int status = 0;
  for (const auto& name : names) {
    auto stopped =
        engine.stop(name, o.time >= 0 ? std::optional<int>(o.time) : std::optional<int>());
    if (!stopped) {
      bool missing = stopped.error().message().find("no such container") != std::string::npos;
      if (missing && o.ignore) continue;
      ctx.err << "Error: " << stopped.error().message() << "\n";
      status = kExitEngineError;
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_restart(Context& ctx, const NamesFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto names = KRILL_TRY(targets(engine, o.containers, o.all, false));
  int status = 0;
  for (const auto& name : names) {
    auto stopped =
        engine.stop(name, o.time >= 0 ? std::optional<int>(o.time) : std::optional<int>());
    if (!stopped) {
      ctx.err << "Error: " << stopped.error().message() << "\n";
      status = kExitEngineError;
      continue;
    }
    auto started = engine.start(stopped->id, warning_printer(ctx));
    if (!started) {
      ctx.err << "Error: " << started.error().message() << "\n";
      status = engine.start_error_status(stopped->id, started.error());
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_kill(Context& ctx, const KillFlags& o) {
  int signal = KRILL_TRY(engine::parse_signal(o.signal));
  auto engine = KRILL_TRY(open_engine(ctx));
  auto names = KRILL_TRY(targets(engine, o.containers, o.all, true));
  int status = 0;
  for (const auto& name : names) {
    auto killed = engine.kill(name, signal);
    if (!killed) {
      ctx.err << "Error: " << killed.error().message() << "\n";
      status = kExitEngineError;
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_rm(Context& ctx, const RmFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto names = KRILL_TRY(targets(engine, o.containers, o.all, false));
  if (o.time && *o.time < 0) return fail("rm --time: must not be negative");
  if (o.force && o.time) {
    // podman's rm -f -t N: a stop with that timeout first (stop signal, then SIGKILL).
    for (const auto& name : names)
      if (auto record = engine.find(name); record && engine::is_live(record->status))
        (void)engine.stop(record->id, *o.time);
  } else if (o.force && names.size() > 1) {
    // rm -f of several: SIGKILL every live one first, so that they all die at once rather than
    // one after the other inside each removal.
    for (const auto& name : names)
      if (auto record = engine.find(name); record && engine::is_live(record->status))
        (void)engine.kill(record->id, SIGKILL);
  }
  int status = 0;
  for (const auto& name : names) {
    auto removed = engine.remove(name, o.force, o.volumes);
    if (!removed) {
      bool missing = removed.error().message().find("no such container") != std::string::npos;
      if (missing && (o.ignore || o.force)) continue;  // podman: rm -f of a missing one is fine
      ctx.err << "Error: " << removed.error().message() << "\n";
      // Docker: 1 for a missing or a running container (podman would say 2 for running).
      status = 1;
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_ps(Context& ctx, const PsFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto all = KRILL_TRY(engine.list());
  std::vector<const engine::ContainerRecord*> shown;  // into `all`: no copies of records
  shown.reserve(all.size());
  bool everything = o.all || !o.filters.empty() || o.latest || o.last >= 0;
  for (const auto& r : all) {
    if (!everything && !engine::is_live(r.status)) continue;
    if (!o.external && r.config.annotations.contains(engine::kWorkingContainerAnnotation)) continue;
    auto health_of = [&engine](const engine::ContainerRecord& c) -> std::string {
      auto health = engine::container_health(engine, c);
      return health ? health->status : "none";
    };
    if (!o.filters.empty() && !KRILL_TRY(ps_filter_matches(r, o.filters, all, health_of))) continue;
    shown.push_back(&r);
  }
  // Newest first, as Docker and podman list them.
  std::reverse(shown.begin(), shown.end());
  size_t keep = shown.size();
  if (o.latest) keep = std::min<size_t>(keep, 1);
  if (o.last >= 0) keep = std::min<size_t>(keep, static_cast<size_t>(o.last));
  shown.resize(keep);
  if (o.quiet) {
    std::string ids;
    for (const auto* r : shown) ids += (o.no_trunc ? r->id : r->id.substr(0, 12)) + "\n";
    ctx.out << ids;
    return 0;
  }
  ImageConfigs images(engine);
  int64_t now = now_ns();
  std::vector<json> rows;
  rows.reserve(shown.size());
  for (const auto* r : shown)
    rows.push_back(ps_row(*r, ps_paths_for(engine, *r, images), o.no_trunc, now));
  static const std::map<std::string, std::string> headers = {
      {"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"}, {"Names", "NAMES"}};
  std::string table =
      "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
      "{{.Names}}";
  std::string text = KRILL_TRY(render_rows(o.format, rows, table, headers));
  if (o.noheading && (o.format.empty() || o.format.starts_with("table"))) {
    auto nl = text.find('\n');
    text = nl == std::string::npos ? "" : text.substr(nl + 1);
  }
  ctx.out << text;
  return 0;
}

Result<int> run_container_inspect(Context& ctx, const ContainerInspectFlags& o,
                                  const InspectOptions& image_options) {
  if (!o.type.empty() && o.type != "container" && o.type != "image" && o.type != "all")
    return fail("invalid argument \"" + o.type +
                "\" for \"--type\" flag: must be container, image or all");
  if (o.type == "image") {
    InspectOptions io = image_options;
    io.names = o.names;
    io.format = o.format;
    return run_image_inspect(ctx, io);
  }
  auto engine = KRILL_TRY(open_engine(ctx));
  ImageConfigs images(engine);
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  int status = 0;
  for (const auto& name : o.names) {
    auto record = engine.find(name);
    if (record) {
      array.push_back(container_inspect_json(*record, paths_for(engine, *record, images)));
      continue;
    }
    bool missing = record.error().message().find("no such container") != std::string::npos;
    if (!missing) return std::unexpected(record.error());
    if (o.type != "container") {
      auto found = engine.images().find(name);
      if (found && *found) {
        auto image = KRILL_TRY(load_image(engine.images(), **found));
        array.push_back(nlohmann::ordered_json::parse(
            podman_inspect_json(**found, image.manifest, image.config, image.manifest_bytes)
                .dump()));
        continue;
      }
    }
    ctx.err << "Error: "
            << (o.type == "container" ? no_such_container(name)
                                      : "no such object: \"" + name + "\"")
            << "\n";
    status = kExitEngineError;
  }
  if (o.format.empty() || o.format == "json") {
    ctx.out << array.dump(4) << "\n";
  } else {
    for (const auto& doc : array)
      ctx.out << KRILL_TRY(render_value(o.format, json::parse(doc.dump())));
  }
  return status;
}

Result<int> run_container_wait(Context& ctx, const WaitFlags& o) {
  engine::WaitRequest request;
  if (!o.conditions.empty()) request.conditions.clear();
  for (const auto& name : o.conditions)
    request.conditions.push_back(KRILL_TRY(engine::parse_wait_condition(name)));
  request.interval_ms = KRILL_TRY(parse_wait_interval(o.interval));
  auto engine = KRILL_TRY(open_engine(ctx));
  int status = 0;
  // One after the other, as podman: each code printed once its container is done.
  for (const auto& name : o.containers) {
    auto code = engine.wait(name, request);
    if (!code) {
      ctx.err << "Error: " << code.error().message() << "\n";
      status = kExitEngineError;
      continue;
    }
    ctx.out << *code << "\n";
    ctx.out.flush();
  }
  return status;
}

Result<int> run_container_pause(Context& ctx, const NamesFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto names = KRILL_TRY(targets(engine, o.containers, o.all, true));
  int status = 0;
  for (const auto& name : names) {
    if (auto paused = engine.pause(name); !paused) {
      ctx.err << "Error: " << paused.error().message() << "\n";
      status = kExitEngineError;
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_unpause(Context& ctx, const NamesFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto names = KRILL_TRY(targets(engine, o.containers, o.all, true));
  int status = 0;
  for (const auto& name : names) {
    if (auto resumed = engine.unpause(name); !resumed) {
      ctx.err << "Error: " << resumed.error().message() << "\n";
      status = kExitEngineError;
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_rename(Context& ctx, const RenameFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  KRILL_CHECK(engine.rename(o.container, o.new_name));
  return 0;
}

Result<int> run_container_top(Context& ctx, const TopFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  ctx.out << KRILL_TRY(engine.top(o.container, o.ps_args));
  return 0;
}

Result<std::vector<std::string>> prune_containers(const Context& ctx, engine::Engine& engine,
                                                  const std::vector<std::string>& filter_flags) {
  std::vector<std::string> removed;
  auto all = KRILL_TRY(engine.list());
  std::vector<std::string> filters;
  for (const auto& f : filter_flags) {
    if (f.starts_with("until=")) continue;  // handled below
    filters.push_back(f);
  }
  int64_t until = 0;
  for (const auto& f : filter_flags)
    if (f.starts_with("until=")) {
      std::string v = f.substr(6);
      char* end = nullptr;
      long long seconds = std::strtoll(v.c_str(), &end, 10);
      if (end && *end == '\0') until = seconds * 1000000000LL;
    }
  for (const auto& r : all) {
    if (engine::is_live(r.status)) continue;
    if (!KRILL_TRY(ps_filter_matches(r, filters, all))) continue;
    if (until != 0 && r.created_ns >= until) continue;
    if (auto gone = engine.remove(r.id, false, false); !gone) {
      ctx.err << "Error: " << gone.error().message() << "\n";
      continue;
    }
    removed.push_back(r.id);
  }
  return removed;
}

Result<int> run_container_prune(Context& ctx, const ContainerPruneFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  if (!o.force) {
    ctx.err << "WARNING! This will remove all non running containers.\n"
               "Are you sure you want to continue? [y/N] ";
    ctx.err.flush();
    std::string answer;
    std::getline(ctx.in, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") return 0;
  }
  for (const auto& id : KRILL_TRY(prune_containers(ctx, engine, o.filters))) ctx.out << id << "\n";
  return 0;
}

Result<int> run_container_cleanup(Context& ctx, const CleanupFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  KRILL_CHECK(engine.cleanup(o.container));
  return 0;
}

}  // namespace krill::cli
