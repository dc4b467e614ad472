// Talking to one registry from a command: client options from the flags, registries.conf
// (insecure registries), and the probe containers/image does when TLS verification is off
// (HTTPS without verification, then plain HTTP).
#pragma once

#include <string>

#include "base/error.h"
#include "cli/krill/context.h"
#include "image/reference.h"
#include "transport/registry_client.h"

namespace krill::cli {

// "user:password" -> credentials; "user" alone -> password empty.
transport::Credentials parse_creds(const std::string& creds);

transport::ClientOptions client_options(const Context& ctx, const RegistryFlags& flags);

// A client for `host`; `insecure` allows unverified TLS and plain HTTP.
Result<transport::RegistryClient> connect_registry(const Context& ctx, const std::string& host,
                                                   const RegistryFlags& flags);
// The same with explicit client options (`insecure` from the flags and registries.conf).
Result<transport::RegistryClient> connect_registry(const Context& ctx, const std::string& host,
                                                   transport::ClientOptions options, bool insecure);
bool registry_is_insecure(const Context& ctx, const std::string& host, const RegistryFlags& flags);

// "docker://host/repo:tag" or "host/repo:tag" -> the parsed, normalised reference.
// Other transports are refused: "<cmd> needs a docker:// reference, got oci:/x".
Result<image::Reference> docker_reference(std::string_view text, std::string_view command);

}  // namespace krill::cli
