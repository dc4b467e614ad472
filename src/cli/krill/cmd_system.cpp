// system df / prune / check and image prune over the local store.
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli/krill/cmd_container.h"
#include "cli/krill/cmd_network.h"
#include "cli/krill/commands.h"
#include "cli/krill/format_template.h"
#include "cli/krill/progress.h"
#include "cli/krill/store_access.h"
#include "cli/krill/system_usage.h"
#include "engine/container_store.h"
#include "engine/volumes.h"

namespace krill::cli {

using nlohmann::json;

namespace {

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return std::to_string(part * 100 / whole) + "%";
}

// The image ids containers were made from (podman's "in use" for image prune).
Result<std::set<std::string>> images_used_by_containers(const Context& ctx) {
  auto engine = KRILL_TRY(open_engine(ctx));
  std::set<std::string> ids;
  for (const auto& c : KRILL_TRY(engine.list())) ids.insert(c.config.image_id);
  return ids;
}

bool confirm(Context& ctx, const std::string& warning) {
  ctx.out << warning << "\nAre you sure you want to continue? [y/N] " << std::flush;
  std::string answer;
  std::getline(ctx.in, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

Result<int> run_system_df(Context& ctx, const DfOptions& o) {
  const SystemUsage usage = KRILL_TRY(system_usage(ctx));
  if (o.verbose) {
    // podman's three tables (or, with --format json, every item).
    std::map<std::string, std::vector<json>> rows;
    std::vector<json> all;
    for (const auto& item : usage.items) {
      json row = {{"Type", item.type},
                  {"ID", item.id},
                  {"Name", item.name},
                  {"Status", item.status},
                  {"Links", item.links},
                  {"RawSize", item.size},
                  {"Size", human_size(item.size)}};
      rows[item.type].push_back(row);
      all.push_back(row);
    }
    if (o.format == "json") {
      ctx.out << KRILL_TRY(render_rows(o.format, all, ""));
      return 0;
    }
    ctx.out << "Images space usage:\n\n"
            << KRILL_TRY(render_rows(
                   "", rows["Images"], "table {{.Name}}\t{{.ID}}\t{{.Size}}\t{{.Links}}",
                   {{"Name", "REPOSITORY"}, {"ID", "IMAGE ID"}, {"Links", "CONTAINERS"}}))
            << "\nContainers space usage:\n\n"
            << KRILL_TRY(render_rows("", rows["Containers"],
                                     "table {{.ID}}\t{{.Size}}\t{{.Status}}\t{{.Name}}",
                                     {{"ID", "CONTAINER ID"}, {"Name", "NAMES"}}))
            << "\nLocal Volumes space usage:\n\n"
            << KRILL_TRY(render_rows("", rows["Local Volumes"],
                                     "table {{.Name}}\t{{.Links}}\t{{.Size}}",
                                     {{"Name", "VOLUME NAME"}}));
    return 0;
  }
  std::vector<json> rows;
  for (const auto& summary : usage.summaries)
    rows.push_back({{"Type", summary.type},
                    {"Total", summary.total},
                    {"Active", summary.active},
                    {"RawSize", summary.size},
                    {"RawReclaimable", summary.reclaimable},
                    {"Size", human_size(summary.size)},
                    {"Reclaimable", human_size(summary.reclaimable) + " (" +
                                        percent(summary.reclaimable, summary.size) + ")"}});
  ctx.out << KRILL_TRY(render_rows(
      o.format, rows, "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", {}));
  return 0;
}

Result<int> run_image_prune(Context& ctx, const PruneOptions& o) {
  if (!o.force &&
      !confirm(ctx, o.all ? "WARNING! This command removes all images without at least one "
                            "container associated with them."
                          : "WARNING! This command removes all dangling images."))
    return 0;
  auto store = KRILL_TRY(open_store(ctx));
  auto removed = KRILL_TRY(store.prune(!o.all, KRILL_TRY(images_used_by_containers(ctx))));
  for (const auto& id : removed) ctx.out << id.hex() << "\n";
  return 0;
}

Result<int> run_system_prune(Context& ctx, const PruneOptions& o) {
  if (!o.force &&
      !confirm(ctx,
               std::string("WARNING! This command removes:\n"
                           "\t- all stopped containers\n"
                           "\t- all networks not used by at least one container\n") +
                   (o.volumes ? "\t- all volumes not used by at least one container\n" : "") +
                   (o.all ? "\t- all images without at least one container associated with them"
                          : "\t- all dangling images")))
    return 0;
  // podman's order: containers first, so that what they held becomes unused.
  auto total = [](const SystemUsage& usage) {
    uint64_t bytes = 0;
    for (const auto& summary : usage.summaries) bytes += summary.size;
    return bytes;
  };
  const uint64_t before = total(KRILL_TRY(system_usage(ctx)));
  auto engine = KRILL_TRY(open_engine(ctx));
  auto print = [&](const char* heading, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    ctx.out << heading << "\n";
    for (const auto& line : lines) ctx.out << line << "\n";
  };
  print("Deleted Containers", KRILL_TRY(prune_containers(ctx, engine, {})));
  print("Deleted Networks",
        KRILL_TRY(remove_networks(engine, KRILL_TRY(unused_networks(engine, {})))));
  if (o.volumes) {
    auto database = KRILL_TRY(engine::ContainerStore::open(ctx.store_root()));
    engine::VolumeManager volumes(database, ctx.store_root());
    print("Deleted Volumes", KRILL_TRY(volumes.prune()).removed);
  }
  auto store = KRILL_TRY(open_store(ctx));
  std::vector<std::string> images;
  for (const auto& id : KRILL_TRY(store.prune(!o.all, KRILL_TRY(images_used_by_containers(ctx)))))
    images.push_back(id.hex());
  print("Deleted Images", images);
  const uint64_t after = total(KRILL_TRY(system_usage(ctx)));
  ctx.out << "Total reclaimed space: " << human_size(before > after ? before - after : 0) << "\n";
  return 0;
}

Result<int> run_system_check(Context& ctx, const CheckOptions& o) {
  // Containers first: reconciling them releases what dead monitors held.
  std::vector<std::string> network_findings;
  if (auto engine = open_engine(ctx))
    network_findings = KRILL_TRY(engine->check_networks(o.repair));
  auto store = KRILL_TRY(open_store(ctx));
  auto report = KRILL_TRY(store.check(o.repair));
  for (const auto& finding : network_findings) ctx.out << finding << "\n";
  size_t problems = report.problems.size() + report.blobs.corrupt.size() + network_findings.size();
  for (const auto& d : report.blobs.corrupt)
    ctx.out << "corrupt blob " << d.str() << (o.repair ? " (removed)" : "") << "\n";
  for (const auto& p : report.problems) ctx.out << p << "\n";
  for (const auto& f : report.blobs.stray_files) ctx.out << "stray file " << f << "\n";
  for (const auto& id : report.removed_images)
    ctx.out << "removed damaged image " << id.hex() << "\n";
  for (const auto& p : report.removed_paths) ctx.out << "removed " << p << "\n";
  if (problems > 0 && !o.repair)
    return fail("the store has " + std::to_string(problems) +
                " problem(s); run `krill system check --repair` to remove damaged images and "
                "leftover network namespaces");
  ctx.out << "Checked " << report.blobs.ok.size() + report.blobs.corrupt.size() << " blobs: "
          << (problems == 0 ? "no problems found" : std::to_string(problems) + " repaired") << "\n";
  return 0;
}

}  // namespace krill::cli
