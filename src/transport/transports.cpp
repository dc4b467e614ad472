// open_image_source / open_image_destination: dispatch on the transport prefix.
#include <memory>
#include <string>
#include <string_view>

#include "transport/docker_transport.h"
#include "transport/image_transport.h"

#include "transport/dir_transport.h"
#include "transport/docker_archive_transport.h"
#include "transport/oci_archive_transport.h"
#include "transport/oci_layout_transport.h"
#include "transport/store_transport.h"

namespace krill::transport {
namespace {

enum class Kind { kDocker, kOciLayout, kOciArchive, kDockerArchive, kDir, kStore };

struct Parsed {
  Kind kind;
  std::string_view rest;
};

// Splits "transport:rest". A reference without a known transport prefix is a local store name
// ("busybox", "localhost:5000/a:b" are names, not transports).
Result<Parsed> parse(std::string_view text) {
  if (text.empty()) return fail("empty image reference");
  struct Prefix {
    std::string_view name;
    Kind kind;
  };
  static constexpr Prefix prefixes[] = {
      {"docker:", Kind::kDocker},
      {"oci:", Kind::kOciLayout},
      {"oci-archive:", Kind::kOciArchive},
      {"docker-archive:", Kind::kDockerArchive},
      {"dir:", Kind::kDir},
      {"containers-storage:", Kind::kStore},
  };
  for (const auto& p : prefixes)
    if (text.starts_with(p.name)) return Parsed{p.kind, text.substr(p.name.size())};
  auto colon = text.find(':');
  auto slash = text.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    std::string_view head = text.substr(0, colon);
    // "name:tag" and "host:port/..." are store names; "word:" followed by something that
    // is not a tag or port with an unknown transport-like word is refused.
    static constexpr std::string_view unsupported[] = {"docker-daemon", "sif", "tarball", "ostree",
                                                       "atomic"};
    for (auto u : unsupported)
      if (head == u)
        return fail("image reference \"" + std::string(text) + "\": transport " + std::string(u) +
                    " is not supported");
  }
  return Parsed{Kind::kStore, text};
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_image_source(std::string_view transport_reference,
                                                       const TransportOptions& options) {
  auto p = KRILL_TRY(parse(transport_reference));
  switch (p.kind) {
    case Kind::kDocker:
      return open_docker_source(p.rest, options);
    case Kind::kOciLayout:
      return open_oci_layout_source(p.rest, options);
    case Kind::kOciArchive:
      return open_oci_archive_source(p.rest, options);
    case Kind::kDockerArchive:
      return open_docker_archive_source(p.rest, options);
    case Kind::kDir:
      return open_dir_source(p.rest, options);
    case Kind::kStore:
      return open_store_source(p.rest, options);
  }
  return fail("image reference \"" + std::string(transport_reference) + "\": unknown transport");
}

Result<std::unique_ptr<ImageDestination>> open_image_destination(
    std::string_view transport_reference, const TransportOptions& options) {
  auto p = KRILL_TRY(parse(transport_reference));
  switch (p.kind) {
    case Kind::kDocker:
      return open_docker_destination(p.rest, options);
    case Kind::kOciLayout:
      return open_oci_layout_destination(p.rest, options);
    case Kind::kOciArchive:
      return open_oci_archive_destination(p.rest, options);
    case Kind::kDockerArchive:
      return open_docker_archive_destination(p.rest, options);
    case Kind::kDir:
      return open_dir_destination(p.rest, options);
    case Kind::kStore:
      return open_store_destination(p.rest, options);
  }
  return fail("image reference \"" + std::string(transport_reference) + "\": unknown transport");
}

}  // namespace krill::transport
