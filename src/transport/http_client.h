// A small RAII wrapper over one libcurl easy handle: one request at a time, connections kept
// alive between requests (the handle's connection cache survives curl_easy_reset).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace krill::transport {

struct TlsOptions {
  bool verify = true;
  // PEM bundle that is used instead of the system CAs (empty: system CAs). It is a blob so that
  // the system bundle plus extra CAs from a cert dir can be combined.
  std::string ca_bundle_pem;
  std::string client_cert_file;  // PEM
  std::string client_key_file;   // PEM
};

struct HttpResponse {
  long status = 0;
  std::string reason;                                        // "Not Found"
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response
  std::string body;                                          // unless streamed to the sink
  uint64_t streamed_bytes = 0;                               // handed to the sink
  std::string effective_url;

  // First value of a header (case-insensitive name).
  std::optional<std::string> header(std::string_view name) const;
  std::vector<std::string> header_values(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;      // "Name: value"
  std::optional<std::string_view> body;  // sent with Content-Length when set
  // A streamed body of body_source_size bytes, read as curl sends (cannot be rewound, so a
  // request that needs resending fails). Used when `body` is unset.
  std::function<Result<size_t>(std::span<char>)> body_source;
  uint64_t body_source_size = 0;
  // When set, the body of a final 2xx response is streamed here (the request is aborted when
  // it fails); other bodies (errors, redirects) are collected into HttpResponse::body.
  std::function<Result<void>(std::string_view)> sink;
  // Called once with the status and headers of a 2xx response before its first sink chunk.
  std::function<Result<void>(const HttpResponse&)> on_body_start;
  bool follow_redirects = false;
  long connect_timeout_seconds = 30;
  // A transfer slower than 1 byte/s for this long is aborted as a timeout.
  long stall_timeout_seconds = 60;
};

// Why a request did not produce a complete response.
struct HttpFailure {
  std::string message;          // curl's text, or the sink's error
  bool retryable = false;       // connection dropped, timeout, truncated body
  bool tls = false;             // certificate verification or handshake
  bool from_sink = false;       // the sink refused the data
  uint64_t streamed_bytes = 0;  // handed to the sink before the failure
  long status = 0;              // status of the partial response, when one started
};

class HttpClient {
 public:
  static Result<HttpClient> create(TlsOptions tls, std::string user_agent);

  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  std::expected<HttpResponse, HttpFailure> perform(const HttpRequest& request);

 private:
  struct Handle;
  HttpClient(std::unique_ptr<Handle> handle, TlsOptions tls, std::string user_agent);

  std::unique_ptr<Handle> handle_;
  TlsOptions tls_;
  std::string user_agent_;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view value);

}  // namespace krill::transport
