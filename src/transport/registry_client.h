// A client for one registry host speaking the OCI distribution spec 1.1 (and Docker's registry
// v2 API): ping, pull, push, content discovery and management, with anonymous, basic and
// bearer-token authentication, TLS options, retries and resumable blob downloads.
//
// Not thread-safe: use one client per thread (each keeps its own connections). Clients given the
// same ClientOptions::auth_cache share what they learn about authentication and their tokens.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/digest.h"
#include "transport/auth_file.h"
#include "transport/http_client.h"
#include "transport/registry_auth_cache.h"

namespace krill::transport {

struct ClientOptions {
  bool tls_verify = true;
  // As podman's --cert-dir: *.crt are extra CAs (added to the system ones), client.cert and
  // client.key (any *.cert / *.key) a client certificate.
  // Empty: the host's directory under certs.d (transport/cert_dirs.h), the per-user one too
  // when `rootless`.
  std::string cert_dir;
  bool rootless = false;
  bool plain_http = false;  // insecure registries: http://
  // Credentials to use; when unset they are looked up in `auth_files`.
  std::optional<Credentials> credentials;
  // Files searched for credentials when `credentials` is unset; nullopt: default_auth_files().
  // An empty list disables the lookup.
  std::optional<std::vector<std::string>> auth_files;
  // Retries after the first attempt for 429, 5xx (500, 502, 503, 504) and dropped connections
  // or timeouts; total attempts = max_retries + 1.
  int max_retries = 3;
  int retry_delay_ms = 500;  // first backoff; doubles each retry (capped at 30 s); Retry-After wins
  long stall_timeout_seconds = 60;  // a transfer without progress for this long is a timeout
  std::string user_agent = "krill/0.1";
  // Shared by the clients of one transfer (parallel blobs): one token per scope for all of them.
  // Unset: the client keeps its own.
  std::shared_ptr<RegistryAuthCache> auth_cache;
};

class RegistryClient {
 public:
  // `host` is "localhost:5000", "quay.io", "docker.io" (mapped to registry-1.docker.io).
  // Fails on unreadable cert_dir files or an unreadable auth file.
  static Result<RegistryClient> create(std::string host, ClientOptions options);

  RegistryClient(RegistryClient&&) noexcept;
  RegistryClient& operator=(RegistryClient&&) noexcept;
  ~RegistryClient();

  const std::string& host() const { return host_; }

  // GET /v2/, authenticating if the registry asks (a check of credentials for `login`).
  Result<void> ping();
  // GET /v2/ without answering challenges: the HTTP status (200, 401, …) when the registry
  // answered in this client's protocol at all; the transport failure otherwise.
  std::expected<long, HttpFailure> probe();

  struct Fetched {
    std::string media_type;  // Content-Type
    std::string digest;      // verified: of the body; matches Docker-Content-Digest when sent
    std::string body;
  };
  // `reference` is a tag or a digest; when a digest, the body is verified against it.
  // Manifests are limited to 4 MiB. Error e.g.:
  //   pull localhost:5000/a/b:tag: manifest unknown (404 MANIFEST_UNKNOWN)
  Result<Fetched> get_manifest(const std::string& repository, const std::string& reference,
                               const std::vector<std::string>& accept_media_types);
  // nullopt when the manifest does not exist; the body is empty; digest from the header.
  Result<std::optional<Fetched>> head_manifest(const std::string& repository,
                                               const std::string& reference,
                                               const std::vector<std::string>& accept_media_types);

