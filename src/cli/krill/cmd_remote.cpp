// skopeo/reg verbs that talk to a registry without the store: image inspect of TRANSPORT:REF,
// image list-tags, image delete, registry catalog, registry layer.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/krill/commands.h"
#include "cli/krill/format_template.h"
#include "cli/krill/image_json.h"
#include "cli/krill/registry_access.h"
#include "cli/krill/transports_glue.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "image/platform.h"

namespace krill::cli {

using nlohmann::json;

namespace {

const std::vector<std::string>& accept_types() {
  static const std::vector<std::string> types = {
      std::string(image::media_types::kOciManifest), std::string(image::media_types::kOciIndex),
      std::string(image::media_types::kDockerManifest),
      std::string(image::media_types::kDockerManifestList)};
  return types;
}

}  // namespace

Result<int> run_list_tags(Context& ctx, const RemoteOptions& o) {
  auto ref = KRILL_TRY(docker_reference(o.reference, "list-tags"));
  auto client = KRILL_TRY(connect_registry(ctx, ref.domain, o.registry_flags));
  auto tags = KRILL_TRY(client.list_tags(ref.path));
  json doc = {{"Repository", ref.repository()}, {"Tags", tags}};
  ctx.out << doc.dump(4) << "\n";
  return 0;
}

Result<int> run_image_delete(Context& ctx, const RemoteOptions& o) {
  auto ref = KRILL_TRY(docker_reference(o.reference, "image delete"));
  auto client = KRILL_TRY(connect_registry(ctx, ref.domain, o.registry_flags));
  std::string digest = ref.digest;
  if (digest.empty()) {
    auto head = KRILL_TRY(client.head_manifest(ref.path, ref.tag, accept_types()));
    if (!head) return fail("delete " + ref.str() + ": manifest unknown");
    digest = head->digest;
    if (digest.empty()) {
      auto got = KRILL_TRY(client.get_manifest(ref.path, ref.tag, accept_types()));
      digest = got.digest;
    }
  }
  KRILL_CHECK_CTX(client.delete_manifest(ref.path, digest), "delete " + ref.str());
  return 0;
}

Result<int> run_registry_catalog(Context& ctx, const RemoteOptions& o) {
  std::string host = o.reference;
  for (std::string_view scheme : {"https://", "http://", "docker://"})
    if (host.starts_with(scheme)) host.erase(0, scheme.size());
  while (host.ends_with("/")) host.pop_back();
  auto client = KRILL_TRY(connect_registry(ctx, host, o.registry_flags));
  auto repos = KRILL_TRY(client.catalog());
  if (o.format == "json") {
    ctx.out << json(repos).dump(4) << "\n";
    return 0;
  }
  if (o.format.empty()) {
    for (const auto& r : repos) ctx.out << r << "\n";
    return 0;
  }
  std::vector<json> rows;
  for (const auto& r : repos) rows.push_back({{"Name", r}, {"Repository", r}});
  ctx.out << KRILL_TRY(render_rows(o.format, rows, "", {}));
  return 0;
}

// reg layer: one blob, verified against its digest while it streams. With -o the bytes go to a
// temp file beside FILE, renamed into place only once the whole blob matched.
Result<int> run_registry_layer(Context& ctx, const RemoteOptions& o) {
  auto ref = KRILL_TRY(docker_reference(o.reference, "registry layer"));
  const std::string what = "download " + ref.repository() + "@" + ref.digest;
  if (!ref.has_digest())
    return fail("registry layer " + o.reference +
                ": name the blob by digest (REPOSITORY@sha256:...)");
  auto client = KRILL_TRY(connect_registry(ctx, ref.domain, o.registry_flags));
  if (o.output.empty() || o.output == "-") {
    ctx.out.flush();
    auto n = client.get_blob(ref.path, ref.digest, [&](std::string_view chunk) -> Result<void> {
      ctx.out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (!ctx.out) return fail("write to stdout");
      return {};
    });
    if (!n) return std::unexpected(std::move(n.error()).context(what));
    ctx.out.flush();
    return 0;
  }
  std::string temp = o.output + ".krill-XXXXXX";
  int raw = ::mkstemp(temp.data());
  if (raw < 0) return fail_errno(what + ": create a file beside " + o.output);
  UniqueFd fd(raw);
  auto n = client.get_blob(ref.path, ref.digest, [&](std::string_view chunk) -> Result<void> {
    while (!chunk.empty()) {
      ssize_t w = ::write(fd.get(), chunk.data(), chunk.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail_errno("write " + temp);
      chunk.remove_prefix(static_cast<size_t>(w));
    }
    return {};
  });
  if (!n) {
    ::unlink(temp.c_str());
    return std::unexpected(std::move(n.error()).context(what));
  }
  if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0 ||
      ::rename(temp.c_str(), o.output.c_str()) != 0) {
    Error error = Error::from_errno(what + ": write " + o.output);
    ::unlink(temp.c_str());
    return std::unexpected(std::move(error));
  }
  return 0;
}

// skopeo inspect: the image behind TRANSPORT:REF, without storing it.
Result<int> inspect_remote(Context& ctx, const InspectOptions& o, const std::string& name) {
  std::string reference = has_transport_prefix(name) ? name : as_docker_reference(name);
  auto options = ctx.transport_options(o.registry_flags);
  auto source = KRILL_TRY(open_source(reference, options));
  auto top = KRILL_TRY(source->manifest());
  if (o.raw && !o.config) {
    ctx.out << top.bytes;
    return 0;
  }
  transport::RawManifest chosen = top;
  std::string type =
      top.media_type.empty() ? KRILL_TRY(image::detect_media_type(top.bytes)) : top.media_type;
  if (image::media_types::is_index(type)) {
    auto index = KRILL_TRY(image::parse_index(top.bytes, type));
    const image::Descriptor* pick = image::select_manifest(index, image::host_platform());
    if (!pick)
      return fail(source->name() + ": no image for " + image::host_platform().str() +
                  " in the index");
    chosen = KRILL_TRY(source->manifest(pick->digest));
    type = chosen.media_type.empty() ? KRILL_TRY(image::detect_media_type(chosen.bytes))
                                     : chosen.media_type;
  }
  auto manifest = KRILL_TRY(image::parse_manifest(chosen.bytes, type));
  std::string config_bytes = KRILL_TRY(read_small_blob(*source, manifest.config));
  if (o.config) {
    if (o.raw) {
      ctx.out << config_bytes;
    } else {
      auto doc = json::parse(config_bytes, nullptr, false);
      if (doc.is_discarded()) return fail(source->name() + ": config is not valid JSON");
      ctx.out << KRILL_TRY(render_value(o.format, doc));
    }
    return 0;
  }
  auto config = KRILL_TRY(image::parse_image_config(config_bytes));
  std::vector<std::string> tags;
  if (reference.starts_with("docker://")) {
    auto ref = docker_reference(reference, "inspect");
    if (ref) {
      auto client = connect_registry(ctx, ref->domain, o.registry_flags);
      if (client) {
        auto listed = client->list_tags(ref->path);
        if (listed)
          tags = *listed;
        else
          ctx.warn("list tags of " + ref->repository() + ": " + listed.error().message());
      }
    }
  }
  std::string display = source->name();
  if (display.starts_with("docker://")) {
    display.erase(0, 9);
    auto ref = image::parse_reference(display);
    if (ref) display = ref->repository();
  }
  json doc = skopeo_inspect_json(display, top.digest, tags, manifest, config);
  ctx.out << KRILL_TRY(render_value(o.format, doc));
  return 0;
}

}  // namespace krill::cli
