// Push: blob uploads (monolithic and chunked), cross-repository mounts, manifest PUT.
#include <memory>

#include "transport/registry_client.h"
#include "transport/registry_errors.h"

namespace krill::transport {

namespace {

// Fills `buffer` from `reader` until it is full or the reader is exhausted.
Result<size_t> fill(const std::function<Result<size_t>(std::span<char>)>& reader,
                    std::span<char> buffer) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    size_t n = KRILL_TRY(reader(buffer.subspan(filled)));
    if (n == 0) break;
    if (n > buffer.size() - filled) return fail("reader returned more bytes than asked for");
    filled += n;
  }
  return filled;
}

std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

}  // namespace

Result<uint64_t> RegistryClient::upload_chunked(
    const std::string& repository, std::string& location, uint64_t size,
    const std::function<Result<size_t>(std::span<char>)>& reader, uint64_t chunk_size,
    image::Hasher& hasher, const std::string& what) {
  std::unique_ptr<char[]> buffer(new char[chunk_size]);
  uint64_t offset = 0;
  while (offset < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_size, size - offset));
    size_t n = KRILL_TRY(fill(reader, std::span<char>(buffer.get(), want)));
    if (n == 0) break;  // short: reported by the caller
    std::string_view chunk(buffer.get(), n);
    hasher.update(chunk);
    Request request;
    request.method = "PATCH";
    request.url = location;
    request.scope = repo_scope(repository, true);
    request.body = chunk;
    request.headers = {
        "Content-Type: application/octet-stream",
        "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1)};
    HttpResponse response = KRILL_TRY(call(
        request,
        what + ": upload bytes " + std::to_string(offset) + "-" + std::to_string(offset + n - 1),
        {202}));
    if (auto next = response.header("Location"); next && !next->empty()) location = resolve(*next);
    offset += n;
  }
  return offset;
}

// One PATCH carrying the whole blob, read from `reader` as curl sends it.
Result<uint64_t> RegistryClient::upload_streamed(
    const std::string& repository, std::string& location, uint64_t size,
    const std::function<Result<size_t>(std::span<char>)>& reader, image::Hasher& hasher,
    const std::string& what) {
  uint64_t sent = 0;
  Request request;
  request.method = "PATCH";
  request.url = location;
  request.scope = repo_scope(repository, true);
  request.retry = false;  // the source cannot be rewound
  request.headers = {"Content-Type: application/octet-stream"};
  request.body_source_size = size;
  request.body_source = [&](std::span<char> buffer) -> Result<size_t> {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - sent));
    if (want == 0) return size_t{0};
    size_t n = KRILL_TRY(fill(reader, buffer.first(want)));
    if (n == 0)
      return fail("the source ended after " + std::to_string(sent) + " of " +
                  std::to_string(size) + " bytes");
    hasher.update(std::string_view(buffer.data(), n));
    sent += n;
    return n;
  };
  HttpResponse response = KRILL_TRY(call(request, what + ": upload", {202}));
  if (auto next = response.header("Location"); next && !next->empty()) location = resolve(*next);
  return sent;
}

