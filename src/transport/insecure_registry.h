// Which protocol an insecure registry speaks. For a registry marked insecure (registries.conf or
// --tls-verify=false) HTTPS without certificate checks is tried first, then plain HTTP, as
// containers/image does.
#pragma once

#include <string>

#include "base/error.h"
#include "transport/registry_client.h"

namespace krill::transport {

// `options` with tls_verify off and plain_http set to what `host` answers. Any HTTP answer to
// GET /v2/ (200, 401, 404…) proves a protocol; a TLS handshake met with plain text proves HTTP.
// Fails, naming both attempts, when the host answers neither.
Result<ClientOptions> resolve_insecure_protocol(const std::string& host, ClientOptions options);

}  // namespace krill::transport
