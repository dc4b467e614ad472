// skopeo copy and sync.
#include "cli/krill/commands.h"
#include "cli/krill/copy_runner.h"
#include "cli/krill/registry_access.h"
#include "image/reference.h"

namespace krill::cli {
namespace {

RegistryFlags with_authfile(RegistryFlags flags, const std::string& authfile) {
  if (flags.authfile.empty()) flags.authfile = authfile;
  return flags;
}

}  // namespace

Result<int> run_image_copy(Context& ctx, const CopyOptionsCli& o) {
  for (const auto* ref : {&o.source, &o.destination})
    if (!has_transport_prefix(*ref))
      return fail("invalid image name \"" + *ref +
                  "\": want TRANSPORT:REF (docker://, oci:, oci-archive:, docker-archive:, dir:, "
                  "containers-storage:)");
  CopyRequest request;
  request.source = o.source;
  request.destination = o.destination;
  request.source_options = ctx.transport_options(with_authfile(o.src, o.authfile));
  request.destination_options = ctx.transport_options(with_authfile(o.dest, o.authfile));
  request.copy.all = o.all;
  request.copy.format = manifest_format(o.format);
  request.copy.preserve_digests = o.preserve_digests;
  request.copy.platform = KRILL_TRY(platform_from_flags(o.platform, "", "", ""));
  request.quiet = o.quiet;
  KRILL_TRY(run_copy(ctx, request));
  return 0;
}

Result<int> run_image_sync(Context& ctx, const SyncOptions& o) {
  if (o.src_type != "docker")
    return not_implemented("image sync --src " + o.src_type + " (only --src docker)");
  std::string source = o.source;
  if (source.starts_with("docker://")) source.erase(0, 9);
  auto ref = KRILL_TRY(image::parse_reference(source));
  bool tag_given =
      source.find(':', source.rfind('/') == std::string::npos ? 0 : source.rfind('/')) !=
          std::string::npos ||
      ref.has_digest();
  std::vector<std::string> tags;
  if (tag_given) {
    tags.push_back(ref.has_digest() ? ref.digest : ref.tag);
  } else {
    auto client = KRILL_TRY(connect_registry(ctx, ref.domain, o.src));
    tags = KRILL_TRY(client.list_tags(ref.path));
  }
  // --scoped: the source's registry (without a port, which a repository path cannot hold) and
  // path under the destination.
  std::string repo_name = o.scoped ? ref.domain.substr(0, ref.domain.find(':')) + "/" + ref.path
                                   : ref.path.substr(ref.path.rfind('/') + 1);
  std::string dest_base = o.destination;
  if (dest_base.starts_with("docker://")) dest_base.erase(0, 9);
  while (dest_base.ends_with("/")) dest_base.pop_back();
  size_t n = 0;
  for (const auto& tag : tags) {
    bool digest = tag.find(':') != std::string::npos;
    std::string from = "docker://" + ref.repository() + (digest ? "@" : ":") + tag;
    std::string suffix = repo_name + (digest ? "@" : ":") + tag;
    std::string to = o.dest_type == "docker" ? "docker://" + dest_base + "/" + suffix
                                             : "dir:" + dest_base + "/" + suffix;
    ++n;
    if (!o.quiet)
      ctx.err << "INFO[0000] Copying image ref " << n << "/" << tags.size() << " from=\"" << from
              << "\" to=\"" << to << "\"\n";
    if (o.dry_run) continue;
    CopyRequest request;
    request.source = from;
    request.destination = to;
    request.source_options = ctx.transport_options(o.src);
    request.destination_options = ctx.transport_options(o.dest);
    request.copy.all = o.all;
    request.copy.format = manifest_format(o.format);
    request.quiet = o.quiet;
    KRILL_TRY(run_copy(ctx, request));
  }
  if (!o.quiet)
    ctx.err << "INFO[0000] Synced " << n << " images from 1 sources"
            << (o.dry_run ? " (dry run)" : "") << "\n";
  return 0;
}

}  // namespace krill::cli
