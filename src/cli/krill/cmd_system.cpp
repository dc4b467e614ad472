// system df / prune / check and image prune over the local store.
#include <nlohmann/json.hpp>
#include <string>

#include "cli/krill/cmd_container.h"
#include "cli/krill/commands.h"
#include "cli/krill/format_template.h"
#include "cli/krill/progress.h"
#include "cli/krill/store_access.h"

namespace krill::cli {

using nlohmann::json;

namespace {

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return std::to_string(part * 100 / whole) + "%";
}

bool confirm(Context& ctx, const std::string& warning) {
  ctx.out << warning << "\nAre you sure you want to continue? [y/N] " << std::flush;
  std::string answer;
  std::getline(ctx.in, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

Result<int> run_system_df(Context& ctx, const DfOptions& o) {
  auto store = KRILL_TRY(open_store(ctx));
  auto usage = KRILL_TRY(store.disk_usage());
  if (o.verbose) {
    std::vector<json> rows;
    std::time_t now = std::time(nullptr);
    for (const auto& r : KRILL_TRY(store.list())) {
      (void)now;
      auto names = r.names.empty() ? std::string("<none>") : r.names.front();
      rows.push_back({{"Repository", names},
                      {"ID", r.id.hex().substr(0, 12)},
                      {"Created", r.created},
                      {"Size", human_size(static_cast<uint64_t>(r.size))},
                      {"Layers", r.layers.size()}});
    }
    ctx.out << "Images space usage:\n\n";
    ctx.out << KRILL_TRY(render_rows(
        o.format, rows, "table {{.Repository}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\t{{.Layers}}",
        {{"ID", "IMAGE ID"}}));
    return 0;
  }
  std::vector<json> rows = {
      {{"Type", "Images"},
       {"Total", usage.images},
       {"Active", 0},
       {"RawSize", usage.layers_size},
       {"RawReclaimable", usage.reclaimable},
       {"Size", human_size(usage.layers_size)},
       {"Reclaimable", human_size(usage.reclaimable) + " (" +
                           percent(usage.reclaimable, usage.layers_size) + ")"}},
      {{"Type", "Layers"},
       {"Total", usage.layers},
       {"Active", 0},
       {"RawSize", usage.layers_size},
       {"RawReclaimable", usage.reclaimable},
       {"Size", human_size(usage.layers_size)},
       {"Reclaimable", human_size(usage.reclaimable)}},
      {{"Type", "Blobs"},
       {"Total", usage.blobs},
       {"Active", usage.blobs},
       {"RawSize", usage.blobs_size},
       {"RawReclaimable", 0},
       {"Size", human_size(usage.blobs_size)},
       {"Reclaimable", "0 B (0%)"}}};
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
  auto removed = KRILL_TRY(store.prune(!o.all));
  for (const auto& id : removed) ctx.out << id.hex() << "\n";
  return 0;
}

Result<int> run_system_prune(Context& ctx, const PruneOptions& o) {
  if (!o.force &&
      !confirm(ctx,
               std::string("WARNING! This command removes:\n") +
                   (o.all ? "\t- all images without at least one container associated with them"
                          : "\t- all dangling images") +
                   "\n\t- all unused layers"))
    return 0;
  auto store = KRILL_TRY(open_store(ctx));
  auto before = KRILL_TRY(store.disk_usage());
  auto removed = KRILL_TRY(store.prune(!o.all));
  auto after = KRILL_TRY(store.disk_usage());
  if (!removed.empty()) {
    ctx.out << "Deleted Images\n";
    for (const auto& id : removed) ctx.out << id.hex() << "\n";
  }
  uint64_t reclaimed =
      before.layers_size + before.blobs_size >= after.layers_size + after.blobs_size
          ? before.layers_size + before.blobs_size - after.layers_size - after.blobs_size
          : 0;
  ctx.out << "Total reclaimed space: " << human_size(reclaimed) << "\n";
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
