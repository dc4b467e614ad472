// docker-archive:FILE[:NAME:TAG | :@N] — `docker save`'s tar format as podman
// (containers/image) reads and writes it: manifest.json
//   [{"Config":"<hex>.json","RepoTags":["docker.io/library/a:1"],"Layers":["<diffid-hex>.tar",..]}]
// with the config as <hex>.json and each layer as an uncompressed tar named by its
// diffID. (Docker's legacy <id>/layer.tar directories and `repositories` file are
// not written; podman 4.x and Docker >= 1.10 read manifest.json only. The reader
// follows whatever paths manifest.json names, so legacy, podman and Docker 25's
// blobs/sha256/<hex> archives all read.)
//
// Destination: accepts Docker schema2 manifests only; gzip/zstd layers are
// decompressed while written, and at commit the config's rootfs.diff_ids must equal
// the diffIDs computed. The archive is built in a temp dir next to FILE and renamed
// over FILE at commit; nothing appears at FILE before.
// Source: picks the image by NAME:TAG (normalised as Docker does, matched against
// RepoTags), by @N (index in manifest.json), or the single image; it synthesises a
// Docker schema2 manifest whose layer descriptors are the uncompressed layer files
// (digest = sha256 of the file, which equals the diffID).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "transport/image_transport.h"

namespace krill::transport {

Result<std::unique_ptr<ImageSource>> open_docker_archive_source(std::string_view rest,
                                                                const TransportOptions& options);
Result<std::unique_ptr<ImageDestination>> open_docker_archive_destination(
    std::string_view rest, const TransportOptions& options);

// One manifest.json entry, for `krill load`: open it with
// open_docker_archive_source(path + ":@" + to_string(index)).
struct DockerArchiveImage {
  size_t index = 0;
  std::string config;                  // member path, e.g. "<hex>.json"
  std::vector<std::string> repo_tags;  // as stored; may be empty
  std::vector<std::string> layers;     // member paths
};
// Reads only manifest.json from the archive. Errors: not a tar, no manifest.json,
// malformed entries (field named).
Result<std::vector<DockerArchiveImage>> list_docker_archive(const std::string& path);

// `krill save -m`: several images in one archive. Each add_image() returns a
// destination for the copy engine (which converts to Docker schema2 as it does for
// any destination); its commit() records the image in the pending manifest.json.
// Blobs shared between images are stored once (has_blob reports them). finish()
// writes manifest.json, tars everything and renames it over `path`; a writer
// destroyed without finish() leaves nothing behind. Destinations must not outlive
// the writer.
class DockerArchiveWriter {
 public:
  static Result<std::unique_ptr<DockerArchiveWriter>> create(const std::string& path);
  ~DockerArchiveWriter();
  // `repo_tags`: names as given ("busybox:1" is stored normalised,
  // "docker.io/library/busybox:1"); may be empty (an untagged image).
  Result<std::unique_ptr<ImageDestination>> add_image(const std::vector<std::string>& repo_tags);
  Result<void> finish();

  struct State;  // shared with the destinations

 private:
  explicit DockerArchiveWriter(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace krill::transport
