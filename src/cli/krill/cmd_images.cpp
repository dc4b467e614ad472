// podman/docker image verbs over the local store: pull, push, images, rmi, tag, untag,
// image inspect, history.
#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/krill/commands.h"
#include "cli/krill/copy_runner.h"
#include "cli/krill/format_template.h"
#include "cli/krill/image_json.h"
#include "cli/krill/registry_access.h"
#include "cli/krill/store_access.h"
#include "cli/krill/transports_glue.h"
#include "image/reference.h"

namespace krill::cli {

using nlohmann::json;

namespace {

std::string strip_docker_prefix(std::string name) {
  if (name.starts_with("docker://")) name.erase(0, 9);
  return name;
}

Result<std::string> pull_one(Context& ctx, const PullOptions& o, const std::string& name,
                             const std::optional<image::Platform>& platform) {
  if (has_transport_prefix(name) && !name.starts_with("docker://"))
    return fail("pull " + name + ": only registry images can be pulled; use `krill image copy " +
                name + " containers-storage:NAME` or `krill load`");
  CopyRequest request;
  request.source = as_docker_reference(name);
  request.source_options = ctx.transport_options(o.registry_flags);
  request.destination_options = request.source_options;
  request.copy.platform = platform;
  request.quiet = o.quiet;
  // The store names the image as the source resolved it (short names, aliases).
  auto source_probe = KRILL_TRY(docker_reference(name, "pull"));
  std::string target = source_probe.str();
  if (source_probe.is_unqualified) {
    // Resolved by the docker transport; name the image after what it resolved to.
    auto source = KRILL_TRY(open_source(request.source, request.source_options));
    target = strip_docker_prefix(source->name());
  }
  request.destination = "containers-storage:" + target;
  if (!o.quiet) ctx.err << "Trying to pull " << target << "...\n";
  auto outcome = KRILL_TRY(run_copy(ctx, request));
  auto store = KRILL_TRY(open_store(ctx));
  auto record = KRILL_TRY(find_image_or_fail(store, target));
  return record.id.hex();
}

}  // namespace

Result<int> run_pull(Context& ctx, const PullOptions& o) {
  auto platform = KRILL_TRY(platform_from_flags(o.platform, o.os, o.arch, o.variant));
  for (const auto& name : o.names) {
    std::vector<std::string> names{name};
    if (o.all_tags) {
      auto ref = KRILL_TRY(docker_reference(name, "pull --all-tags"));
      if (ref.has_digest() || name.find(':', name.rfind('/') + 1) != std::string::npos)
        return fail("pull --all-tags: " + name + " must not have a tag or digest");
      auto client = KRILL_TRY(connect_registry(ctx, ref.domain, o.registry_flags));
      names.clear();
      for (const auto& tag : KRILL_TRY(client.list_tags(ref.path)))
        names.push_back(ref.repository() + ":" + tag);
    }
    for (const auto& n : names) ctx.out << KRILL_TRY(pull_one(ctx, o, n, platform)) << "\n";
  }
  return 0;
}

Result<int> run_push(Context& ctx, const PushOptions& o) {
  CopyRequest request;
  auto store = KRILL_TRY(open_store(ctx));
  auto record = KRILL_TRY(find_image_or_fail(store, o.source));
  request.source = "containers-storage:" + o.source;
  std::string dest = o.destination.empty() ? o.source : o.destination;
  if (!has_transport_prefix(dest)) {
    auto ref = KRILL_TRY(image::parse_reference(dest));
    dest = "docker://" + ref.str();
  }
  request.destination = dest;
  request.source_options = ctx.transport_options(o.registry_flags);
  request.destination_options = request.source_options;
  request.copy.format = manifest_format(o.format);
  request.quiet = o.quiet;
  (void)record;
  auto outcome = KRILL_TRY(run_copy(ctx, request));
  ctx.debug("pushed " + outcome.result.manifest_digest.str());
  return 0;
}

namespace {

bool matches_name(const image::ImageRecord& record, const std::string& wanted) {
  auto ref = image::parse_reference(wanted);
  for (const auto& n : record.names) {
    auto [repo, tag] = split_repository_tag(n);
    if (ref && (repo == ref->repository() || n == ref->str())) {
      bool tag_given =
          wanted.find(':', wanted.rfind('/') == std::string::npos ? 0 : wanted.rfind('/')) !=
          std::string::npos;
      if (!tag_given || n == ref->str()) return true;
    }
  }
  return false;
}

Result<bool> passes_filters(const image::ImageRecord& record,
                            const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    auto eq = f.find('=');
    std::string key = f.substr(0, eq), value = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (key == "dangling") {
      bool want = value != "false";
      if (record.names.empty() != want) return false;
    } else if (key == "reference") {
      bool any = false;
      for (const auto& n : record.names) {
        auto ref = image::parse_reference(n);
        std::string familiar = ref ? ref->familiar() : n;
        if (fnmatch(value.c_str(), n.c_str(), 0) == 0 ||
            fnmatch(value.c_str(), familiar.c_str(), 0) == 0 ||
            fnmatch(value.c_str(), split_repository_tag(n).first.c_str(), 0) == 0)
          any = true;
      }
      if (!any) return false;
    } else if (key == "id") {
      if (!record.id.hex().starts_with(value) && record.id.str() != value) return false;
    } else {
      return fail("invalid image filter \"" + f + "\": supported are dangling, reference, id");
    }
  }
  return true;
}

}  // namespace

const std::map<std::string, std::string>& image_headers() {
  static const std::map<std::string, std::string> headers = {{"ID", "IMAGE ID"}};
  return headers;
}

