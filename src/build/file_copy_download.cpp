// ADD https://…: a libcurl download into a file, checksum-verified, removed when it fails.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "base/unique_fd.h"
#include "build/file_copy.h"
#include "image/digest.h"
#include "transport/curl_library.h"

namespace krill::build {
namespace {

using transport::CurlLibrary;

struct CurlDeleter {
  const CurlLibrary* api;
  void operator()(CURL* curl) const { api->easy_cleanup(curl); }
};

struct DownloadSink {
  int fd = -1;
  image::Hasher* hasher = nullptr;
  int write_errno = 0;
};

size_t write_to_sink(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<DownloadSink*>(user);
  size_t total = size * count;
  size_t done = 0;
  while (done < total) {
    ssize_t n = ::write(sink->fd, data + done, total - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      sink->write_errno = errno;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(n);
  }
  sink->hasher->update(std::string_view(data, total));
  return total;
}

// Checks "sha256:<hex>" syntax up front, so a bad checksum fails before any download.
Result<std::optional<image::Digest>> parse_checksum(const std::string& checksum) {
  if (checksum.empty()) return std::nullopt;
  auto digest = image::Digest::parse(checksum);
  if (!digest) return fail("invalid checksum: " + digest.error().message());
  return *digest;
}

void configure(const CurlLibrary& api, CURL* curl, const std::string& url, DownloadSink& sink,
               char* error_buffer) {
  api.easy_setopt(curl, CURLOPT_URL, url.c_str());
  api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  api.easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  api.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  api.easy_setopt(curl, CURLOPT_FILETIME, 1L);
  api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  api.easy_setopt(curl, CURLOPT_USERAGENT, "krill");
  api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_sink);
  api.easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
}

Result<std::optional<int64_t>> fetch(const CurlLibrary& api, CURL* curl, const std::string& url,
                                     DownloadSink& sink,
                                     const std::optional<image::Digest>& expected) {
  char error_buffer[CURL_ERROR_SIZE] = {};
  configure(api, curl, url, sink, error_buffer);
  CURLcode code = api.easy_perform(curl);
  if (code != CURLE_OK) {
    if (sink.write_errno != 0) return fail_errno("download " + url + ": write", sink.write_errno);
    std::string why = error_buffer[0] != '\0' ? error_buffer : api.easy_strerror(code);
    return fail("download " + url + ": " + why);
  }
  long status = 0;
  api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) return fail("download " + url + ": HTTP status " + std::to_string(status));
  image::Digest actual = sink.hasher->finish();
  if (expected && actual != *expected) {
    return fail("download " + url + ": checksum mismatch: expected " + expected->str() + ", got " +
                actual.str());
  }
  curl_off_t filetime = -1;
  api.easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
  if (filetime < 0) return std::optional<int64_t>();
  return std::optional<int64_t>(static_cast<int64_t>(filetime));
}

}  // namespace

Result<std::optional<int64_t>> download_url(const std::string& url, const std::string& file,
                                            const std::string& checksum) {
  std::optional<image::Digest> expected = KRILL_TRY(parse_checksum(checksum));
  std::string algorithm = expected ? expected->algorithm() : "sha256";
  image::Hasher hasher = KRILL_TRY(image::Hasher::create(algorithm));
  const CurlLibrary* api = KRILL_TRY(transport::curl_library());
  std::unique_ptr<CURL, CurlDeleter> curl(api->easy_init(), CurlDeleter{api});
  if (!curl) return fail("download " + url + ": cannot initialize libcurl");
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("download " + url + ": create " + file);
  ::fchmod(fd.get(), 0600);
  DownloadSink sink{fd.get(), &hasher};
  auto result = fetch(*api, curl.get(), url, sink, expected);
  if (result && ::fsync(fd.get()) != 0) result = fail_errno("download " + url + ": sync " + file);
  fd.reset();
  if (!result) ::unlink(file.c_str());
  return result;
}

}  // namespace krill::build
