#include "transport/registry_auth_cache.h"

namespace krill::transport {

std::optional<std::string> RegistryAuthCache::token(const std::string& scope) const {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(scope);
  if (it == tokens_.end() || Clock::now() >= it->second.expires) return std::nullopt;
  return it->second.header;
}

void RegistryAuthCache::put_token(const std::string& scope, std::string header,
                                  Clock::time_point expires) {
  std::lock_guard lock(mutex_);
  tokens_[scope] = Token{std::move(header), expires};
}

void RegistryAuthCache::drop_token(const std::string& scope) {
  std::lock_guard lock(mutex_);
  tokens_.erase(scope);
}

std::optional<RegistryAuthCache::Bearer> RegistryAuthCache::bearer() const {
  std::lock_guard lock(mutex_);
  return bearer_;
}

void RegistryAuthCache::set_bearer(Bearer bearer) {
  std::lock_guard lock(mutex_);
  bearer_ = std::move(bearer);
}

bool RegistryAuthCache::basic() const {
  std::lock_guard lock(mutex_);
  return basic_;
}

void RegistryAuthCache::set_basic() {
  std::lock_guard lock(mutex_);
  basic_ = true;
}

}  // namespace krill::transport