Result<int> run_images(Context& ctx, const ImagesOptions& o) {
  auto store = KRILL_TRY(open_store(ctx));
  auto records = KRILL_TRY(store.list());
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.created > b.created; });
  std::vector<image::ImageRecord> shown;
  for (const auto& r : records) {
    if (!o.name.empty() && !matches_name(r, o.name)) continue;
    if (!KRILL_TRY(passes_filters(r, o.filters))) continue;
    shown.push_back(r);
  }
  if (o.quiet) {
    std::set<std::string> seen;
    for (const auto& r : shown) {
      std::string id = o.no_trunc ? r.id.str() : r.id.hex().substr(0, 12);
      if (seen.insert(id).second) ctx.out << id << "\n";
    }
    return 0;
  }
  if (o.format == "json") {
    json array = json::array();
    for (const auto& r : shown) array.push_back(image_json(r));
    ctx.out << array.dump(4) << "\n";
    return 0;
  }
  std::time_t now = std::time(nullptr);
  std::vector<json> rows;
  for (const auto& r : shown)
    for (auto& row : image_rows(r, o.no_trunc, now)) rows.push_back(std::move(row));
  std::string table =
      o.digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}";
  std::string text = KRILL_TRY(render_rows(o.format, rows, table, image_headers()));
  if (o.noheading && (o.format.empty() || o.format.starts_with("table"))) {
    auto nl = text.find('\n');
    text = nl == std::string::npos ? "" : text.substr(nl + 1);
  }
  ctx.out << text;
  return 0;
}

Result<int> run_rmi(Context& ctx, const RmiOptions& o) {
  auto store = KRILL_TRY(open_store(ctx));
  std::vector<std::string> names = o.names;
  if (o.all) {
    if (!names.empty())
      return fail("when using the --all switch, you may not pass any images names or IDs");
    for (const auto& r : KRILL_TRY(store.list())) names.push_back(r.id.str());
  }
  if (names.empty()) return fail("image name or ID must be specified");
  int status = 0;
  for (const auto& name : names) {
    auto found = KRILL_TRY(store.find(name));
    if (!found) {
      if (o.ignore) continue;
      ctx.err << "Error: " << name << ": image not known\n";
      status = status == 0 ? kExitNotFound : status;
      continue;
    }
    auto removed = store.remove(name, o.force);
    if (!removed) {
      ctx.err << "Error: " << removed.error().message() << "\n";
      // podman's codes: 2 when a container uses the image, 125 for anything else.
      const int code = removed.error().errno_value() == EBUSY ? kExitInUse : kExitEngineError;
      if (status != kExitEngineError) status = code;
      continue;
    }
    for (const auto& u : removed->untagged) ctx.out << "Untagged: " << u << "\n";
    if (removed->deleted) ctx.out << "Deleted: " << removed->deleted->hex() << "\n";
  }
  return status;
}

Result<int> run_tag(Context& ctx, const TagOptions& o) {
  auto store = KRILL_TRY(open_store(ctx));
  KRILL_TRY(find_image_or_fail(store, o.source));
  for (const auto& target : o.targets) {
    std::string name = KRILL_TRY(normalize_name(target));
    KRILL_CHECK_CTX(store.tag(o.source, name), "tag " + o.source + " as " + target);
  }
  return 0;
}

Result<int> run_untag(Context& ctx, const TagOptions& o) {
  auto store = KRILL_TRY(open_store(ctx));
  for (const auto& target : o.targets) {
    std::string name = KRILL_TRY(normalize_name(target));
    KRILL_CHECK_CTX(store.untag(name), "untag " + target);
  }
  return 0;
}

Result<int> run_image_inspect(Context& ctx, const InspectOptions& o) {
  // skopeo's form: a transport reference, or --raw/--config (which only skopeo has).
  bool remote = o.raw || o.config;
  for (const auto& n : o.names) remote = remote || has_transport_prefix(n);
  if (remote) {
    if (o.names.size() != 1) return fail("inspect of a TRANSPORT:REF takes exactly one image");
    if (o.names.front().starts_with("containers-storage:") && !o.raw && !o.config) {
      InspectOptions local = o;
      local.names = {o.names.front().substr(19)};
      return run_image_inspect(ctx, local);
    }
    return inspect_remote(ctx, o, o.names.front());
  }
  auto store = KRILL_TRY(open_store(ctx));
  json array = json::array();
  for (const auto& name : o.names) {
    auto record = KRILL_TRY(find_image_or_fail(store, name));
    auto image = KRILL_TRY(load_image(store, record));
    array.push_back(
        podman_inspect_json(record, image.manifest, image.config, image.manifest_bytes));
  }
  if (o.format.empty() || o.format == "json") {
    ctx.out << array.dump(4) << "\n";
    return 0;
  }
  for (const auto& doc : array) ctx.out << KRILL_TRY(render_value(o.format, doc));
  return 0;
}

Result<int> run_history(Context& ctx, const HistoryOptions& o) {
  auto store = KRILL_TRY(open_store(ctx));
  auto record = KRILL_TRY(find_image_or_fail(store, o.name));
  auto image = KRILL_TRY(load_image(store, record));
  std::vector<uint64_t> sizes;
  for (const auto& diff_id : record.layers) {
    auto info = store.layer_info(diff_id);
    sizes.push_back(info ? info->uncompressed_size : 0);
  }
  auto rows = history_rows(record, image.config, sizes, o.no_trunc, o.human, std::time(nullptr));
  if (o.quiet) {
    for (const auto& r : rows) ctx.out << r["ID"].get<std::string>() << "\n";
    return 0;
  }
  ctx.out << KRILL_TRY(render_rows(
      o.format, rows, "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", {}));
  return 0;
}

}  // namespace krill::cli
