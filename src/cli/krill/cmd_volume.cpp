// podman's volume verbs over the engine database: create, ls, inspect, rm, prune.
#include "cli/krill/cmd_volume.h"

#include <cerrno>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "base/file_io.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/format_template.h"
#include "cli/krill/key_value_flags.h"
#include "engine/container_store.h"
#include "engine/volumes.h"

namespace krill::cli {

using nlohmann::json;

namespace {

// A label given in another encoding is printed with U+FFFD rather than failing.
constexpr auto kReplaceInvalidUtf8 = nlohmann::json::error_handler_t::replace;

// Exit statuses of `podman volume rm`.
constexpr int kExitVolumeInUse = 2;

struct VolumeAccess {
  engine::ContainerStore store;
  std::string store_root;
};

Result<VolumeAccess> open_volumes(const Context& ctx) {
  std::string root = ctx.store_root();
  auto store = KRILL_TRY(engine::ContainerStore::open(root));
  return VolumeAccess{std::move(store), root};
}

// podman's inspect shape for one volume, in podman's member order.
nlohmann::ordered_json volume_json(const engine::VolumeRecord& v) {
  nlohmann::ordered_json j;
  j["Name"] = v.name;
  j["Driver"] = v.driver;
  j["Mountpoint"] = v.mountpoint;
  j["CreatedAt"] = format_rfc3339_nano(v.created_ns / 1000000000, v.created_ns % 1000000000);
  j["Labels"] = v.labels;
  j["Scope"] = "local";
  j["Options"] = v.options;
  if (auto it = v.options.find("uid"); it != v.options.end()) {
    try {
      j["UID"] = std::stoi(it->second);
    } catch (...) {
    }
  }
  if (auto it = v.options.find("gid"); it != v.options.end()) {
    try {
      j["GID"] = std::stoi(it->second);
    } catch (...) {
    }
  }
  if (v.anonymous) j["Anonymous"] = true;
  j["MountCount"] = 0;
  j["NeedsCopyUp"] = v.needs_copy_up;
  // podman chowns a volume to the container's user on first use unless UID/GID were given.
  j["NeedsChown"] = v.needs_copy_up && !v.options.contains("uid") && !v.options.contains("gid");
  return j;
}

// The templates run on nlohmann::json.
json as_template_data(const nlohmann::ordered_json& value) {
  return json::parse(value.dump(-1, ' ', false, kReplaceInvalidUtf8));
}

bool confirmed(Context& ctx) {
  std::string answer;
  if (!std::getline(ctx.in, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes";
}

}  // namespace

Result<int> run_volume_create(Context& ctx, const VolumeCreateOptions& o) {
  auto access = KRILL_TRY(open_volumes(ctx));
  engine::VolumeManager volumes(access.store, access.store_root);
  if (o.ignore && !o.name.empty()) {
    if (KRILL_TRY(access.store.find_volume(o.name))) {
      ctx.out << o.name << "\n";
      return 0;
    }
  }
  engine::VolumeCreateRequest request;
  request.name = o.name;
  request.driver = o.driver;
  request.labels = KRILL_TRY(parse_key_values(o.labels, "label"));
  request.options = KRILL_TRY(parse_key_values(o.options, "volume option"));
  auto created = volumes.create(request);
  if (!created) {
    if (o.ignore && created.error().errno_value() == EEXIST) {  // made meanwhile
      ctx.out << o.name << "\n";
      return 0;
    }
    return std::unexpected(std::move(created.error()));
  }
  ctx.out << created->name << "\n";
  return 0;
}

Result<int> run_volume_ls(Context& ctx, const VolumeLsOptions& o) {
  auto access = KRILL_TRY(open_volumes(ctx));
  engine::VolumeManager volumes(access.store, access.store_root);
  auto listed = KRILL_TRY(volumes.list(o.filters));
  if (o.quiet) {
    for (const auto& v : listed) ctx.out << v.name << "\n";
    return 0;
  }
  if (o.format == "json") {
    auto array = nlohmann::ordered_json::array();
    for (const auto& v : listed) array.push_back(volume_json(v));
    ctx.out << array.dump(2, ' ', false, kReplaceInvalidUtf8) << "\n";
    return 0;
  }
  std::vector<json> rows;
  for (const auto& v : listed) rows.push_back(as_template_data(volume_json(v)));
  if (rows.empty()) return 0;  // podman prints no header for an empty list
  std::string text = KRILL_TRY(
      render_rows(o.format, rows, "table {{.Driver}}\t{{.Name}}", {{"Name", "VOLUME NAME"}}));
  if (o.noheading && (o.format.empty() || o.format.starts_with("table"))) {
    auto nl = text.find('\n');
    text = nl == std::string::npos ? "" : text.substr(nl + 1);
  }
  ctx.out << text;
  return 0;
}

Result<int> run_volume_inspect(Context& ctx, const VolumeInspectOptions& o) {
  if (o.all && !o.names.empty())
    return fail("when using the --all flag, you may not pass any volume names");
  if (!o.all && o.names.empty()) return fail("provide one or more volume names or use --all");
  auto access = KRILL_TRY(open_volumes(ctx));
  engine::VolumeManager volumes(access.store, access.store_root);
  std::vector<engine::VolumeRecord> found;
  std::vector<std::string> missing;
  if (o.all) {
    found = KRILL_TRY(volumes.list());
  } else {
    for (const auto& name : o.names) {
      auto v = volumes.inspect(name);
      if (v) {
        found.push_back(std::move(*v));
      } else if (v.error().errno_value() == ENOENT) {
        missing.push_back(name);
      } else {
        return std::unexpected(std::move(v.error()));
      }
    }
  }
  if (o.format.empty() || o.format == "json") {
    auto array = nlohmann::ordered_json::array();
    for (const auto& v : found) array.push_back(volume_json(v));
    ctx.out << array.dump(4, ' ', false, kReplaceInvalidUtf8) << "\n";
  } else {
    for (const auto& v : found)
      ctx.out << KRILL_TRY(render_value(o.format, as_template_data(volume_json(v))));
  }
  if (missing.empty()) return 0;
  for (size_t i = 0; i + 1 < missing.size(); ++i)
    ctx.err << "Error: inspecting object: no such volume " << missing[i] << "\n";
  return fail("inspecting object: no such volume " + missing.back());
}

Result<int> run_volume_rm(Context& ctx, const VolumeRmOptions& o) {
  if (o.all && !o.names.empty())
    return fail("when using the --all flag, you may not pass any volume names");
  if (!o.all && o.names.empty()) return fail("choose either one or more volumes or all");
  auto access = KRILL_TRY(open_volumes(ctx));
  engine::VolumeManager volumes(access.store, access.store_root);
  std::vector<std::string> names = o.names;
  if (o.all)
    for (const auto& v : KRILL_TRY(volumes.list())) names.push_back(v.name);
  int status = 0;
  auto raise = [&](int code) {
    // Precedence: any other failure (125) over in use (2) over missing (1).
    if (code == kExitEngineError || status == 0 || (code == kExitVolumeInUse && status == 1))
      status = code;
  };
  for (const auto& name : names) {
    if (o.force) {
      // podman: -f removes the containers using the volume first.
      auto users = access.store.volume_users(name);
      if (users && !users->empty()) {
        auto engine = open_engine(ctx);
        if (!engine) {
          ctx.err << "Error: " << engine.error().message() << "\n";
          raise(kExitEngineError);
          continue;
        }
        bool failed = false;
        for (const auto& id : *users) {
          auto removed = engine->remove(id, /*force=*/true, /*volumes=*/false);
          if (!removed && removed.error().errno_value() != ENOENT) {
            ctx.err << "Error: " << removed.error().message() << "\n";
            failed = true;
          }
        }
        if (failed) {
          raise(kExitEngineError);
          continue;
        }
      }
    }
    auto removed = volumes.remove(name, o.force);
    if (removed) {
      ctx.out << name << "\n";
      continue;
    }
    ctx.err << "Error: " << removed.error().message() << "\n";
    int err = removed.error().errno_value();
    raise(err == ENOENT ? kExitNotFound : err == EBUSY ? kExitVolumeInUse : kExitEngineError);
  }
  return status;
}

Result<int> run_volume_prune(Context& ctx, const VolumePruneOptions& o) {
  auto access = KRILL_TRY(open_volumes(ctx));
  engine::VolumeManager volumes(access.store, access.store_root);
  if (!o.force) {
    std::vector<std::string> preview_filters = o.filters;
    preview_filters.push_back("dangling=true");
    auto unused = KRILL_TRY(volumes.list(preview_filters));
    ctx.out << "WARNING! This will remove all volumes not used by at least one container. The "
               "following volumes will be removed:\n";
    for (const auto& v : unused) ctx.out << v.name << "\n";
    ctx.out << "Are you sure you want to continue? [y/N] " << std::flush;
    if (!confirmed(ctx)) return 0;
  }
  auto report = KRILL_TRY(volumes.prune(o.filters));
  for (const auto& name : report.removed) ctx.out << name << "\n";
  return 0;
}

}  // namespace krill::cli
