// save / load (docker-archive, oci-archive, multi-image), import (rootfs tarball -> one-layer
// image) and export.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "cli/krill/commands.h"
#include "cli/krill/copy_runner.h"
#include "cli/krill/progress.h"
#include "cli/krill/store_access.h"
#include "cli/krill/transports_glue.h"
#include "engine/config_change.h"
#include "image/digest.h"
#include "image/layer_file.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "image/platform.h"
#include "image/reference.h"
#include "transport/docker_archive_transport.h"
#include "transport/oci_archive_transport.h"
#include "transport/oci_layout_transport.h"
#include "transport/tar_stream.h"

namespace krill::cli {

using nlohmann::json;

namespace {

// A temporary file removed when this goes out of scope.
class TempFile {
 public:
  static Result<TempFile> create(const std::string& hint) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/var/tmp") + "/krill-" + hint + "-XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return fail_errno("create a temporary file in " + path);
    ::close(fd);
    return TempFile(path);
  }
  TempFile(TempFile&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempFile& operator=(TempFile&& o) noexcept {
    std::swap(path_, o.path_);
    return *this;
  }
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Result<void> copy_stream_to_file(std::istream& in, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail("open " + path + " for writing");
  out << in.rdbuf();
  if (!out) return fail("write " + path);
  return {};
}

Result<void> copy_file_to_stream(const std::string& path, std::ostream& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("open " + path);
  out << in.rdbuf();
  out.flush();
  if (!out) return fail("write the archive to stdout");
  return {};
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

namespace {

// `save -m` (or several names) as docker-archive or oci-archive: every image into one writer.
Result<void> save_multi_image_archive(
    Context& ctx, const SaveOptions& o, const std::string& target,
    const transport::TransportOptions& options,
    const std::function<std::string(const std::string&)>& name_of) {
  std::unique_ptr<transport::DockerArchiveWriter> docker;
  std::unique_ptr<transport::OciArchiveWriter> oci;
  if (o.format == "docker-archive")
    docker = KRILL_TRY(transport::DockerArchiveWriter::create(target));
  else
    oci = KRILL_TRY(transport::OciArchiveWriter::create(target));
  for (const auto& n : o.names) {
    std::string name = name_of(n);
    std::vector<std::string> tags;
    if (!name.empty()) tags.push_back(name);
    auto destination =
        docker ? KRILL_TRY(docker->add_image(tags)) : KRILL_TRY(oci->add_image(name));
    CopyRequest request;
    request.source = "containers-storage:" + n;
    request.source_options = options;
    request.quiet = o.quiet || o.output.empty();
    KRILL_TRY(run_copy_to(ctx, request, *destination));
  }
  return docker ? docker->finish() : oci->finish();
}

// The id of the image a copy into the store wrote: its manifest's config digest.
Result<image::Digest> written_image_id(const image::ImageStore& store,
                                       const transport::CopyResult& written) {
  auto bytes = KRILL_TRY(store.content().read_blob(written.manifest_digest));
  auto manifest = KRILL_TRY(image::parse_manifest(bytes, written.manifest_media_type));
  return manifest.config.digest;
}

}  // namespace

Result<int> run_save(Context& ctx, const SaveOptions& o) {
  if (o.output.empty() && ctx.out_is_terminal)
    return fail("refusing to save to a terminal. Use -o flag or redirect");
  auto store = KRILL_TRY(open_store(ctx));
  for (const auto& n : o.names) KRILL_TRY(find_image_or_fail(store, n));
  std::optional<TempFile> temp;
  std::string target = o.output;
  if (target.empty()) {
    temp = KRILL_TRY(TempFile::create("save"));
    target = temp->path();
  }
  auto options = ctx.transport_options({});
  bool multi = o.names.size() > 1 || o.multi_image;
  // The archive's name for an image: its normalised name when given one, none for an id.
  auto archive_name = [&](const std::string& n) -> std::string {
    auto ref = image::parse_reference(n);
    if (!ref) return "";
    auto record = store.find(n);
    if (record && *record && (*record)->id.hex().starts_with(n)) return "";  // an id
    return ref->str();
  };
  if (multi && (o.format == "docker-archive" || o.format == "oci-archive")) {
    KRILL_CHECK(save_multi_image_archive(ctx, o, target, options, archive_name));
  } else {
    if (multi && o.format != "oci-dir")
      return fail(
          "saving several images is supported with --format docker-archive, "
          "oci-archive or oci-dir");
    for (const auto& n : o.names) {
      std::string name = archive_name(n);
      CopyRequest request;
      request.source = "containers-storage:" + n;
      if (o.format == "docker-archive")
        request.destination = "docker-archive:" + target + (name.empty() ? "" : ":" + name);
      else if (o.format == "oci-archive")
        request.destination = "oci-archive:" + target + (name.empty() ? "" : ":" + name);
      else if (o.format == "oci-dir")
        request.destination = "oci:" + target + (name.empty() ? "" : ":" + name);
      else
        request.destination = "dir:" + target;
      request.source_options = options;
      request.destination_options = options;
      if (o.format == "docker-dir") request.copy.format = "v2s2";
      request.quiet = o.quiet || o.output.empty();
      KRILL_TRY(run_copy(ctx, request));
    }
  }
  if (temp) KRILL_CHECK(copy_file_to_stream(temp->path(), ctx.out));
  return 0;
}

Result<int> run_load(Context& ctx, const LoadOptions& o) {
  std::optional<TempFile> temp;
  std::string path = o.input;
  if (path.empty()) {
    if (ctx.in_is_terminal)
      return fail("cannot read from terminal, use command-line redirection or the --input flag");
    temp = KRILL_TRY(TempFile::create("load"));
    KRILL_CHECK(copy_stream_to_file(ctx.in, temp->path()));
    path = temp->path();
  }
  auto options = ctx.transport_options({});
  auto store = KRILL_TRY(open_store(ctx));
  // What podman prints for each image loaded: its names, or "sha256:<id>" for an unnamed one.
  std::vector<std::string> loaded;
  auto load_one = [&](const std::string& source, const std::string& name) -> Result<void> {
    CopyRequest request;
    request.source = source;
    request.destination = "containers-storage:" + name;
    request.source_options = options;
    request.destination_options = options;
    request.quiet = o.quiet;
    auto outcome = KRILL_TRY(run_copy(ctx, request));
    if (name.empty()) loaded.push_back(KRILL_TRY(written_image_id(store, outcome.result)).str());
    return {};
  };
  auto oci_index = transport::read_tar_member(path, "index.json");
  if (oci_index) {
    auto doc = json::parse(*oci_index, nullptr, false);
    if (doc.is_discarded() || !doc.contains("manifests") || !doc["manifests"].is_array())
      return fail("load " + path + ": index.json is not an OCI index");
    const json& manifests = doc["manifests"];
    for (size_t i = 0; i < manifests.size(); ++i) {
      const json& m = manifests[i];
      std::string ref;
      if (m.is_object() && m.contains("annotations") && m["annotations"].is_object())
        ref = m["annotations"].value(std::string(transport::kOciRefNameAnnotation), "");
      auto parsed = image::parse_reference(ref);
      std::string name = parsed ? parsed->str() : "";
      // By position: names may repeat or be missing in a multi-image archive.
      KRILL_CHECK(load_one("oci-archive:" + path + ":@" + std::to_string(i), name));
      if (!name.empty()) loaded.push_back(name);
    }
  } else {
    auto images = transport::list_docker_archive(path);
    if (!images)
      return fail("load " + path + ": neither an oci-archive (" + oci_index.error().message() +
                  ") nor a docker-archive (" + images.error().message() + ")");
    for (const auto& entry : *images) {
      std::string source = "docker-archive:" + path + ":@" + std::to_string(entry.index);
      std::string first =
          entry.repo_tags.empty() ? "" : KRILL_TRY(normalize_name(entry.repo_tags[0]));
      KRILL_CHECK(load_one(source, first));
      for (size_t i = 1; i < entry.repo_tags.size(); ++i)
        KRILL_CHECK(store.tag(first, KRILL_TRY(normalize_name(entry.repo_tags[i]))));
      for (const auto& t : entry.repo_tags) loaded.push_back(KRILL_TRY(normalize_name(t)));
    }
  }
  for (const auto& name : loaded) ctx.out << "Loaded image: " << name << "\n";
  return 0;
}

namespace {

std::string layer_media_type(const std::string& path) {
  unsigned char magic[4] = {0, 0, 0, 0};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(magic), 4);
  if (magic[0] == 0x1f && magic[1] == 0x8b) return std::string(image::media_types::kOciLayerGzip);
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return std::string(image::media_types::kOciLayerZstd);
  return std::string(image::media_types::kOciLayer);
}

}  // namespace

Result<int> run_import(Context& ctx, const ImportOptions& o) {
  std::optional<TempFile> temp;
  std::string path = o.source;
  if (path == "-") {
    temp = KRILL_TRY(TempFile::create("import"));
    KRILL_CHECK(copy_stream_to_file(ctx.in, temp->path()));
    path = temp->path();
  } else if (path.starts_with("http://") || path.starts_with("https://")) {
    return not_implemented("import from a URL (download it first)");
  }
  json container = json::object();
  container["Env"] =
      json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  for (const auto& change : o.changes) KRILL_CHECK(engine::apply_config_change(container, change));
  std::string name;
  if (!o.reference.empty()) name = KRILL_TRY(normalize_name(o.reference));

  auto store = KRILL_TRY(open_store(ctx));
  if (::access(path.c_str(), R_OK) != 0) return fail_errno("import " + o.source);
  auto stored = KRILL_TRY(image::store_layer_file(store, path, layer_media_type(path)));
  const image::Descriptor& layer = stored.blob;
  const image::Digest& diff_id = stored.diff_id;

  image::Platform platform = image::host_platform();
  if (!o.os.empty()) platform.os = o.os;
  if (!o.arch.empty()) platform.architecture = o.arch;
  if (!o.variant.empty()) platform.variant = o.variant;
  std::string created = now_rfc3339();
  json history = {{"created", created},
                  {"created_by", "/bin/sh -c #(nop) ADD file:" + diff_id.hex() + " in /"}};
  history["comment"] = o.message.empty() ? "imported from tarball" : o.message;
  json config = {{"created", created},
                 {"architecture", platform.architecture},
                 {"os", platform.os},
                 {"config", container},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}},
                 {"history", json::array({history})}};
  if (!platform.variant.empty()) config["variant"] = platform.variant;
  std::string config_bytes = config.dump();
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", image::media_types::kOciManifest},
      {"config",
       {{"mediaType", image::media_types::kOciConfig},
        {"digest", image::sha256_of(config_bytes).str()},
        {"size", config_bytes.size()}}},
      {"layers",
       {{{"mediaType", layer.media_type}, {"digest", layer.digest.str()}, {"size", layer.size}}}}};
  image::ManifestBlob blob;
  blob.bytes = manifest.dump();
  blob.media_type = std::string(image::media_types::kOciManifest);
  auto record = KRILL_TRY(store.add_image(
      blob, config_bytes, name.empty() ? std::vector<std::string>{} : std::vector{name}));
  ctx.out << record.id.hex() << "\n";
  return 0;
}

}  // namespace krill::cli
