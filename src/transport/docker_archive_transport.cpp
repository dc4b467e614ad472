#include "transport/docker_archive_transport.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file_io.h"
#include "image/media_types.h"
#include "image/reference.h"
#include "transport/layout_files.h"
#include "transport/tar_stream.h"

namespace krill::transport {

namespace mt = image::media_types;
using nlohmann::json;

namespace {

struct LayerFile {
  image::Digest diff_id;
  std::string member;  // "<diffid hex>.tar"
};

// Normalises "busybox:1" to "docker.io/library/busybox:1"; refuses digests.
Result<std::string> normalise_repo_tag(const std::string& text) {
  auto ref = image::parse_reference(text);
  if (!ref)
    return std::unexpected(std::move(ref.error()).context("docker-archive name \"" + text + "\""));
  if (ref->has_digest())
    return fail("docker-archive name \"" + text + "\": a name:tag is needed, not a digest");
  return ref->repository() + ":" + ref->tag;
}

Result<std::vector<DockerArchiveImage>> parse_archive_manifest(const std::string& text,
                                                               const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return fail(where + ": manifest.json is not a JSON array");
  std::vector<DockerArchiveImage> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    std::string field = where + ": manifest.json[" + std::to_string(i) + "]";
    if (!e.is_object()) return fail(field + " is not an object");
    DockerArchiveImage img;
    img.index = i;
    if (!e.contains("Config") || !e["Config"].is_string())
      return fail(field + ".Config: missing or not a string");
    img.config = e["Config"].get<std::string>();
    if (e.contains("RepoTags") && !e["RepoTags"].is_null()) {
      if (!e["RepoTags"].is_array()) return fail(field + ".RepoTags: not an array");
      for (const auto& t : e["RepoTags"]) {
        if (!t.is_string()) return fail(field + ".RepoTags: not an array of strings");
        img.repo_tags.push_back(t.get<std::string>());
      }
    }
    if (!e.contains("Layers") || !e["Layers"].is_array())
      return fail(field + ".Layers: missing or not an array");
    for (const auto& l : e["Layers"]) {
      if (!l.is_string()) return fail(field + ".Layers: not an array of strings");
      img.layers.push_back(l.get<std::string>());
    }
    out.push_back(std::move(img));
  }
  return out;
}

class DockerArchiveSource : public ImageSource {
 public:
  DockerArchiveSource(std::string name, OwnedTempDir dir)
      : name_(std::move(name)), dir_(std::move(dir)) {}

  Result<void> load(const DockerArchiveImage& img) {
    auto config_path = KRILL_TRY(resolve_member_path(dir_.path(), img.config));
    image::ImageManifest m;
    m.schema_version = 2;
    m.media_type = std::string(mt::kDockerManifest);
    m.config.media_type = std::string(mt::kDockerConfig);
    m.config.digest = KRILL_TRY(image::digest_file(config_path));
    m.config.size = KRILL_TRY(file_size(config_path));
    paths_[m.config.digest] = config_path;
    auto config_text = KRILL_TRY(read_verified(config_path, m.config.digest, 16 << 20));
    auto config = image::parse_image_config(config_text);
    if (!config) return std::unexpected(std::move(config.error()).context("config " + img.config));
    if (config->rootfs.diff_ids.size() != img.layers.size())
      return fail("config " + img.config + " lists " +
                  std::to_string(config->rootfs.diff_ids.size()) + " diff_ids but manifest.json " +
                  std::to_string(img.layers.size()) + " layers");
    for (const auto& layer : img.layers) {
      auto path = KRILL_TRY(resolve_member_path(dir_.path(), layer));
      image::Descriptor d;
      d.digest = KRILL_TRY(image::digest_file(path));
      d.size = KRILL_TRY(file_size(path));
      d.media_type = std::string(KRILL_TRY(layer_type(path)));
      paths_[d.digest] = path;
      m.layers.push_back(std::move(d));
    }
    KRILL_CHECK(image::validate(m));
    manifest_.bytes = image::to_json(m);
    manifest_.media_type = std::string(mt::kDockerManifest);
    manifest_.digest = image::sha256_of(manifest_.bytes);
    return {};
  }

