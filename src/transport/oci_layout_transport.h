// oci:DIR[:REF] — an OCI image layout directory (image-spec image-layout.md):
// oci-layout, index.json, blobs/<alg>/<hex>. REF is the
// org.opencontainers.image.ref.name annotation of an index.json entry, or for a
// source @N, the N-th entry (0-based, as containers/image's oci:DIR:@N); a source
// without REF takes the single entry of index.json (an error when there are
// several), a destination without REF adds an entry without a name.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "transport/image_transport.h"

namespace krill::transport {

inline constexpr std::string_view kOciRefNameAnnotation = "org.opencontainers.image.ref.name";

Result<std::unique_ptr<ImageSource>> open_oci_layout_source(std::string_view rest,
                                                            const TransportOptions& options);
Result<std::unique_ptr<ImageDestination>> open_oci_layout_destination(
    std::string_view rest, const TransportOptions& options);

// Reads an image from a layout directory. Every blob is checked against its
// digest (and size) while it is read.
class OciLayoutSource : public ImageSource {
 public:
  // Validates oci-layout and index.json and resolves `ref` at once. Errors:
  //   "oci layout /d: read index.json: No such file or directory"
  //   "oci layout /d: no image named \"v1\" in index.json (names: v2, v3)"
  //   "oci layout /d: index.json has 2 images; name one (oci:/d:NAME)"
  //   "oci layout /d: no image @3 in index.json (it lists 2)"
  static Result<std::unique_ptr<OciLayoutSource>> open(const std::string& dir,
                                                       const std::string& ref,
                                                       std::string display_name);
  std::string name() const override { return display_name_; }
  Result<RawManifest> manifest(const std::optional<image::Digest>& instance = {}) override;
  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override;
  // The index.json entry the reference resolved to.
  const image::Descriptor& top() const { return top_; }

 private:
  OciLayoutSource(std::string dir, image::Descriptor top, std::string display_name)
      : dir_(std::move(dir)), top_(std::move(top)), display_name_(std::move(display_name)) {}
  std::string blob_path(const image::Digest& d) const;
  std::string dir_;
  image::Descriptor top_;
  std::string display_name_;
};

// Writes an image into a layout directory (created when missing). Blobs appear
// under blobs/ only once verified; index.json changes only at commit(), by an
// atomic rename, under flock() of the layout directory, replacing an entry with
// the same ref name.
class OciLayoutDestination : public ImageDestination {
 public:
  static Result<std::unique_ptr<OciLayoutDestination>> open(const std::string& dir,
                                                            const std::string& ref,
                                                            std::string display_name);
  std::string name() const override { return display_name_; }
  std::vector<std::string> supported_manifest_types() const override;
  Result<bool> has_blob(const image::Descriptor& blob) override;
  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override;
  Result<void> put_manifest(const RawManifest& manifest, bool is_instance) override;
  Result<void> commit() override;

 private:
  OciLayoutDestination(std::string dir, std::string ref, std::string display_name)
      : dir_(std::move(dir)), ref_(std::move(ref)), display_name_(std::move(display_name)) {}
  std::string blob_path(const image::Digest& d) const;
  Result<void> store_small_blob(const std::string& data, const image::Digest& digest);

  std::string dir_;
  std::string ref_;
  std::string display_name_;
  std::mutex mutex_;
  std::optional<image::Descriptor> top_;  // the tagged manifest, set by put_manifest
};

}  // namespace krill::transport
