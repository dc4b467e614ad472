// docker:// — images in a registry, over RegistryClient, with registries.conf applied: pulls try
// the mirrors then the primary location, blocked registries are refused, insecure ones may speak
// plain HTTP or unverified TLS, and unqualified names are resolved as podman does
// (resolve_short_name). Credentials come from TransportOptions.creds or the auth files.
#pragma once

#include <memory>
#include <string_view>

#include "base/error.h"
#include "transport/image_transport.h"

namespace krill::transport {

// `rest` is what follows "docker:": "//localhost:5000/a/b:tag", "//busybox", "//x@sha256:..".
// The source resolves its reference (short names, mirrors) and fetches the manifest on open;
// errors name it: "docker://localhost:5000/a:b: pull localhost:5000/a:b: manifest unknown ...".
Result<std::unique_ptr<ImageSource>> open_docker_source(std::string_view rest,
                                                        const TransportOptions& options);
// Pushes to the primary location of the reference (never a mirror). Blobs are uploaded as they
// arrive; instances are stored by digest, the top manifest by tag (or by digest when the
// reference has one, which must then match); commit() has nothing left to do.
Result<std::unique_ptr<ImageDestination>> open_docker_destination(std::string_view rest,
                                                                  const TransportOptions& options);

}  // namespace krill::transport
