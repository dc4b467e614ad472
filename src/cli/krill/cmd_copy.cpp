// skopeo copy and sync.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/file_io.h"
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

// One image to copy: its source reference and the destination's name under DESTINATION.
struct SyncImage {
  std::string from;    // TRANSPORT:REF
  std::string suffix;  // repo[:tag] or repo@digest (with --scoped: the whole source path)
};

// --src docker: the given tag or digest, else every tag of the repository.
Result<std::vector<SyncImage>> sync_images_of_repository(Context& ctx, const SyncOptions& o) {
  std::string source = o.source;
  if (source.starts_with("docker://")) source.erase(0, 9);
  auto ref = KRILL_TRY(image::parse_reference(source));
  size_t last_slash = source.rfind('/');
  bool tag_given =
      source.find(':', last_slash == std::string::npos ? 0 : last_slash) != std::string::npos ||
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
  std::vector<SyncImage> images;
  for (const auto& tag : tags) {
    const char* separator = tag.find(':') != std::string::npos ? "@" : ":";
    images.push_back(
        {"docker://" + ref.repository() + separator + tag, repo_name + separator + tag});
  }
  return images;
}

// --src dir: every directory under `root` that holds a dir: image (a manifest.json), as skopeo
// finds them. The destination name is the image directory's name ("app:1" from a docker→dir
// sync), or with --scoped its path below `root`.
Result<std::vector<SyncImage>> sync_images_in_directory(const std::string& root, bool scoped) {
  std::string base = root;
  while (base.size() > 1 && base.ends_with("/")) base.pop_back();
  std::vector<std::string> found;
  std::vector<std::string> pending{base};
  while (!pending.empty()) {
    std::string dir = std::move(pending.back());
    pending.pop_back();
    if (::access((dir + "/manifest.json").c_str(), F_OK) == 0) {
      found.push_back(dir);
      continue;  // an image directory holds blobs, not more images
    }
    auto names = KRILL_TRY(list_directory(dir));
    for (const auto& name : names) {
      std::string path = dir + "/" + name;
      struct stat entry {};
      if (::lstat(path.c_str(), &entry) == 0 && S_ISDIR(entry.st_mode)) pending.push_back(path);
    }
  }
  if (found.empty())
    return fail("image sync --src dir " + root +
                ": no images in it (no directory below it holds a manifest.json)");
  std::sort(found.begin(), found.end());
  std::vector<SyncImage> images;
  for (const auto& dir : found) {
    std::string suffix = dir == base ? dir.substr(dir.rfind('/') + 1) : dir.substr(base.size() + 1);
    if (!scoped) suffix = suffix.substr(suffix.rfind('/') + 1);
    images.push_back({"dir:" + dir, suffix});
  }
  return images;
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
  if (o.src_type == "dir" && o.dest_type == "dir")
    return fail(
        "image sync from dir to dir: not supported (copy the directory instead, "
        "or sync to a registry with --dest docker)");
  std::vector<SyncImage> images = o.src_type == "dir"
                                      ? KRILL_TRY(sync_images_in_directory(o.source, o.scoped))
                                      : KRILL_TRY(sync_images_of_repository(ctx, o));
  std::string dest_base = o.destination;
  if (dest_base.starts_with("docker://")) dest_base.erase(0, 9);
  while (dest_base.size() > 1 && dest_base.ends_with("/")) dest_base.pop_back();
  size_t n = 0;
  for (const auto& image : images) {
    std::string to = o.dest_type == "docker" ? "docker://" + dest_base + "/" + image.suffix
                                             : "dir:" + dest_base + "/" + image.suffix;
    ++n;
    if (!o.quiet)
      ctx.err << "INFO[0000] Copying image ref " << n << "/" << images.size() << " from=\""
              << image.from << "\" to=\"" << to << "\"\n";
    if (o.dry_run) continue;
    CopyRequest request;
    request.source = image.from;
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
