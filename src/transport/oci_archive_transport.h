// oci-archive:FILE[:REF] — an OCI image layout in an uncompressed tar file.
// The source extracts the archive into a temp dir (removed with the source) and
// reads it as oci:; the destination builds a layout in a temp dir next to FILE
// and, at commit, tars it and renames the tar over FILE (nothing appears at FILE
// before). As skopeo does, a destination replaces an existing FILE.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "transport/image_transport.h"
#include "transport/layout_files.h"

namespace krill::transport {

Result<std::unique_ptr<ImageSource>> open_oci_archive_source(std::string_view rest,
                                                             const TransportOptions& options);
Result<std::unique_ptr<ImageDestination>> open_oci_archive_destination(
    std::string_view rest, const TransportOptions& options);

// `krill save -m --format oci-archive`: several images in one archive, one index.json entry per
// image, named by its org.opencontainers.image.ref.name annotation (podman 4 refuses to write
// such archives; containers/image's proposed multi-image oci-archive has this shape). Each
// add_image() returns a destination for the copy engine whose commit() adds the image's entry to
// the pending layout; blobs shared between images are stored once. finish() tars the layout and
// renames it over `path`; a writer destroyed without finish() leaves nothing behind.
// Destinations must not outlive the writer.
class OciArchiveWriter {
 public:
  static Result<std::unique_ptr<OciArchiveWriter>> create(const std::string& path);
  // `ref_name` empty: an unnamed entry (an image saved by id). A name given twice keeps the
  // last image, as an oci: layout does.
  Result<std::unique_ptr<ImageDestination>> add_image(const std::string& ref_name);
  Result<void> finish();

 private:
  OciArchiveWriter(std::string path, OwnedTempDir dir)
      : path_(std::move(path)), dir_(std::move(dir)) {}
  std::string layout() const { return dir_.path() + "/layout"; }
  std::string path_;
  OwnedTempDir dir_;
  bool finished_ = false;
};

}  // namespace krill::transport