  std::string name() const override { return name_; }
  Result<RawManifest> manifest(const std::optional<image::Digest>& instance) override {
    if (instance && *instance != manifest_.digest)
      return fail(name_ + ": no manifest " + instance->str() + " (an archive holds single images)");
    return manifest_;
  }
  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    auto it = paths_.find(blob.digest);
    if (it == paths_.end()) return fail(name_ + ": no blob " + blob.digest.str());
    return send_file(it->second, out_fd, blob.digest, blob.size > 0 ? blob.size : -1);
  }

 private:
  static Result<int64_t> file_size(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail_errno("stat " + path);
    return static_cast<int64_t>(st.st_size);
  }
  // Layers in docker-archive are plain tars, but podman also reads compressed ones.
  static Result<std::string_view> layer_type(const std::string& path) {
    FILE* f = ::fopen(path.c_str(), "rb");
    if (!f) return fail_errno("open " + path);
    unsigned char magic[4] = {};
    size_t n = ::fread(magic, 1, 4, f);
    ::fclose(f);
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return mt::kDockerLayerGzip;
    if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
      return mt::kDockerLayerZstd;
    return mt::kDockerLayer;
  }

  std::string name_;
  OwnedTempDir dir_;
  std::map<image::Digest, std::string> paths_;
  RawManifest manifest_;
};

}  // namespace

// ---- writer ----

struct DockerArchiveWriter::State {
  std::string path;
  OwnedTempDir dir;
  std::mutex mutex;
  std::map<image::Digest, LayerFile> layers;  // by compressed (blob) digest
  std::set<image::Digest> configs;
  json entries = json::array();
  bool finished = false;

  Result<void> finish() {
    std::lock_guard lock(mutex);
    if (finished) return fail("docker archive " + path + ": already written");
    finished = true;
    std::string ctx = "write docker archive " + path;
    KRILL_CHECK_CTX(write_atomic(dir.path() + "/manifest.json", entries.dump()), ctx);
    return publish_tar(dir.path(), dir.path() + ".tar", path, "docker archive");
  }
};

namespace {

class DockerArchiveDestination : public ImageDestination {
 public:
  DockerArchiveDestination(std::shared_ptr<DockerArchiveWriter::State> state,
                           std::vector<std::string> repo_tags, bool finish_on_commit,
                           std::string name)
      : state_(std::move(state)),
        repo_tags_(std::move(repo_tags)),
        finish_on_commit_(finish_on_commit),
        name_(std::move(name)) {}

