#include "transport/insecure_registry.h"

namespace krill::transport {

namespace {

// What OpenSSL says when the server answered a TLS hello with plain HTTP.
bool answered_in_plain_text(const HttpFailure& failure) {
  return failure.message.find("wrong version number") != std::string::npos ||
         failure.message.find("packet length too long") != std::string::npos;
}

}  // namespace

Result<ClientOptions> resolve_insecure_protocol(const std::string& host, ClientOptions options) {
  options.tls_verify = false;
  options.plain_http = false;
  ClientOptions https_probe = options;
  https_probe.max_retries = 0;  // a plain-HTTP server fails fast; retries only cost time
  auto https = KRILL_TRY(RegistryClient::create(host, https_probe));
  auto https_status = https.probe();
  if (https_status) return options;
  if (answered_in_plain_text(https_status.error())) {
    options.plain_http = true;
    return options;
  }
  // The HTTPS attempt failed for another reason (refused, reset, timeout): ask over HTTP with
  // the usual retries so that a slow registry is not mistaken for an HTTPS one.
  ClientOptions http_probe = options;
  http_probe.plain_http = true;
  auto http = KRILL_TRY(RegistryClient::create(host, http_probe));
  auto http_status = http.probe();
  if (http_status) {
    options.plain_http = true;
    return options;
  }
  return fail("reach registry " + host + ": over HTTPS: " + https_status.error().message +
              "; over HTTP: " + http_status.error().message);
}

}  // namespace krill::transport
