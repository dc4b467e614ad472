// What a registry told one pull or push about authentication — the bearer challenge (realm,
// service), whether it wants basic auth, and the bearer tokens obtained per scope — shared by
// the RegistryClients that transfer blobs in parallel (transport/docker_transport.cpp's pool),
// so that one token per scope serves every thread. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace krill::transport {

class RegistryAuthCache {
 public:
  using Clock = std::chrono::steady_clock;

  // The Authorization header for `scope` when a token for it has not expired.
  std::optional<std::string> token(const std::string& scope) const;
  void put_token(const std::string& scope, std::string header, Clock::time_point expires);
  void drop_token(const std::string& scope);

  struct Bearer {
    std::string realm, service;
  };
  // The last bearer challenge (nullopt before any): tokens for new scopes are fetched up front.
  std::optional<Bearer> bearer() const;
  void set_bearer(Bearer bearer);
  bool basic() const;
  void set_basic();

  // Held while a token is fetched, so that threads needing the same token wait for one fetch
  // instead of each making their own.
  std::mutex& fetch_mutex() { return fetch_mutex_; }

 private:
  struct Token {
    std::string header;  // "Bearer ..."
    Clock::time_point expires;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Token> tokens_;
  std::optional<Bearer> bearer_;
  bool basic_ = false;
  std::mutex fetch_mutex_;
};

}  // namespace krill::transport