  std::string name() const override { return name_; }
  std::vector<std::string> supported_manifest_types() const override {
    return {std::string(mt::kDockerManifest)};
  }
  Result<bool> has_blob(const image::Descriptor& blob) override {
    std::lock_guard lock(state_->mutex);
    return state_->layers.contains(blob.digest) || state_->configs.contains(blob.digest);
  }
  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override {
    std::string ctx = "docker archive " + state_->path;
    const std::string& dir = state_->dir.path();
    if (mt::is_image_config(blob.media_type)) {
      KRILL_CHECK_CTX(receive_blob(in_fd, blob, dir + "/" + blob.digest.hex() + ".json", dir), ctx);
      std::lock_guard lock(state_->mutex);
      state_->configs.insert(blob.digest);
      return {};
    }
    std::string partial = dir + "/" + blob.digest.hex() + ".partial";
    auto layer = receive_layer_decompressed(in_fd, blob, partial, dir);
    if (!layer) return std::unexpected(std::move(layer.error()).context(ctx));
    LayerFile file{layer->diff_id, layer->diff_id.hex() + ".tar"};
    if (::rename(partial.c_str(), (dir + "/" + file.member).c_str()) != 0) {
      auto err = fail_errno(ctx + ": rename " + partial);
      ::unlink(partial.c_str());
      return err;
    }
    std::lock_guard lock(state_->mutex);
    state_->layers[blob.digest] = std::move(file);
    return {};
  }
  Result<void> put_manifest(const RawManifest& manifest, bool is_instance) override {
    if (is_instance)
      return fail(name_ + ": docker-archive holds single images, not manifest lists");
    if (manifest.media_type != mt::kDockerManifest)
      return fail(name_ + ": manifest type \"" + manifest.media_type +
                  "\" is not supported (docker-archive needs " + std::string(mt::kDockerManifest) +
                  ")");
    manifest_ = manifest;
    return {};
  }
  Result<void> commit() override {
    std::string ctx = "docker archive " + state_->path;
    if (!manifest_) return fail(ctx + ": no manifest was written");
    auto m = image::parse_manifest(manifest_->bytes, manifest_->media_type);
    if (!m) return std::unexpected(std::move(m.error()).context(ctx + ": manifest"));
    json entry = json::object();
    std::vector<image::Digest> diff_ids;
    json layers = json::array();
    {
      std::lock_guard lock(state_->mutex);
      if (!state_->configs.contains(m->config.digest))
        return fail(ctx + ": config " + m->config.digest.str() + " was not written");
      for (const auto& l : m->layers) {
        auto it = state_->layers.find(l.digest);
        if (it == state_->layers.end())
          return fail(ctx + ": layer " + l.digest.str() + " was not written");
        diff_ids.push_back(it->second.diff_id);
        layers.push_back(it->second.member);
      }
    }
    std::string config_member = m->config.digest.hex() + ".json";
    auto config_text =
        read_verified(state_->dir.path() + "/" + config_member, m->config.digest, 16 << 20);
    if (!config_text) return std::unexpected(std::move(config_text.error()).context(ctx));
    auto config = image::parse_image_config(*config_text);
    if (!config) return std::unexpected(std::move(config.error()).context(ctx + ": config"));
    if (config->rootfs.diff_ids != diff_ids) {
      std::string got;
      for (const auto& d : diff_ids) got += (got.empty() ? "" : ", ") + d.str();
      return fail(ctx + ": config rootfs.diff_ids do not match the layers' contents (" +
                  std::to_string(config->rootfs.diff_ids.size()) + " listed; computed " + got +
                  ")");
    }
    entry["Config"] = config_member;
    entry["RepoTags"] = repo_tags_;
    entry["Layers"] = std::move(layers);
    {
      std::lock_guard lock(state_->mutex);
      if (state_->finished) return fail(ctx + ": already written");
      state_->entries.push_back(std::move(entry));
    }
    if (finish_on_commit_) return state_->finish();
    return {};
  }

 private:
  std::shared_ptr<DockerArchiveWriter::State> state_;
  std::vector<std::string> repo_tags_;
  bool finish_on_commit_;
  std::string name_;
  std::optional<RawManifest> manifest_;
};

Result<std::shared_ptr<DockerArchiveWriter::State>> new_state(const std::string& path) {
  if (path.empty()) return fail("docker-archive: no file named");
  auto dir = OwnedTempDir::create(parent_directory(path), ".krill-docker-archive-");
  if (!dir) return std::unexpected(std::move(dir.error()).context("docker archive " + path));
  auto state = std::make_shared<DockerArchiveWriter::State>();
  state->path = path;
  state->dir = std::move(*dir);
  return state;
}

}  // namespace

Result<std::unique_ptr<DockerArchiveWriter>> DockerArchiveWriter::create(const std::string& path) {
  auto state = KRILL_TRY(new_state(path));
  return std::unique_ptr<DockerArchiveWriter>(new DockerArchiveWriter(std::move(state)));
}

DockerArchiveWriter::~DockerArchiveWriter() = default;

