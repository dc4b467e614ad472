#include "transport/oci_archive_transport.h"

#include <unistd.h>

#include "transport/oci_layout_transport.h"
#include "transport/tar_stream.h"

namespace krill::transport {
namespace {

std::string display_name(const std::string& file, const std::string& ref) {
  return "oci-archive:" + file + (ref.empty() ? "" : ":" + ref);
}

class OciArchiveSource : public ImageSource {
 public:
  OciArchiveSource(OwnedTempDir dir, std::unique_ptr<OciLayoutSource> layout)
      : dir_(std::move(dir)), layout_(std::move(layout)) {}
  std::string name() const override { return layout_->name(); }
  Result<RawManifest> manifest(const std::optional<image::Digest>& instance) override {
    return layout_->manifest(instance);
  }
  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    return layout_->read_blob(blob, out_fd);
  }

 private:
  OwnedTempDir dir_;  // destroyed after layout_
  std::unique_ptr<OciLayoutSource> layout_;
};

// A single image: a writer of one, finished at commit.
class OciArchiveDestination : public ImageDestination {
 public:
  OciArchiveDestination(std::unique_ptr<OciArchiveWriter> writer,
                        std::unique_ptr<ImageDestination> layout)
      : writer_(std::move(writer)), layout_(std::move(layout)) {}
  std::string name() const override { return layout_->name(); }
  std::vector<std::string> supported_manifest_types() const override {
    return layout_->supported_manifest_types();
  }
  Result<bool> has_blob(const image::Descriptor& blob) override { return layout_->has_blob(blob); }
  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override {
    return layout_->write_blob(blob, in_fd);
  }
  Result<void> put_manifest(const RawManifest& manifest, bool is_instance) override {
    return layout_->put_manifest(manifest, is_instance);
  }
  Result<void> commit() override {
    KRILL_CHECK(layout_->commit());
    return writer_->finish();
  }

 private:
  std::unique_ptr<OciArchiveWriter> writer_;  // destroyed after layout_
  std::unique_ptr<ImageDestination> layout_;
};

}  // namespace

Result<std::unique_ptr<OciArchiveWriter>> OciArchiveWriter::create(const std::string& path) {
  if (path.empty()) return fail("oci-archive: no file named");
  auto dir = OwnedTempDir::create(parent_directory(path), ".krill-oci-archive-");
  if (!dir) return std::unexpected(std::move(dir.error()).context("oci archive " + path));
  return std::unique_ptr<OciArchiveWriter>(new OciArchiveWriter(path, std::move(*dir)));
}

Result<std::unique_ptr<ImageDestination>> OciArchiveWriter::add_image(const std::string& ref_name) {
  if (finished_) return fail("oci archive " + path_ + ": already written");
  auto destination =
      KRILL_TRY(OciLayoutDestination::open(layout(), ref_name, display_name(path_, ref_name)));
  return std::unique_ptr<ImageDestination>(std::move(destination));
}

Result<void> OciArchiveWriter::finish() {
  if (finished_) return fail("oci archive " + path_ + ": already written");
  finished_ = true;
  // A sibling of the unique temp dir, so on the file system of path_.
  return publish_tar(layout(), dir_.path() + ".tar", path_, "oci archive");
}

Result<std::unique_ptr<ImageSource>> open_oci_archive_source(std::string_view rest,
                                                             const TransportOptions&) {
  auto [file, ref] = split_path_and_ref(rest);
  if (file.empty())
    return fail("oci-archive: reference \"" + std::string(rest) + "\" names no file");
  std::string ctx = "oci archive " + file;
  if (::access(file.c_str(), R_OK) != 0) return fail_errno(ctx);
  auto dir = KRILL_TRY(OwnedTempDir::create({}, "krill-oci-archive-"));
  KRILL_CHECK_CTX(untar_to_directory(file, dir.path()), ctx);
  auto layout = OciLayoutSource::open(dir.path(), ref, "oci-archive:" + std::string(rest));
  if (!layout) {
    // Name the archive, not the temp dir, in the message.
    std::string msg = layout.error().message();
    for (size_t at = msg.find(dir.path()); at != std::string::npos;
         at = msg.find(dir.path(), at + file.size()))
      msg.replace(at, dir.path().size(), file);
    return fail(msg);
  }
  return std::unique_ptr<ImageSource>(new OciArchiveSource(std::move(dir), std::move(*layout)));
}

Result<std::unique_ptr<ImageDestination>> open_oci_archive_destination(std::string_view rest,
                                                                       const TransportOptions&) {
  auto [file, ref] = split_path_and_ref(rest);
  if (file.empty())
    return fail("oci-archive: reference \"" + std::string(rest) + "\" names no file");
  auto writer = KRILL_TRY(OciArchiveWriter::create(file));
  auto layout = KRILL_TRY(writer->add_image(ref));
  return std::unique_ptr<ImageDestination>(
      new OciArchiveDestination(std::move(writer), std::move(layout)));
}

}  // namespace krill::transport
