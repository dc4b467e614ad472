#include "transport/oci_archive_transport.h"

#include <stdio.h>
#include <unistd.h>

#include "transport/layout_files.h"
#include "transport/oci_layout_transport.h"
#include "transport/tar_stream.h"

namespace krill::transport {
namespace {

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

class OciArchiveDestination : public ImageDestination {
 public:
  OciArchiveDestination(std::string file, OwnedTempDir dir,
                        std::unique_ptr<OciLayoutDestination> layout)
      : file_(std::move(file)), dir_(std::move(dir)), layout_(std::move(layout)) {}
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
    std::string temp = dir_.path() + ".tar";  // a sibling of the unique temp dir
    auto written = tar_directory(dir_.path() + "/layout", temp);
    if (written) {
      if (::rename(temp.c_str(), file_.c_str()) == 0) return {};
      written = fail_errno("rename " + temp + " to " + file_);
    }
    ::unlink(temp.c_str());
    return std::unexpected(std::move(written.error()).context("write oci archive " + file_));
  }

 private:
  std::string file_;
  OwnedTempDir dir_;  // destroyed after layout_
  std::unique_ptr<OciLayoutDestination> layout_;
};

}  // namespace

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
    size_t at = msg.find(dir.path());
    if (at != std::string::npos) msg.replace(at, dir.path().size(), file);
    return fail(msg);
  }
  return std::unique_ptr<ImageSource>(new OciArchiveSource(std::move(dir), std::move(*layout)));
}

Result<std::unique_ptr<ImageDestination>> open_oci_archive_destination(std::string_view rest,
                                                                       const TransportOptions&) {
  auto [file, ref] = split_path_and_ref(rest);
  if (file.empty())
    return fail("oci-archive: reference \"" + std::string(rest) + "\" names no file");
  auto dir = OwnedTempDir::create(parent_directory(file), ".krill-oci-archive-");
  if (!dir) return std::unexpected(std::move(dir.error()).context("oci archive " + file));
  auto layout = KRILL_TRY(
      OciLayoutDestination::open(dir->path() + "/layout", ref, "oci-archive:" + std::string(rest)));
  return std::unique_ptr<ImageDestination>(
      new OciArchiveDestination(file, std::move(*dir), std::move(layout)));
}

}  // namespace krill::transport