Result<std::unique_ptr<ImageDestination>> DockerArchiveWriter::add_image(
    const std::vector<std::string>& repo_tags) {
  std::vector<std::string> tags;
  for (const auto& t : repo_tags) tags.push_back(KRILL_TRY(normalise_repo_tag(t)));
  std::string name = "docker-archive:" + state_->path + (tags.empty() ? "" : ":" + tags.front());
  return std::unique_ptr<ImageDestination>(
      new DockerArchiveDestination(state_, std::move(tags), false, std::move(name)));
}

Result<void> DockerArchiveWriter::finish() { return state_->finish(); }

// ---- entry points ----

Result<std::vector<DockerArchiveImage>> list_docker_archive(const std::string& path) {
  auto text = read_tar_member(path, "manifest.json");
  if (!text) return std::unexpected(std::move(text.error()).context("docker archive " + path));
  return parse_archive_manifest(*text, "docker archive " + path);
}

Result<std::unique_ptr<ImageSource>> open_docker_archive_source(std::string_view rest,
                                                                const TransportOptions&) {
  auto [file, ref] = split_path_and_ref(rest);
  std::string ctx = "docker archive " + file;
  if (file.empty())
    return fail("docker-archive: reference \"" + std::string(rest) + "\" names no file");
  if (::access(file.c_str(), R_OK) != 0) return fail_errno(ctx);
  auto dir = KRILL_TRY(OwnedTempDir::create({}, "krill-docker-archive-"));
  KRILL_CHECK_CTX(untar_to_directory(file, dir.path()), ctx);
  auto text = read_file(dir.path() + "/manifest.json");
  if (!text) return fail(ctx + ": no manifest.json (not a docker-archive)");
  auto images = KRILL_TRY(parse_archive_manifest(*text, ctx));
  if (images.empty()) return fail(ctx + ": manifest.json lists no images");
  const DockerArchiveImage* chosen = nullptr;
  if (ref.empty()) {
    if (images.size() != 1)
      return fail(ctx + ": holds " + std::to_string(images.size()) + " images; name one (" + file +
                  ":NAME:TAG or " + file + ":@N)");
    chosen = &images.front();
  } else if (ref[0] == '@') {
    char* end = nullptr;
    unsigned long n = std::strtoul(ref.c_str() + 1, &end, 10);
    if (ref.size() < 2 || *end != '\0') return fail(ctx + ": invalid image index \"" + ref + "\"");
    if (n >= images.size())
      return fail(ctx + ": no image @" + std::to_string(n) + " (it holds " +
                  std::to_string(images.size()) + ")");
    chosen = &images[n];
  } else {
    std::string want = KRILL_TRY(normalise_repo_tag(ref));
    for (const auto& img : images) {
      for (const auto& t : img.repo_tags) {
        auto norm = normalise_repo_tag(t);
        if (norm && *norm == want) chosen = &img;
      }
      if (chosen) break;
    }
    if (!chosen) return fail(ctx + ": no image tagged \"" + ref + "\"");
  }
  auto src =
      std::make_unique<DockerArchiveSource>("docker-archive:" + std::string(rest), std::move(dir));
  KRILL_CHECK_CTX(src->load(*chosen), ctx);
  return std::unique_ptr<ImageSource>(std::move(src));
}

Result<std::unique_ptr<ImageDestination>> open_docker_archive_destination(std::string_view rest,
                                                                          const TransportOptions&) {
  auto [file, ref] = split_path_and_ref(rest);
  if (!ref.empty() && ref[0] == '@')
    return fail("docker-archive:" + std::string(rest) + ": an image index is only for reading");
  std::vector<std::string> tags;
  if (!ref.empty()) tags.push_back(KRILL_TRY(normalise_repo_tag(ref)));
  auto state = KRILL_TRY(new_state(file));
  std::string name = "docker-archive:" + std::string(rest);
  return std::unique_ptr<ImageDestination>(
      new DockerArchiveDestination(std::move(state), std::move(tags), true, std::move(name)));
}

}  // namespace krill::transport