  // Streams the blob to `sink`, following redirects, verifying size and digest while streaming,
  // resuming with Range after a dropped connection and retrying 429/5xx/timeouts. Returns the
  // size. On error the bytes already given to `sink` must be discarded by the caller.
  Result<uint64_t> get_blob(const std::string& repository, const std::string& digest,
                            const std::function<Result<void>(std::string_view)>& sink,
                            std::optional<uint64_t> expected_size = {});
  Result<bool> blob_exists(const std::string& repository, const std::string& digest);
  // Cross-repository mount. False when the registry started an upload instead (it is cancelled).
  Result<bool> mount_blob(const std::string& repository, const std::string& digest,
                          const std::string& from_repository);
  // Uploads `size` bytes from `reader` (returns how many bytes it put in the span; 0 at the end).
  // chunk_size 0 (the default): monolithic (POST + PUT with the body) up to 8 MiB, else one
  // streamed PATCH of the whole blob, then PUT ?digest= (as skopeo does: one request, no
  // buffering). chunk_size > 0: monolithic when size <= chunk_size, otherwise chunked PATCHes
  // of chunk_size with Content-Range. Memory use is bounded by 8 MiB or chunk_size.
  Result<void> put_blob(const std::string& repository, const std::string& digest, uint64_t size,
                        const std::function<Result<size_t>(std::span<char>)>& reader,
                        uint64_t chunk_size = 0);
  // Returns the manifest's digest (the registry's Docker-Content-Digest, else sha256 of body).
  Result<std::string> put_manifest(const std::string& repository, const std::string& reference,
                                   const std::string& media_type, const std::string& body);
  // Follows Link pagination; `page_size` adds n= to the first request.
  Result<std::vector<std::string>> list_tags(const std::string& repository,
                                             std::optional<int> page_size = {});
  Result<std::vector<std::string>> catalog(std::optional<int> page_size = {});
  Result<void> delete_manifest(const std::string& repository, const std::string& digest);

  // Counters for tests and progress output.
  struct Stats {
    int requests = 0;       // HTTP requests sent
    int token_fetches = 0;  // bearer tokens obtained
    int retries = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;
    std::optional<std::string_view> body;
    // A streamed body (see HttpRequest::body_source): sent once, never retried.
    std::function<Result<size_t>(std::span<char>)> body_source;
    uint64_t body_source_size = 0;
    // Space-separated token scopes: "repository:a/b:pull,push repository:c:pull".
    std::string scope;
    std::function<Result<void>(const HttpResponse&)> on_body_start;
    std::function<Result<void>(std::string_view)> sink;
    bool follow_redirects = false;
    bool retry = true;         // retry 429/5xx and dropped connections here
    bool authenticate = true;  // answer 401 challenges (off for token requests)
  };

  RegistryClient(std::string host, std::string base_url, ClientOptions options, HttpClient http);

  // Sends with authentication (one new authorization per request after a 401) and retries.
  // Returns the final response whatever its status.
  std::expected<HttpResponse, HttpFailure> send(const Request& request);
  // send() with failures turned into errors, and statuses outside `ok` turned into errors.
  Result<HttpResponse> call(const Request& request, const std::string& what,
                            std::initializer_list<long> ok);
  // Obtains new authorization after a 401; false when there is nothing to try (no credentials).
  // `sent`: the Authorization the refused request carried ("" for none).
  Result<bool> authenticate(const HttpResponse& challenge_response, const std::string& scope,
                            const std::string& sent);
  // Fetches a token for `scopes` and caches it under their space-joined list (and under
  // `also_as` when not empty). Returns the Authorization header.
  Result<std::string> fetch_token(const std::string& realm, const std::string& service,
                                  const std::vector<std::string>& scopes,
                                  const std::string& also_as = {});
  std::string authorization_for(const std::string& scope);
  Error status_error(const HttpResponse& response, const std::string& what) const;
  Error failure_error(const HttpFailure& failure, const std::string& what) const;
  std::string url(std::string_view path) const;
  std::string resolve(const std::string& location) const;
  void backoff(int retry, const HttpResponse* response);
  std::string repo_scope(const std::string& repository, bool push) const;
  std::string display(const std::string& repository) const;
  Result<std::vector<std::string>> paginate(std::string path, const std::string& scope,
                                            const std::string& key, const std::string& what);
  Result<uint64_t> upload_chunked(const std::string& repository, std::string& location,
                                  uint64_t size,
                                  const std::function<Result<size_t>(std::span<char>)>& reader,
                                  uint64_t chunk_size, image::Hasher& hasher,
                                  const std::string& what);
  Result<uint64_t> upload_streamed(const std::string& repository, std::string& location,
                                   uint64_t size,
                                   const std::function<Result<size_t>(std::span<char>)>& reader,
                                   image::Hasher& hasher, const std::string& what);

  std::string host_;
  std::string base_url_;
  ClientOptions options_;
  HttpClient http_;
  // Tokens per scope, the bearer challenge seen last (to fetch tokens for new scopes without a
  // 401 first) and whether basic auth is in use; options_.auth_cache when given.
  std::shared_ptr<RegistryAuthCache> auth_;
  int last_attempts_ = 0;  // attempts made by the last send()
  Stats stats_;
};

}  // namespace krill::transport
