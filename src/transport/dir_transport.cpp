#include "transport/dir_transport.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <optional>

#include "base/file_io.h"
#include "image/media_types.h"
#include "transport/layout_files.h"

namespace krill::transport {
namespace {

namespace mt = image::media_types;

std::string blob_file(const std::string& dir, const image::Digest& d) {
  if (d.algorithm() == "sha256") return dir + "/" + d.hex();
  return dir + "/" + d.algorithm() + "-" + d.hex();
}

std::string instance_file(const std::string& dir, const image::Digest& d) {
  if (d.algorithm() == "sha256") return dir + "/" + d.hex() + ".manifest.json";
  return dir + "/" + d.algorithm() + "-" + d.hex() + ".manifest.json";
}

class DirSource : public ImageSource {
 public:
  explicit DirSource(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "dir:" + dir_; }

  Result<RawManifest> manifest(const std::optional<image::Digest>& instance) override {
    std::string ctx = "dir " + dir_;
    RawManifest out;
    if (instance) {
      auto bytes = read_verified(instance_file(dir_, *instance), *instance, 4 << 20);
      if (!bytes) return std::unexpected(std::move(bytes.error()).context(ctx));
      out.bytes = std::move(*bytes);
      out.digest = *instance;
    } else {
      auto bytes = read_file(dir_ + "/manifest.json");
      if (!bytes) return std::unexpected(std::move(bytes.error()).context(ctx));
      out.bytes = std::move(*bytes);
      out.digest = image::sha256_of(out.bytes);
    }
    auto type = image::detect_media_type(out.bytes);
    if (!type) return std::unexpected(std::move(type.error()).context(ctx + ": manifest"));
    out.media_type = *type;
    return out;
  }

  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    return send_file(blob_file(dir_, blob.digest), out_fd, blob.digest,
                     blob.size > 0 ? blob.size : -1);
  }

 private:
  std::string dir_;
};

class DirDestination : public ImageDestination {
 public:
  explicit DirDestination(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "dir:" + dir_; }
  std::vector<std::string> supported_manifest_types() const override {
    return {std::string(mt::kOciManifest), std::string(mt::kDockerManifest),
            std::string(mt::kOciIndex), std::string(mt::kDockerManifestList)};
  }
  Result<bool> has_blob(const image::Descriptor& blob) override {
    struct stat st {};
    if (::stat(blob_file(dir_, blob.digest).c_str(), &st) != 0) return false;
    return blob.size <= 0 || st.st_size == blob.size;
  }
  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override {
    KRILL_CHECK_CTX(receive_blob(in_fd, blob, blob_file(dir_, blob.digest), dir_), "dir " + dir_);
    return {};
  }
  Result<void> put_manifest(const RawManifest& manifest, bool is_instance) override {
    auto hasher = KRILL_TRY(image::Hasher::create(manifest.digest.algorithm()));
    hasher.update(manifest.bytes);
    auto got = hasher.finish();
    if (got != manifest.digest)
      return fail("dir " + dir_ + ": manifest " + manifest.digest.str() +
                  ": digest mismatch: got " + got.str());
    if (is_instance) {
      KRILL_CHECK_CTX(write_atomic(instance_file(dir_, manifest.digest), manifest.bytes),
                      "dir " + dir_);
      return {};
    }
    std::lock_guard lock(mutex_);
    top_ = manifest.bytes;
    return {};
  }
  Result<void> commit() override {
    std::string ctx = "dir " + dir_;
    std::optional<std::string> top;
    {
      std::lock_guard lock(mutex_);
      top = top_;
    }
    if (!top) return fail(ctx + ": no manifest was written");
    KRILL_CHECK_CTX(write_atomic(dir_ + "/version", kDirTransportVersion), ctx);
    KRILL_CHECK_CTX(write_atomic(dir_ + "/manifest.json", *top), ctx);
    return {};
  }

 private:
  std::string dir_;
  std::mutex mutex_;
  std::optional<std::string> top_;
};

// Prepares PATH as skopeo does: create it, or empty an existing dir: image.
Result<void> prepare_destination(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return fail_errno("stat " + dir);
    return mkdir_all(dir, 0755);
  }
  if (!S_ISDIR(st.st_mode)) return fail(dir + " exists and is not a directory");
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("open directory " + dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  if (names.empty()) return {};
  if (::access((dir + "/version").c_str(), F_OK) != 0)
    return fail(dir +
                " is not empty and not a dir: image (no version file); refusing to overwrite");
  for (const auto& n : names) KRILL_CHECK(remove_all(dir + "/" + n));
  return {};
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_dir_source(std::string_view rest,
                                                     const TransportOptions&) {
  std::string dir(rest);
  if (dir.empty()) return fail("dir: no directory named");
  std::string ctx = "dir " + dir;
  auto version = read_file(dir + "/version");
  if (version && *version != kDirTransportVersion &&
      version->rfind("Directory Transport Version: 1.", 0) != 0)
    return fail(ctx + ": unsupported version file \"" + *version + "\"");
  if (::access((dir + "/manifest.json").c_str(), R_OK) != 0)
    return fail_errno(ctx + ": read manifest.json");
  return std::unique_ptr<ImageSource>(new DirSource(dir));
}

Result<std::unique_ptr<ImageDestination>> open_dir_destination(std::string_view rest,
                                                               const TransportOptions&) {
  std::string dir(rest);
  if (dir.empty()) return fail("dir: no directory named");
  KRILL_CHECK_CTX(prepare_destination(dir), "dir " + dir);
  return std::unique_ptr<ImageDestination>(new DirDestination(dir));
}

}  // namespace krill::transport
