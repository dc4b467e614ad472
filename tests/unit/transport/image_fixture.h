// Test support for the file-based transports: a small generated image (config +
// two gzip'd layers built with libarchive), an in-memory ImageSource serving it, a
// minimal copy (blobs through pipes, as the copy engine moves them), temp dirs
// and a shell-command runner for the interop tests.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/file_io.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "spec_dir.h"
#include "transport/image_transport.h"

namespace krill::transport::test {

namespace mt = image::media_types;

class TestDir {
 public:
  TestDir() {
    char templ[] = "/tmp/krill-transport-test-XXXXXX";
    path_ = ::mkdtemp(templ);
  }
  ~TestDir() { (void)krill::remove_all(path_); }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A tar (gzip'd when `gzip`) of the given files, with a directory "etc/".
inline std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files,
                            bool gzip) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  archive_entry* dir = archive_entry_new();
  archive_entry_set_pathname(dir, "etc/");
  archive_entry_set_filetype(dir, AE_IFDIR);
  archive_entry_set_perm(dir, 0755);
  archive_entry_set_mtime(dir, 1700000000, 0);
  archive_write_header(a, dir);
  archive_entry_free(dir);
  for (const auto& [name, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

inline image::Digest must_digest(const std::string& text) { return *image::Digest::parse(text); }

struct TestImage {
  std::string config;
  std::vector<std::string> layers;      // gzip'd
  std::vector<std::string> layer_tars;  // uncompressed
  image::ImageManifest manifest;        // OCI or Docker
  std::string manifest_bytes;
  std::string media_type;

  image::Descriptor config_descriptor() const { return manifest.config; }
  RawManifest raw() const { return {manifest_bytes, media_type, image::sha256_of(manifest_bytes)}; }
};

// `docker`: Docker schema2 media types, else OCI. `bad_diff_ids`: a config whose
// rootfs.diff_ids do not match the layers.
inline TestImage make_test_image(bool docker, std::string tag = "one", bool bad_diff_ids = false) {
  TestImage img;
  img.layer_tars = {make_tar({{"etc/hello", "hello " + tag + "\n"}}, false),
                    make_tar({{"etc/world", "world\n"}, {"bin-marker", tag}}, false)};
  img.layers = {make_tar({{"etc/hello", "hello " + tag + "\n"}}, true),
                make_tar({{"etc/world", "world\n"}, {"bin-marker", tag}}, true)};
  nlohmann::json config = {
      {"created", "2024-01-01T00:00:00Z"},
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config",
       {{"Env", {"PATH=/usr/bin:/bin"}}, {"Cmd", {"/bin/sh"}}, {"Labels", {{"tag", tag}}}}},
      {"rootfs",
       {{"type", "layers"},
        {"diff_ids",
         {image::sha256_of(img.layer_tars[0]).str(),
          bad_diff_ids ? image::sha256_of("nope").str()
                       : image::sha256_of(img.layer_tars[1]).str()}}}},
      {"history", {{{"created_by", "test layer 1"}}, {{"created_by", "test layer 2"}}}}};
  img.config = config.dump();
  image::ImageManifest& m = img.manifest;
  m.schema_version = 2;
  m.media_type = std::string(docker ? mt::kDockerManifest : mt::kOciManifest);
  m.config.media_type = std::string(docker ? mt::kDockerConfig : mt::kOciConfig);
  m.config.digest = image::sha256_of(img.config);
  m.config.size = static_cast<int64_t>(img.config.size());
  for (const auto& l : img.layers) {
    image::Descriptor d;
    d.media_type = std::string(docker ? mt::kDockerLayerGzip : mt::kOciLayerGzip);
    d.digest = image::sha256_of(l);
    d.size = static_cast<int64_t>(l.size());
    m.layers.push_back(d);
  }
  img.manifest_bytes = image::to_json(m);
  img.media_type = m.media_type;
  return img;
}

class MemorySource : public ImageSource {
 public:
  explicit MemorySource(const TestImage& img) : manifest_(img.raw()) {
    blobs_[img.manifest.config.digest] = img.config;
    for (const auto& l : img.layers) blobs_[image::sha256_of(l)] = l;
  }
  std::string name() const override { return "memory:test"; }
  Result<RawManifest> manifest(const std::optional<image::Digest>&) override { return manifest_; }
  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    auto it = blobs_.find(blob.digest);
    if (it == blobs_.end()) return fail("no blob " + blob.digest.str());
    std::string data = it->second;
    if (corrupt_ == blob.digest) data[data.size() / 2] ^= 1;
    size_t off = 0;
    while (off < data.size()) {
      ssize_t w = ::write(out_fd, data.data() + off, data.size() - off);
      if (w < 0) return fail_errno("write blob");
      off += static_cast<size_t>(w);
    }
    return data.size();
  }
  // Serve a flipped byte for this blob.
  void corrupt(const image::Digest& d) { corrupt_ = d; }

 private:
  RawManifest manifest_;
  std::map<image::Digest, std::string> blobs_;
  image::Digest corrupt_;
};

// Reads a whole blob from a source.
inline Result<std::string> read_blob_bytes(ImageSource& src, const image::Descriptor& d) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  Result<uint64_t> written = 0;
  std::thread writer([&] {
    written = src.read_blob(d, p[1]);
    ::close(p[1]);
  });
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  writer.join();
  if (!written) return std::unexpected(written.error());
  return out;
}

// The copy engine's essentials: manifest as is, blobs through pipes, commit.
inline Result<void> copy_image(ImageSource& src, ImageDestination& dst) {
  ::signal(SIGPIPE, SIG_IGN);
  auto raw = KRILL_TRY(src.manifest());
  auto m = KRILL_TRY(image::parse_manifest(raw.bytes, raw.media_type));
  std::vector<image::Descriptor> blobs = {m.config};
  blobs.insert(blobs.end(), m.layers.begin(), m.layers.end());
  for (const auto& d : blobs) {
    if (KRILL_TRY(dst.has_blob(d))) continue;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
    Result<uint64_t> sent = 0;
    std::thread writer([&] {
      sent = src.read_blob(d, p[1]);
      ::close(p[1]);
    });
    auto received = dst.write_blob(d, p[0]);
    ::close(p[0]);
    writer.join();
    if (!sent) return std::unexpected(sent.error());
    KRILL_CHECK(received);
  }
  KRILL_CHECK(dst.put_manifest(raw, false));
  return dst.commit();
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* f = ::popen((command + " 2>&1").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  int st = ::pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}
inline bool have_tool(const std::string& name) {
  return run("command -v " + name + " >/dev/null").status == 0;
}

// The image-spec's JSON schemas (by default <repo>/../shared/specs; tests/spec_dir.h).
inline std::string image_spec_schema_dir() {
  return (krill::spec_files::oci_spec_dir() / "image-spec" / "schema").string();
}

// The "required" members of an image-spec JSON schema.
inline std::vector<std::string> schema_required(const std::string& schema_file) {
  auto text = krill::read_file(image_spec_schema_dir() + "/" + schema_file);
  if (!text) return {};
  auto j = nlohmann::json::parse(*text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_object() && j.contains("required"))
    for (const auto& r : j["required"]) out.push_back(r.get<std::string>());
  return out;
}

}  // namespace krill::transport::test
