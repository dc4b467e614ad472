#include "transport/registry_client.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "base/file_io.h"
#include "transport/cert_dirs.h"
#include "transport/curl_library.h"
#include "transport/registry_errors.h"
#include "transport/www_authenticate.h"

namespace krill::transport {

namespace {

using nlohmann::json;

constexpr size_t kMaxManifestSize = 4 << 20;

bool ends_with(const std::string& s, std::string_view suffix) { return s.ends_with(suffix); }

// Reads cert_dir as podman does: *.crt CAs (added to the system bundle), *.cert + *.key.
Result<TlsOptions> tls_options(const ClientOptions& options) {
  TlsOptions tls;
  tls.verify = options.tls_verify;
  if (options.cert_dir.empty()) return tls;
  const std::string what = "read certificates from " + options.cert_dir;
  DIR* dir = ::opendir(options.cert_dir.c_str());
  if (!dir) {
    if (errno == ENOENT) return tls;  // as containers/image: a missing cert dir is no error
    return fail_errno(what);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) names.emplace_back(e->d_name);
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  std::string extra_cas;
  for (const auto& name : names) {
    std::string path = options.cert_dir + "/" + name;
    if (ends_with(name, ".crt")) {
      auto pem = read_file(path);
      if (!pem) return std::unexpected(std::move(pem.error()).context(what));
      extra_cas += *pem;
      if (!extra_cas.ends_with("\n")) extra_cas += "\n";
    } else if (ends_with(name, ".cert")) {
      tls.client_cert_file = path;
    } else if (ends_with(name, ".key")) {
      tls.client_key_file = path;
    }
  }
  if (tls.client_cert_file.empty() != tls.client_key_file.empty())
    return fail(what + ": a client certificate (*.cert) needs its key (*.key) and vice versa");
  if (!extra_cas.empty()) {
    std::string system_bundle;
    auto curl = curl_library();
    const curl_version_info_data* info = curl ? (*curl)->version_info(CURLVERSION_NOW) : nullptr;
    for (const char* candidate :
         {info && info->cainfo ? info->cainfo : "", "/etc/ssl/certs/ca-certificates.crt"}) {
      if (!*candidate) continue;
      if (auto pem = read_file(candidate)) {
        system_bundle = std::move(*pem);
        break;
      }
    }
    if (!system_bundle.empty() && !system_bundle.ends_with("\n")) system_bundle += "\n";
    tls.ca_bundle_pem = system_bundle + extra_cas;
  }
  return tls;
}

bool is_digest_reference(const std::string& reference) {
  return reference.find(':') != std::string::npos;
}

bool retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// Verifies a manifest body against the digest it was asked by or the registry announced.
Result<std::string> manifest_digest(const std::string& body, const std::string& reference,
                                    const std::optional<std::string>& header) {
  std::optional<image::Digest> expected;
  std::string source;
  if (is_digest_reference(reference)) {
    expected = KRILL_TRY(image::Digest::parse(reference));
    source = "requested";
  } else if (header && !header->empty()) {
    auto parsed = image::Digest::parse(*header);
    if (!parsed) return fail("invalid Docker-Content-Digest header: " + parsed.error().message());
    expected = *parsed;
    source = "Docker-Content-Digest";
  }
  image::Hasher hasher =
      KRILL_TRY(image::Hasher::create(expected ? expected->algorithm() : "sha256"));
  hasher.update(std::string_view(body));
  image::Digest actual = hasher.finish();
  if (expected && actual != *expected)
    return fail("digest mismatch: manifest hashes to " + actual.str() + ", " + source + " " +
                expected->str());
  return actual.str();
}

}  // namespace

RegistryClient::RegistryClient(std::string host, std::string base_url, ClientOptions options,
                               HttpClient http)
    : host_(std::move(host)),
      base_url_(std::move(base_url)),
      options_(std::move(options)),
      http_(std::move(http)),
      auth_(options_.auth_cache ? options_.auth_cache : std::make_shared<RegistryAuthCache>()) {}

RegistryClient::RegistryClient(RegistryClient&&) noexcept = default;
RegistryClient& RegistryClient::operator=(RegistryClient&&) noexcept = default;
RegistryClient::~RegistryClient() = default;

Result<RegistryClient> RegistryClient::create(std::string host, ClientOptions options) {
  const std::string what = "set up registry client for " + host;
  if (host.empty() || host.find('/') != std::string::npos)
    return fail(what + ": invalid registry host (want host[:port])");
  if (options.max_retries < 0) options.max_retries = 0;
  if (!options.credentials) {
    auto files = options.auth_files ? *options.auth_files : default_auth_files();
    auto creds = lookup_credentials(host, files);
    if (!creds) return std::unexpected(std::move(creds.error()).context(what));
    options.credentials = std::move(*creds);
  }
  if (options.cert_dir.empty()) {
    // No --cert-dir: the host's directory under certs.d, as podman finds it.
    const char* home = std::getenv("HOME");
    options.cert_dir =
        per_host_cert_dir(default_cert_roots(home ? home : "", options.rootless), host);
  }
  auto tls = tls_options(options);
  if (!tls) return std::unexpected(std::move(tls.error()).context(what));
  auto http = HttpClient::create(std::move(*tls), options.user_agent);
  if (!http) return std::unexpected(std::move(http.error()).context(what));
  std::string api_host =
      normalize_registry_host(host) == "docker.io" ? "registry-1.docker.io" : host;
  std::string base = (options.plain_http ? "http://" : "https://") + api_host;
  return RegistryClient(std::move(host), std::move(base), std::move(options), std::move(*http));
}

std::string RegistryClient::url(std::string_view path) const {
  return base_url_ + std::string(path);
}

std::string RegistryClient::resolve(const std::string& location) const {
  if (location.starts_with("http://") || location.starts_with("https://")) return location;
  if (location.starts_with("/")) return base_url_ + location;
  return base_url_ + "/" + location;
}

std::string RegistryClient::repo_scope(const std::string& repository, bool push) const {
  return "repository:" + repository + (push ? ":pull,push" : ":pull");
}

std::string RegistryClient::display(const std::string& repository) const {
  return host_ + "/" + repository;
}

void RegistryClient::backoff(int retry, const HttpResponse* response) {
  long delay_ms = static_cast<long>(options_.retry_delay_ms) << std::min(retry - 1, 16);
  delay_ms = std::min(delay_ms, 30000L);
  if (response) {
    if (auto after = response->header("Retry-After")) {
      char* end = nullptr;
      long seconds = std::strtol(after->c_str(), &end, 10);
      if (end != after->c_str() && *end == '\0' && seconds >= 0)
        delay_ms = std::min(seconds, 60L) * 1000;
    }
  }
  if (delay_ms > 0) {
    thread_local std::minstd_rand rng(std::random_device{}());
    delay_ms += static_cast<long>(rng() % static_cast<unsigned>(delay_ms / 10 + 1));  // jitter
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  ++stats_.retries;
}

namespace {

// "repository:a/b:pull repository:c:pull" -> its scopes.
std::vector<std::string> split_scopes(const std::string& scope) {
  std::vector<std::string> scopes;
  for (size_t pos = 0; pos < scope.size();) {
    size_t sp = scope.find(' ', pos);
    if (sp == std::string::npos) sp = scope.size();
    if (sp > pos) scopes.push_back(scope.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return scopes;
}

}  // namespace

std::string RegistryClient::authorization_for(const std::string& scope) {
  if (auto cached = auth_->token(scope)) return *cached;
  auto bearer = auth_->bearer();
  if (bearer && !scope.empty()) {  // a bearer registry: get the token up front
    std::lock_guard fetching(auth_->fetch_mutex());
    if (auto cached = auth_->token(scope)) return *cached;  // another client just fetched it
    if (auto token = fetch_token(bearer->realm, bearer->service, split_scopes(scope), scope))
      return *token;
    // On failure fall through: the request gets a 401 and a precise error.
  }
  if (auth_->basic() && options_.credentials) {
    return "Basic " +
           base64_encode(options_.credentials->username + ":" + options_.credentials->password);
  }
  return {};
}

Result<bool> RegistryClient::authenticate(const HttpResponse& response, const std::string& scope,
                                          const std::string& sent) {
  auto challenges = parse_www_authenticate(response.header_values("WWW-Authenticate"));
  for (const auto& c : challenges) {
    if (c.scheme != "bearer") continue;
    auto realm = c.param("realm");
    if (!realm || realm->empty()) return fail("bearer challenge without realm");
    std::vector<std::string> scopes = split_scopes(scope);
    if (auto challenge_scope = c.param("scope");
        challenge_scope && !challenge_scope->empty() &&
        std::find(scopes.begin(), scopes.end(), *challenge_scope) == scopes.end())
      scopes.push_back(*challenge_scope);
    RegistryAuthCache::Bearer bearer{*realm, c.param("service").value_or("")};
    auth_->set_bearer(bearer);
    std::lock_guard fetching(auth_->fetch_mutex());
    // The caller dropped the token it was refused with: one here now was fetched by another
    // client while this one waited for the lock.
    if (auth_->token(scope)) return true;
    // Also cached under the caller's scope key (the joined list may differ).
    auto token = fetch_token(bearer.realm, bearer.service, scopes, scope);
    if (!token) return std::unexpected(std::move(token.error()));
    return true;
  }
  for (const auto& c : challenges) {
    if (c.scheme != "basic") continue;
    // Refused although it sent the credentials: they are wrong. (Another client of the same
    // transfer may have switched the shared cache to basic after this request went out.)
    if (!options_.credentials || options_.credentials->username.empty() ||
        sent.starts_with("Basic "))
      return false;
    auth_->set_basic();
    return true;
  }
  return false;
}

Result<std::string> RegistryClient::fetch_token(const std::string& realm,
                                                const std::string& service,
                                                const std::vector<std::string>& scopes,
                                                const std::string& also_as) {
  const std::string what = "get a token from " + realm;
  Request request;
  request.authenticate = false;
  request.headers.push_back("Accept: application/json");
  std::string body;
  const Credentials* creds = options_.credentials ? &*options_.credentials : nullptr;
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh token, as docker does with an identity token.
    request.method = "POST";
    request.url = realm;
    body = "grant_type=refresh_token&client_id=krill&refresh_token=" +
           url_encode(creds->identity_token) + "&service=" + url_encode(service);
    for (const auto& s : scopes) body += "&scope=" + url_encode(s);
    request.body = body;
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  } else {
    request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    request.url += "service=" + url_encode(service);
    for (const auto& s : scopes) request.url += "&scope=" + url_encode(s);
    if (creds && !creds->username.empty())
      request.headers.push_back("Authorization: Basic " +
                                base64_encode(creds->username + ":" + creds->password));
  }
  auto response = send(request);
  if (!response) return std::unexpected(failure_error(response.error(), what));
  if (response->status == 401 || response->status == 403) {
    std::string msg = what + ": " + (creds ? "credentials rejected" : "authentication required") +
                      " (" + std::to_string(response->status) + ")";
    if (!creds) msg += " — run krill login " + host_;
    return fail(msg);
  }
  if (response->status != 200) return std::unexpected(status_error(*response, what));
  json doc = json::parse(response->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(what + ": invalid JSON in the answer");
  std::string token;
  if (doc.contains("token") && doc["token"].is_string()) token = doc["token"].get<std::string>();
  if (token.empty() && doc.contains("access_token") && doc["access_token"].is_string())
    token = doc["access_token"].get<std::string>();
  if (token.empty()) return fail(what + ": the answer has no token");
  long expires_in = 60;
  if (doc.contains("expires_in") && doc["expires_in"].is_number_integer())
    expires_in = std::max(doc["expires_in"].get<long>(), 10L);
  ++stats_.token_fetches;
  std::string key;
  for (const auto& s : scopes) key += (key.empty() ? "" : " ") + s;
  // Renew a little before the expiry.
  const auto expires = RegistryAuthCache::Clock::now() + std::chrono::seconds(expires_in - 5);
  auth_->put_token(key, "Bearer " + token, expires);
  if (!also_as.empty() && also_as != key) auth_->put_token(also_as, "Bearer " + token, expires);
  return "Bearer " + token;
}

std::expected<HttpResponse, HttpFailure> RegistryClient::send(const Request& request) {
  HttpRequest http;
  http.method = request.method;
  http.url = request.url;
  http.body = request.body;
  http.body_source = request.body_source;
  http.body_source_size = request.body_source_size;
  http.sink = request.sink;
  http.on_body_start = request.on_body_start;
  http.follow_redirects = request.follow_redirects;
  http.stall_timeout_seconds = options_.stall_timeout_seconds;
  bool reauthenticated = false;
  int attempt = 0;
  while (true) {
    ++attempt;
    last_attempts_ = attempt;
    http.headers = request.headers;
    std::string authorization;  // what this attempt sent
    if (request.authenticate) {
      authorization = authorization_for(request.scope);
      if (!authorization.empty()) http.headers.push_back("Authorization: " + authorization);
    }
    ++stats_.requests;
    auto response = http_.perform(http);
    if (!response) {
      if (request.retry && response.error().retryable && attempt <= options_.max_retries) {
        backoff(attempt, nullptr);
        continue;
      }
      return response;
    }
    if (response->status == 401 && request.authenticate && !reauthenticated &&
        !request.body_source) {
      reauthenticated = true;
      // Only the token this attempt sent is stale: one that another client of the same transfer
      // fetched meanwhile is used instead of fetching yet another.
      auto cached = auth_->token(request.scope);
      if (cached && *cached != authorization) {
        --attempt;
        continue;
      }
      if (cached) auth_->drop_token(request.scope);
      auto renewed = authenticate(*response, request.scope, authorization);
      if (!renewed) {
        HttpFailure failure;
        failure.message = renewed.error().message();
        failure.status = 401;
        return std::unexpected(std::move(failure));
      }
      if (*renewed) {
        --attempt;  // not a failed attempt
        continue;
      }
      return response;
    }
    if (request.retry && retryable_status(response->status) && attempt <= options_.max_retries) {
      backoff(attempt, &*response);
      continue;
    }
    return response;
  }
}

Error RegistryClient::failure_error(const HttpFailure& failure, const std::string& what) const {
  std::string msg = what + ": " + failure.message;
  if (failure.tls) {
    msg +=
        " (for a registry with a self-signed or private CA use --cert-dir with its ca.crt, "
        "or --tls-verify=false)";
  } else if (failure.message.find("wrong version number") != std::string::npos) {
    msg += " (the registry may speak plain HTTP: --tls-verify=false)";
  }
  if (failure.retryable && last_attempts_ > 1)
    msg += " after " + std::to_string(last_attempts_) + " attempts";
  return Error(msg);
}

Error RegistryClient::status_error(const HttpResponse& response, const std::string& what) const {
  RegistryErrorInfo info = parse_registry_errors(response);
  std::string detail = describe_status(response, info);
  std::string msg = what + ": ";
  std::string insufficient_scope;
  for (const auto& c : parse_www_authenticate(response.header_values("WWW-Authenticate")))
    if (c.param("error") == "insufficient_scope")
      insufficient_scope = c.param("scope").value_or("?");
  if (response.status == 401 && !insufficient_scope.empty()) {
    msg += "denied: the token does not grant " + insufficient_scope + " (401 " +
           (info.codes.empty() ? std::string("UNAUTHORIZED") : info.codes) + ")";
    if (!options_.credentials) msg += " — run krill login " + host_;
  } else if (response.status == 401) {
    bool have_creds = options_.credentials && (!options_.credentials->username.empty() ||
                                               !options_.credentials->identity_token.empty());
    msg += std::string(have_creds ? "authentication failed" : "authentication required") + ": " +
           "401 " + (info.codes.empty() ? std::string("UNAUTHORIZED") : info.codes) +
           (info.message.empty() ? "" : " (" + info.message + ")") +
           (have_creds ? " — check the credentials for " + host_ + " (krill login " + host_ + ")"
                       : " — run krill login " + host_);
  } else {
    msg += detail;
  }
  if (retryable_status(response.status) && last_attempts_ > 1)
    msg += " after " + std::to_string(last_attempts_) + " attempts";
  return Error(msg);
}

Result<HttpResponse> RegistryClient::call(const Request& request, const std::string& what,
                                          std::initializer_list<long> ok) {
  auto response = send(request);
  if (!response) return std::unexpected(failure_error(response.error(), what));
  if (std::find(ok.begin(), ok.end(), response->status) == ok.end())
    return std::unexpected(status_error(*response, what));
  return std::move(*response);
}

Result<void> RegistryClient::ping() {
  Request request;
  request.url = url("/v2/");
  KRILL_TRY(call(request, "ping " + host_, {200}));
  return {};
}

std::expected<long, HttpFailure> RegistryClient::probe() {
  Request request;
  request.url = url("/v2/");
  request.authenticate = false;
  auto response = send(request);
  if (!response) return std::unexpected(std::move(response.error()));
  return response->status;
}

Result<RegistryClient::Fetched> RegistryClient::get_manifest(
    const std::string& repository, const std::string& reference,
    const std::vector<std::string>& accept_media_types) {
  const std::string what =
      "pull " + display(repository) + (is_digest_reference(reference) ? "@" : ":") + reference;
  Request request;
  request.url = url("/v2/" + repository + "/manifests/" + reference);
  request.scope = repo_scope(repository, false);
  for (const auto& type : accept_media_types) request.headers.push_back("Accept: " + type);
  std::string body;
  request.sink = [&](std::string_view chunk) -> Result<void> {
    if (body.size() + chunk.size() > kMaxManifestSize)
      return fail("manifest larger than " + std::to_string(kMaxManifestSize) + " bytes");
    body.append(chunk);
    return {};
  };
  request.on_body_start = [&](const HttpResponse&) -> Result<void> {
    body.clear();
    return {};
  };
  HttpResponse response = KRILL_TRY(call(request, what, {200}));
  Fetched fetched;
  fetched.media_type = response.header("Content-Type").value_or("");
  if (auto semi = fetched.media_type.find(';'); semi != std::string::npos)
    fetched.media_type.resize(semi);
  auto digest = manifest_digest(body, reference, response.header("Docker-Content-Digest"));
  if (!digest) return std::unexpected(std::move(digest.error()).context(what));
  fetched.digest = std::move(*digest);
  fetched.body = std::move(body);
  return fetched;
}

Result<std::optional<RegistryClient::Fetched>> RegistryClient::head_manifest(
    const std::string& repository, const std::string& reference,
    const std::vector<std::string>& accept_media_types) {
  const std::string what =
      "check " + display(repository) + (is_digest_reference(reference) ? "@" : ":") + reference;
  Request request;
  request.method = "HEAD";
  request.url = url("/v2/" + repository + "/manifests/" + reference);
  request.scope = repo_scope(repository, false);
  for (const auto& type : accept_media_types) request.headers.push_back("Accept: " + type);
  HttpResponse response = KRILL_TRY(call(request, what, {200, 404}));
  if (response.status == 404) return std::optional<Fetched>();
  Fetched fetched;
  fetched.media_type = response.header("Content-Type").value_or("");
  if (auto semi = fetched.media_type.find(';'); semi != std::string::npos)
    fetched.media_type.resize(semi);
  fetched.digest = response.header("Docker-Content-Digest").value_or("");
  if (is_digest_reference(reference)) {
    if (!fetched.digest.empty() && fetched.digest != reference)
      return fail(what + ": registry answered digest " + fetched.digest);
    fetched.digest = reference;
  }
  return std::optional<Fetched>(std::move(fetched));
}

Result<uint64_t> RegistryClient::get_blob(const std::string& repository,
                                          const std::string& digest_text,
                                          const std::function<Result<void>(std::string_view)>& sink,
                                          std::optional<uint64_t> expected_size) {
  const std::string what = "pull blob " + digest_text + " from " + display(repository);
  auto digest = image::Digest::parse(digest_text);
  if (!digest) return std::unexpected(std::move(digest.error()).context(what));
  image::Hasher hasher = KRILL_TRY(image::Hasher::create(digest->algorithm()));
  uint64_t received = 0;  // verified bytes handed to `sink`
  uint64_t skip = 0;      // bytes to drop when a server ignored our Range
  Request request;
  request.url = url("/v2/" + repository + "/blobs/" + digest_text);
  request.scope = repo_scope(repository, false);
  request.follow_redirects = true;
  request.retry = false;  // retried here, resuming
  request.on_body_start = [&](const HttpResponse& response) -> Result<void> {
    skip = 0;
    if (response.status == 206) {
      auto range = response.header("Content-Range").value_or("");
      unsigned long long start = 0;
      if (std::sscanf(range.c_str(), "bytes %llu-", &start) != 1 || start != received)
        return fail("server resumed at the wrong offset (Content-Range: " + range +
                    ", wanted byte " + std::to_string(received) + ")");
    } else {
      skip = received;  // a full body again
    }
    if (auto length = response.header("Content-Length"); length && expected_size) {
      uint64_t total =
          std::strtoull(length->c_str(), nullptr, 10) + (response.status == 206 ? received : 0);
      if (total != *expected_size)
        return fail("size mismatch: registry sends " + std::to_string(total) + " bytes, expected " +
                    std::to_string(*expected_size));
    }
    return {};
  };
  request.sink = [&](std::string_view chunk) -> Result<void> {
    if (skip > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip, chunk.size()));
      chunk.remove_prefix(n);
      skip -= n;
      if (chunk.empty()) return {};
    }
    if (expected_size && received + chunk.size() > *expected_size)
      return fail("size mismatch: more than the expected " + std::to_string(*expected_size) +
                  " bytes");
    hasher.update(chunk);
    received += chunk.size();
    return sink(chunk);
  };
  int retries = 0;
  while (true) {
    request.headers.clear();
    if (received > 0) request.headers.push_back("Range: bytes=" + std::to_string(received) + "-");
    auto response = send(request);
    if (!response) {
      if (response.error().retryable && retries < options_.max_retries) {
        ++retries;
        backoff(retries, nullptr);
        continue;
      }
      last_attempts_ = retries + 1;
      return std::unexpected(failure_error(response.error(), what));
    }
    if (retryable_status(response->status) && retries < options_.max_retries) {
      ++retries;
      backoff(retries, &*response);
      continue;
    }
    last_attempts_ = retries + 1;
    if (response->status != 200 && response->status != 206) {
      if (response->status == 404) {
        RegistryErrorInfo info = parse_registry_errors(*response);
        return fail(what + ": " + describe_status(*response, info));
      }
      return std::unexpected(status_error(*response, what));
    }
    if (skip > 0) {
      return fail(what + ": truncated body: got " + std::to_string(received - skip) + " bytes");
    }
    break;
  }
  if (expected_size && received != *expected_size)
    return fail(what + ": size mismatch: got " + std::to_string(received) + " bytes, expected " +
                std::to_string(*expected_size));
  image::Digest actual = hasher.finish();
  if (actual != *digest)
    return fail(what + ": digest mismatch: content hashes to " + actual.str() + " (" +
                std::to_string(received) + " bytes)");
  return received;
}

Result<bool> RegistryClient::blob_exists(const std::string& repository, const std::string& digest) {
  Request request;
  request.method = "HEAD";
  request.url = url("/v2/" + repository + "/blobs/" + digest);
  request.scope = repo_scope(repository, false);
  request.follow_redirects = true;
  HttpResponse response =
      KRILL_TRY(call(request, "check blob " + digest + " in " + display(repository), {200, 404}));
  return response.status == 200;
}

Result<std::vector<std::string>> RegistryClient::paginate(std::string path,
                                                          const std::string& scope,
                                                          const std::string& key,
                                                          const std::string& what) {
  std::vector<std::string> out;
  for (int page = 0; page < 100000; ++page) {
    Request request;
    request.url = resolve(path);
    request.scope = scope;
    request.headers.push_back("Accept: application/json");
    HttpResponse response = KRILL_TRY(call(request, what, {200}));
    json doc = json::parse(response.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail(what + ": invalid JSON in the answer");
    if (auto it = doc.find(key); it != doc.end() && !it->is_null()) {
      if (!it->is_array()) return fail(what + ": \"" + key + "\" is not a list");
      for (const auto& item : *it) {
        if (!item.is_string()) return fail(what + ": \"" + key + "\" holds a non-string");
        out.push_back(item.get<std::string>());
      }
    }
    // Link: </v2/a/tags/list?n=2&last=b>; rel="next"
    std::string next;
    for (const auto& link : response.header_values("Link")) {
      size_t lt = link.find('<'), gt = link.find('>');
      if (lt == std::string::npos || gt == std::string::npos || gt < lt) continue;
      if (link.find("rel=\"next\"", gt) == std::string::npos &&
          link.find("rel=next", gt) == std::string::npos)
        continue;
      next = link.substr(lt + 1, gt - lt - 1);
    }
    if (next.empty()) return out;
    path = next;
  }
  return fail(what + ": too many pages");
}

Result<std::vector<std::string>> RegistryClient::list_tags(const std::string& repository,
                                                           std::optional<int> page_size) {
  std::string path = "/v2/" + repository + "/tags/list";
  if (page_size) path += "?n=" + std::to_string(*page_size);
  return paginate(path, repo_scope(repository, false), "tags",
                  "list tags of " + display(repository));
}

Result<std::vector<std::string>> RegistryClient::catalog(std::optional<int> page_size) {
  std::string path = "/v2/_catalog";
  if (page_size) path += "?n=" + std::to_string(*page_size);
  return paginate(path, "registry:catalog:*", "repositories", "list repositories of " + host_);
}

Result<void> RegistryClient::delete_manifest(const std::string& repository,
                                             const std::string& digest) {
  Request request;
  request.method = "DELETE";
  request.url = url("/v2/" + repository + "/manifests/" + digest);
  request.scope = "repository:" + repository + ":delete";
  KRILL_TRY(call(request, "delete " + display(repository) + "@" + digest, {200, 202}));
  return {};
}

}  // namespace krill::transport
