#include "transport/oci_layout_transport.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "image/media_types.h"
#include "transport/layout_files.h"

namespace krill::transport {
namespace {

namespace mt = image::media_types;
using nlohmann::json;

constexpr std::string_view kLayoutVersion = "1.0.0";

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<void> check_layout_file(const std::string& dir) {
  auto text = read_file(dir + "/oci-layout");
  if (!text) return std::unexpected(std::move(text.error()));
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("imageLayoutVersion") ||
      !j["imageLayoutVersion"].is_string())
    return fail("oci-layout: not a JSON object with imageLayoutVersion");
  std::string version = j["imageLayoutVersion"].get<std::string>();
  if (version.rfind("1.", 0) != 0)
    return fail("oci-layout: unsupported imageLayoutVersion \"" + version + "\"");
  return {};
}

std::string ref_of(const image::Descriptor& d) {
  auto it = d.annotations.find(std::string(kOciRefNameAnnotation));
  return it == d.annotations.end() ? std::string() : it->second;
}

// "@N" (digits only): an index.json position. A ref name cannot start with '@'.
std::optional<size_t> entry_index(const std::string& ref) {
  if (ref.size() < 2 || ref[0] != '@' || ref.size() > 10) return std::nullopt;
  size_t n = 0;
  for (char c : std::string_view(ref).substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

}  // namespace

// ---- source ----

Result<std::unique_ptr<OciLayoutSource>> OciLayoutSource::open(const std::string& dir,
                                                               const std::string& ref,
                                                               std::string display_name) {
  std::string ctx = "oci layout " + dir;
  KRILL_CHECK_CTX(check_layout_file(dir), ctx);
  auto text = read_file(dir + "/index.json");
  if (!text) return std::unexpected(std::move(text.error()).context(ctx));
  auto index = image::parse_index(*text);
  if (!index) return std::unexpected(std::move(index.error()).context(ctx + ": index.json"));
  if (index->manifests.empty()) return fail(ctx + ": index.json lists no images");
  const image::Descriptor* found = nullptr;
  if (auto position = entry_index(ref)) {
    if (*position >= index->manifests.size())
      return fail(ctx + ": no image " + ref + " in index.json (it lists " +
                  std::to_string(index->manifests.size()) + ")");
    found = &index->manifests[*position];
  } else if (ref.empty()) {
    if (index->manifests.size() != 1)
      return fail(ctx + ": index.json has " + std::to_string(index->manifests.size()) +
                  " images; name one (" + dir + ":NAME)");
    found = &index->manifests.front();
  } else {
    std::string names;
    for (const auto& d : index->manifests) {
      std::string n = ref_of(d);
      if (n == ref) {
        found = &d;
        break;
      }
      if (!n.empty()) names += (names.empty() ? "" : ", ") + n;
    }
    if (!found)
      return fail(ctx + ": no image named \"" + ref + "\" in index.json" +
                  (names.empty() ? std::string(" (no names)") : " (names: " + names + ")"));
  }
  if (!mt::is_manifest(found->media_type) && !mt::is_index(found->media_type))
    return fail(ctx + ": entry " + found->digest.str() + " has media type \"" + found->media_type +
                "\", not a manifest or index");
  return std::unique_ptr<OciLayoutSource>(
      new OciLayoutSource(dir, *found, std::move(display_name)));
}

std::string OciLayoutSource::blob_path(const image::Digest& d) const {
  return dir_ + "/blobs/" + d.algorithm() + "/" + d.hex();
}

Result<RawManifest> OciLayoutSource::manifest(const std::optional<image::Digest>& instance) {
  image::Descriptor want = top_;
  if (instance && *instance != top_.digest) {
    want = {};
    want.digest = *instance;
    want.size = -1;
  }
  auto bytes = read_verified(blob_path(want.digest), want.digest, 4 << 20);
  if (!bytes) return std::unexpected(std::move(bytes.error()).context("oci layout " + dir_));
  if (want.size >= 0 && bytes->size() != static_cast<size_t>(want.size))
    return fail("oci layout " + dir_ + ": manifest " + want.digest.str() +
                ": size mismatch: expected " + std::to_string(want.size) + " bytes, got " +
                std::to_string(bytes->size()));
  RawManifest out;
  out.media_type = want.media_type;
  if (out.media_type.empty()) {
    auto detected = image::detect_media_type(*bytes);
    if (!detected)
      return std::unexpected(std::move(detected.error()).context("manifest " + want.digest.str()));
    out.media_type = *detected;
  }
  out.bytes = std::move(*bytes);
  out.digest = want.digest;
  return out;
}

Result<uint64_t> OciLayoutSource::read_blob(const image::Descriptor& blob, int out_fd) {
  if (blob.digest.empty()) return fail("oci layout " + dir_ + ": read blob without a digest");
  return send_file(blob_path(blob.digest), out_fd, blob.digest, blob.size > 0 ? blob.size : -1);
}

// ---- destination ----

Result<std::unique_ptr<OciLayoutDestination>> OciLayoutDestination::open(const std::string& dir,
                                                                         const std::string& ref,
                                                                         std::string display_name) {
  std::string ctx = "oci layout " + dir;
  if (dir.empty()) return fail("oci layout: empty directory name");
  if (entry_index(ref))
    return fail(ctx + ": " + ref + " (an image's position) is only for reading");
  KRILL_CHECK_CTX(mkdir_all(dir, 0755), ctx);
  if (exists(dir + "/oci-layout")) {
    KRILL_CHECK_CTX(check_layout_file(dir), ctx);
  } else {
    KRILL_CHECK_CTX(write_atomic(dir + "/oci-layout", "{\"imageLayoutVersion\":\"" +
                                                          std::string(kLayoutVersion) + "\"}"),
                    ctx);
  }
  KRILL_CHECK_CTX(mkdir_all(dir + "/blobs", 0755), ctx);
  return std::unique_ptr<OciLayoutDestination>(
      new OciLayoutDestination(dir, ref, std::move(display_name)));
}

std::vector<std::string> OciLayoutDestination::supported_manifest_types() const {
  // As containers/image's oci: destination: OCI only (the copy engine converts
  // Docker manifests), so that umoci and other OCI tools can use the layout.
  return {std::string(mt::kOciManifest), std::string(mt::kOciIndex)};
}

std::string OciLayoutDestination::blob_path(const image::Digest& d) const {
  return dir_ + "/blobs/" + d.algorithm() + "/" + d.hex();
}

Result<bool> OciLayoutDestination::has_blob(const image::Descriptor& blob) {
  struct stat st {};
  if (::stat(blob_path(blob.digest).c_str(), &st) != 0) return false;
  return blob.size <= 0 || st.st_size == blob.size;
}

Result<void> OciLayoutDestination::write_blob(const image::Descriptor& blob, int in_fd) {
  std::string ctx = "oci layout " + dir_;
  KRILL_CHECK_CTX(mkdir_all(dir_ + "/blobs/" + blob.digest.algorithm(), 0755), ctx);
  KRILL_CHECK_CTX(receive_blob(in_fd, blob, blob_path(blob.digest), dir_ + "/blobs"), ctx);
  return {};
}

Result<void> OciLayoutDestination::store_small_blob(const std::string& data,
                                                    const image::Digest& digest) {
  std::string ctx = "oci layout " + dir_;
  auto hasher = KRILL_TRY(image::Hasher::create(digest.algorithm()));
  hasher.update(data);
  auto got = hasher.finish();
  if (got != digest)
    return fail(ctx + ": manifest " + digest.str() + ": digest mismatch: got " + got.str());
  KRILL_CHECK_CTX(mkdir_all(dir_ + "/blobs/" + digest.algorithm(), 0755), ctx);
  KRILL_CHECK_CTX(write_atomic(blob_path(digest), data), ctx);
  return {};
}

Result<void> OciLayoutDestination::put_manifest(const RawManifest& manifest, bool is_instance) {
  KRILL_CHECK(store_small_blob(manifest.bytes, manifest.digest));
  if (is_instance) return {};
  image::Descriptor d;
  d.media_type = manifest.media_type;
  d.digest = manifest.digest;
  d.size = static_cast<int64_t>(manifest.bytes.size());
  if (!ref_.empty()) d.annotations[std::string(kOciRefNameAnnotation)] = ref_;
  std::lock_guard lock(mutex_);
  top_ = std::move(d);
  return {};
}

Result<void> OciLayoutDestination::commit() {
  std::string ctx = "oci layout " + dir_ + ": update index.json";
  std::optional<image::Descriptor> top;
  {
    std::lock_guard lock(mutex_);
    top = top_;
  }
  if (!top) return fail(ctx + ": no manifest was written");
  UniqueFd dir_fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno(ctx + ": open " + dir_);
  while (::flock(dir_fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno(ctx + ": lock " + dir_);
  }
  json index = {{"schemaVersion", 2}, {"mediaType", mt::kOciIndex}, {"manifests", json::array()}};
  std::string path = dir_ + "/index.json";
  if (exists(path)) {
    auto text = read_file(path);
    if (!text) return std::unexpected(std::move(text.error()).context(ctx));
    index = json::parse(*text, nullptr, false);
    if (index.is_discarded() || !index.is_object())
      return fail(ctx + ": existing index.json is not a JSON object");
    if (!index.contains("manifests") || !index["manifests"].is_array())
      index["manifests"] = json::array();
  }
  json entries = json::array();
  for (auto& entry : index["manifests"]) {
    std::string name;
    if (entry.is_object() && entry.contains("annotations") && entry["annotations"].is_object()) {
      auto& a = entry["annotations"];
      if (a.contains(kOciRefNameAnnotation) && a[kOciRefNameAnnotation].is_string())
        name = a[kOciRefNameAnnotation].get<std::string>();
    }
    bool same_digest = entry.is_object() && entry.value("digest", "") == top->digest.str();
    if (!ref_.empty() && name == ref_) continue;                // replaced
    if (ref_.empty() && name.empty() && same_digest) continue;  // the same unnamed image
    entries.push_back(entry);
  }
  entries.push_back(json::parse(image::to_json(*top)));
  index["manifests"] = std::move(entries);
  std::string text = index.dump();
  auto check = image::parse_index(text);
  if (!check) return std::unexpected(std::move(check.error()).context(ctx));
  KRILL_CHECK_CTX(write_atomic(path, text), ctx);
  return {};
}

// ---- entry points ----

Result<std::unique_ptr<ImageSource>> open_oci_layout_source(std::string_view rest,
                                                            const TransportOptions&) {
  auto [dir, ref] = split_path_and_ref(rest);
  if (dir.empty()) return fail("oci: reference \"" + std::string(rest) + "\" names no directory");
  auto src = KRILL_TRY(OciLayoutSource::open(dir, ref, "oci:" + std::string(rest)));
  return std::unique_ptr<ImageSource>(std::move(src));
}

Result<std::unique_ptr<ImageDestination>> open_oci_layout_destination(std::string_view rest,
                                                                      const TransportOptions&) {
  auto [dir, ref] = split_path_and_ref(rest);
  if (dir.empty()) return fail("oci: reference \"" + std::string(rest) + "\" names no directory");
  auto dst = KRILL_TRY(OciLayoutDestination::open(dir, ref, "oci:" + std::string(rest)));
  return std::unique_ptr<ImageDestination>(std::move(dst));
}

}  // namespace krill::transport
