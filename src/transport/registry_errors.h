// The registry's error answers ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]})
// turned into short readable text.
#pragma once

#include <string>

#include "transport/http_client.h"

namespace krill::transport {

struct RegistryErrorInfo {
  std::string codes;    // "MANIFEST_UNKNOWN" or "BLOB_UNKNOWN, DENIED"
  std::string message;  // "manifest unknown" or "a; b"
};

// Empty fields when the body is not the registry's error JSON.
RegistryErrorInfo parse_registry_errors(const HttpResponse& response);

// "manifest unknown (404 MANIFEST_UNKNOWN)", "denied (403)", "503 Service Unavailable",
// "404 Not Found: <short text body>".
std::string describe_status(const HttpResponse& response, const RegistryErrorInfo& info);

}  // namespace krill::transport