Result<void> RegistryClient::put_blob(const std::string& repository, const std::string& digest,
                                      uint64_t size,
                                      const std::function<Result<size_t>(std::span<char>)>& reader,
                                      uint64_t chunk_size) {
  const std::string what = "push blob " + digest + " to " + display(repository);
  auto parsed = image::Digest::parse(digest);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context(what));
  const bool stream_large = chunk_size == 0;
  if (chunk_size == 0) chunk_size = 8 << 20;
  image::Hasher hasher = KRILL_TRY(image::Hasher::create(parsed->algorithm()));
  const std::string scope = repo_scope(repository, true);

  Request start;
  start.method = "POST";
  start.url = url("/v2/" + repository + "/blobs/uploads/");
  start.scope = scope;
  HttpResponse started = KRILL_TRY(call(start, what + ": start upload", {202}));
  auto first_location = started.header("Location");
  if (!first_location || first_location->empty())
    return fail(what + ": start upload: the registry sent no Location");
  std::string location = resolve(*first_location);

  // Cancels the upload session on any failure below.
  bool done = false;
  struct Cancel {
    RegistryClient* self;
    const std::string* location;
    const std::string* scope;
    bool* done;
    ~Cancel() {
      if (*done) return;
      Request cancel;
      cancel.method = "DELETE";
      cancel.url = *location;
      cancel.scope = *scope;
      cancel.retry = false;
      (void)self->send(cancel);
    }
  } cancel{this, &location, &scope, &done};

  std::string body;  // the monolithic body, at most chunk_size
  uint64_t sent = 0;
  if (size <= chunk_size) {
    body.resize(static_cast<size_t>(size));
    sent = KRILL_TRY(fill(reader, std::span<char>(body.data(), body.size())));
    body.resize(static_cast<size_t>(sent));
    hasher.update(std::string_view(body));
  } else if (stream_large) {
    sent = KRILL_TRY(upload_streamed(repository, location, size, reader, hasher, what));
  } else {
    sent = KRILL_TRY(upload_chunked(repository, location, size, reader, chunk_size, hasher, what));
  }
  if (sent != size)
    return fail(what + ": the source ended after " + std::to_string(sent) + " of " +
                std::to_string(size) + " bytes");
  char extra = 0;
  if (size_t more = KRILL_TRY(reader(std::span<char>(&extra, 1))); more != 0)
    return fail(what + ": the source holds more than the announced " + std::to_string(size) +
                " bytes");

  Request finish;
  finish.method = "PUT";
  finish.url = with_query(location, "digest=" + url_encode(digest));
  finish.scope = scope;
  if (size <= chunk_size) {
    finish.body = std::string_view(body);
    finish.headers.push_back("Content-Type: application/octet-stream");
  }
  auto response = send(finish);
  if (!response) return std::unexpected(failure_error(response.error(), what));
  if (response->status != 201) {
    Error error = status_error(*response, what);
    image::Digest actual = hasher.finish();
    if (actual.str() != digest)
      return fail(error.message() + " (the data read hashes to " + actual.str() + ")");
    return std::unexpected(std::move(error));
  }
  done = true;
  return {};
}

Result<bool> RegistryClient::mount_blob(const std::string& repository, const std::string& digest,
                                        const std::string& from_repository) {
  const std::string what =
      "mount blob " + digest + " from " + from_repository + " into " + display(repository);
  Request request;
  request.method = "POST";
  request.url = url("/v2/" + repository + "/blobs/uploads/?mount=" + url_encode(digest) +
                    "&from=" + url_encode(from_repository));
  request.scope = repo_scope(repository, true) + " repository:" + from_repository + ":pull";
  HttpResponse response = KRILL_TRY(call(request, what, {201, 202}));
  if (response.status == 201) return true;
  // The registry started an ordinary upload instead: cancel it.
  if (auto location = response.header("Location"); location && !location->empty()) {
    Request cancel;
    cancel.method = "DELETE";
    cancel.url = resolve(*location);
    cancel.scope = repo_scope(repository, true);
    cancel.retry = false;
    (void)send(cancel);
  }
  return false;
}

Result<std::string> RegistryClient::put_manifest(const std::string& repository,
                                                 const std::string& reference,
                                                 const std::string& media_type,
                                                 const std::string& body) {
  const std::string what = "push manifest " + display(repository) +
                           (reference.find(':') != std::string::npos ? "@" : ":") + reference;
  Request request;
  request.method = "PUT";
  request.url = url("/v2/" + repository + "/manifests/" + reference);
  request.scope = repo_scope(repository, true);
  request.body = std::string_view(body);
  request.headers.push_back("Content-Type: " + media_type);
  HttpResponse response = KRILL_TRY(call(request, what, {200, 201}));
  std::string computed = image::sha256_of(body).str();
  if (auto header = response.header("Docker-Content-Digest"); header && !header->empty()) {
    if (header->starts_with("sha256:") && *header != computed)
      return fail(what + ": registry reports digest " + *header + " but the manifest hashes to " +
                  computed);
    return *header;
  }
  return computed;
}

}  // namespace krill::transport
