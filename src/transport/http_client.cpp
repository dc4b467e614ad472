#include "transport/http_client.h"

#include <strings.h>

#include <cctype>
#include <cstring>

#include "transport/curl_library.h"

namespace krill::transport {

namespace {

constexpr size_t kMaxErrorBody = 1 << 20;

struct CurlSlist {
  const CurlLibrary& api;
  curl_slist* list = nullptr;
  explicit CurlSlist(const CurlLibrary& library) : api(library) {}
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;
  ~CurlSlist() { api.slist_free_all(list); }
  bool append(const std::string& s) {
    curl_slist* next = api.slist_append(list, s.c_str());
    if (!next) return false;
    list = next;
    return true;
  }
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

// State shared with the curl callbacks during one perform().
struct Transfer {
  const CurlLibrary* api = nullptr;
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse response;
  std::optional<Error> sink_error;
  bool body_started = false;
  std::string_view upload;
  size_t upload_offset = 0;
  std::optional<Error> source_error;  // body_source failed
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response (redirect, 100-continue): start over
    t->response.headers.clear();
    t->response.reason.clear();
    size_t sp1 = line.find(' ');
    if (sp1 != std::string_view::npos) {
      size_t sp2 = line.find(' ', sp1 + 1);
      if (sp2 != std::string_view::npos) t->response.reason = trim(line.substr(sp2 + 1));
    }
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  t->api->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300 && status < 400 && t->request->follow_redirects) return n;  // redirect body
  if (t->request->sink && status >= 200 && status < 300) {
    if (!t->body_started) {
      t->body_started = true;
      if (t->request->on_body_start) {
        t->response.status = status;
        auto r = t->request->on_body_start(t->response);
        if (!r) {
          t->sink_error = std::move(r.error());
          return 0;
        }
      }
    }
    auto r = t->request->sink(std::string_view(data, n));
    if (!r) {
      t->sink_error = std::move(r.error());
      return 0;  // aborts with CURLE_WRITE_ERROR
    }
    t->response.streamed_bytes += n;
    return n;
  }
  if (t->response.body.size() + n > kMaxErrorBody && t->request->sink) return n;  // drop excess
  t->response.body.append(data, n);
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t->upload.size() - t->upload_offset);
  std::memcpy(buffer, t->upload.data() + t->upload_offset, n);
  t->upload_offset += n;
  return n;
}

size_t on_read_source(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  auto n = t->request->body_source(std::span<char>(buffer, size * count));
  if (!n) {
    t->source_error = std::move(n.error());
    return CURL_READFUNC_ABORT;
  }
  return *n;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->upload.size())
    return CURL_SEEKFUNC_FAIL;
  t->upload_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

bool is_retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

bool is_tls(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct HttpClient::Handle {
  const CurlLibrary* api = nullptr;
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) api->easy_cleanup(curl);
  }
};

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResponse::header_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0)
      out.push_back(v);
  }
  return out;
}

HttpClient::HttpClient(std::unique_ptr<Handle> handle, TlsOptions tls, std::string user_agent)
    : handle_(std::move(handle)), tls_(std::move(tls)), user_agent_(std::move(user_agent)) {}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

Result<HttpClient> HttpClient::create(TlsOptions tls, std::string user_agent) {
  auto handle = std::make_unique<Handle>();
  handle->api = KRILL_TRY(curl_library());
  handle->curl = handle->api->easy_init();
  if (!handle->curl) return fail("create HTTP client: curl_easy_init failed");
  return HttpClient(std::move(handle), std::move(tls), std::move(user_agent));
}

std::expected<HttpResponse, HttpFailure> HttpClient::perform(const HttpRequest& request) {
  const CurlLibrary& api = *handle_->api;
  CURL* curl = handle_->curl;
  api.easy_reset(curl);  // keeps the connection cache
  Transfer t;
  t.api = &api;
  t.curl = curl;
  t.request = &request;
  char error_buffer[CURL_ERROR_SIZE] = {};

  CurlSlist headers(api);
  for (const auto& h : request.headers) headers.append(h);
  headers.append("Expect:");  // no 100-continue round trip

  api.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(curl, CURLOPT_USERAGENT, user_agent_.c_str());
  api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_seconds);
  api.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  api.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_seconds);
  api.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  api.easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  // Redirects to blob storage: curl drops our Authorization header when the host changes.
  api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  api.easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  api.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls_.verify ? 1L : 0L);
  api.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls_.verify ? 2L : 0L);
  curl_blob ca_blob{};
  if (!tls_.ca_bundle_pem.empty()) {
    ca_blob.data = tls_.ca_bundle_pem.data();
    ca_blob.len = tls_.ca_bundle_pem.size();
    ca_blob.flags = CURL_BLOB_NOCOPY;
    api.easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
  }
  if (!tls_.client_cert_file.empty())
    api.easy_setopt(curl, CURLOPT_SSLCERT, tls_.client_cert_file.c_str());
  if (!tls_.client_key_file.empty())
    api.easy_setopt(curl, CURLOPT_SSLKEY, tls_.client_key_file.c_str());

  if (request.method == "HEAD") {
    api.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.body) {
    t.upload = *request.body;
    api.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    api.easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    api.easy_setopt(curl, CURLOPT_READDATA, &t);
    api.easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
    api.easy_setopt(curl, CURLOPT_SEEKDATA, &t);
    api.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.upload.size()));
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.body_source) {
    api.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    api.easy_setopt(curl, CURLOPT_READFUNCTION, on_read_source);
    api.easy_setopt(curl, CURLOPT_READDATA, &t);
    api.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                    static_cast<curl_off_t>(request.body_source_size));
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    // No body: still send Content-Length: 0 (registries require it on POST/PUT).
    api.easy_setopt(curl, CURLOPT_POST, 1L);
    api.easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    api.easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
    if (request.method != "POST")
      api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    bool has_type = false;
    for (const auto& h : request.headers)
      has_type |= strncasecmp(h.c_str(), "content-type:", 13) == 0;
    if (!has_type) headers.append("Content-Type:");  // not form data
  } else if (request.method != "GET") {
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  api.easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);

  CURLcode code = api.easy_perform(curl);
  api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.response.status);
  char* effective = nullptr;
  if (api.easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
    t.response.effective_url = effective;

  if (code != CURLE_OK) {
    HttpFailure failure;
    failure.streamed_bytes = t.response.streamed_bytes;
    failure.status = t.response.status;
    if (t.sink_error) {
      failure.message = t.sink_error->message();
      failure.from_sink = true;
      return std::unexpected(std::move(failure));
    }
    if (t.source_error) {
      failure.message = t.source_error->message();
      return std::unexpected(std::move(failure));
    }
    failure.message = error_buffer[0] ? std::string(error_buffer) : api.easy_strerror(code);
    // "transfer closed with 35840 bytes remaining to read": the body ended before its length.
    if (code == CURLE_PARTIAL_FILE) failure.message = "truncated body: " + failure.message;
    failure.retryable = is_retryable(code);
    failure.tls = is_tls(code);
    return std::unexpected(std::move(failure));
  }
  return std::move(t.response);
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace krill::transport
