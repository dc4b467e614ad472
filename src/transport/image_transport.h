// Where images come from and go to: the interface every transport implements
// (docker://, oci:, oci-archive:, docker-archive:, dir:, and the local store),
// so that one copy engine serves pull, push, save, load and `image copy`,
// the way containers/image serves podman, skopeo and buildah.
//
// Blobs move through file descriptors: a source writes a blob to a pipe, a
// destination reads it from the other end (in another thread), so a layer is
// never held in memory and download, upload and extraction overlap.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/digest.h"
#include "image/manifest.h"

namespace krill::transport {

// A manifest exactly as stored: its digest is the digest of `bytes`.
struct RawManifest {
  std::string bytes;
  std::string media_type;
  image::Digest digest;
};

// Options that transports share (skopeo's --src-*/--dest-* flags map here).
struct TransportOptions {
  bool tls_verify = true;
  std::string cert_dir;
  std::string creds;            // "user:password", empty: auth.json lookup
  std::string auth_file;        // empty: podman's default auth.json locations
  std::string store_root;       // the local store; empty: default_store_root()
  std::string registries_conf;  // empty: the default registries.conf files
  bool rootless = false;
  // The store's decompression-bomb limit (image::StoreOptions::max_layer_bytes); nullopt: its
  // default.
  std::optional<uint64_t> max_layer_bytes;
  // Where the store's extraction warnings go (image::StoreOptions::warn).
  std::function<void(const std::string&)> warn;
  // A registry transfer without a byte for this long is a timeout (retried, resuming a blob);
  // nullopt: ClientOptions' default.
  std::optional<long> stall_timeout_seconds;
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // For messages: "docker://localhost:5000/app:1".
  virtual std::string name() const = 0;
  // The manifest or index named by the reference; with `instance`, the
  // manifest of that digest (a child of an index).
  virtual Result<RawManifest> manifest(const std::optional<image::Digest>& instance = {}) = 0;
  // Writes the blob's bytes to `out_fd` (blocking writes; EPIPE means the
  // reader gave up). Returns the number of bytes written.
  virtual Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) = 0;
  // Registry repositories ("host:port/path") that likely hold this image's blobs: the source's
  // own for a registry, the repositories the image was pulled from or pushed to for the store.
  // A registry destination on the same host mounts blobs from them instead of uploading.
  virtual std::vector<std::string> blob_locations() const { return {}; }
};

class ImageDestination {
 public:
  virtual ~ImageDestination() = default;
  virtual std::string name() const = 0;
  // Manifest media types this destination accepts, the preferred first; the
  // copy engine converts (e.g. OCI -> Docker schema2) when the source's is not
  // among them.
  virtual std::vector<std::string> supported_manifest_types() const = 0;
  // Called with each image manifest (as it will be written) before its blobs. A destination
  // that returns true has the config written before the layers, so that it can check each
  // layer's diffID against the config while the layer streams in (the local store does).
  virtual Result<bool> begin_manifest(const image::ImageManifest& manifest) {
    (void)manifest;
    return false;
  }
  // True when the blob is already there (the copy skips it).
  virtual Result<bool> has_blob(const image::Descriptor& blob) = 0;
  // Makes the blob appear without its bytes, from one of the source's blob_locations (a
  // registry's cross-repository mount). False when none of them can: the caller uploads it.
  virtual Result<bool> reuse_blob(const image::Descriptor& blob,
                                  const std::vector<std::string>& locations) {
    (void)blob;
    (void)locations;
    return false;
  }
  // Consumes the blob from `in_fd` until end of file and verifies its digest
  // and size before it becomes visible. Called from several threads at once
  // for different blobs.
  virtual Result<void> write_blob(const image::Descriptor& blob, int in_fd) = 0;
  // Writes a manifest. `instance`: a child manifest of an index being copied
  // with --all (stored by digest); otherwise the top-level one (tagged).
  virtual Result<void> put_manifest(const RawManifest& manifest, bool is_instance) = 0;
  // Makes the image visible under its name; nothing is named before.
  virtual Result<void> commit() = 0;
};

// "docker://host/repo:tag", "oci:/dir:ref", "oci-archive:/f.tar:ref",
// "docker-archive:/f.tar:ref", "dir:/path", and the local store as
// "containers-storage:name" (skopeo's name) or a bare image name.
Result<std::unique_ptr<ImageSource>> open_image_source(std::string_view transport_reference,
                                                       const TransportOptions& options);
Result<std::unique_ptr<ImageDestination>> open_image_destination(
    std::string_view transport_reference, const TransportOptions& options);

}  // namespace krill::transport
