// A tiny HTTP/1.1 server on 127.0.0.1 for tests: one thread, one request per connection, the
// handler returns the raw response bytes (so tests can send truncated or malformed answers).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/unique_fd.h"

namespace krill::transport::testing {

struct FakeRequest {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const;                     // "" when absent
  std::string path() const;                                              // target without the query
  std::vector<std::string> query_values(const std::string& name) const;  // decoded
};

class FakeHttpServer {
 public:
  using Handler = std::function<std::string(const FakeRequest&)>;
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }
  int requests() const { return requests_.load(); }

 private:
  void serve();
  Handler handler_;
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// "HTTP/1.1 <status> <reason>" with Content-Length (unless a header overrides it) and
// Connection: close.
std::string http_response(int status, const std::string& body,
                          const std::vector<std::string>& headers = {});

}  // namespace krill::transport::testing
