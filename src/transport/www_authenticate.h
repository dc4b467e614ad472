// Parsing of WWW-Authenticate challenges (RFC 7235), as registries send them:
//   Bearer
//   realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a:pull"
//   Basic realm="Registry Realm"
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krill::transport {

struct AuthChallenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lower case, values unquoted
  std::string token68;                        // rare: "Negotiate abc=="

  std::optional<std::string> param(const std::string& name) const;
};

// Parses one header value, which may hold several challenges separated by commas.
// Malformed trailing input is ignored; what was parsed before it is kept.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

// All challenges of several header values (a response may carry several WWW-Authenticate).
std::vector<AuthChallenge> parse_www_authenticate(const std::vector<std::string>& headers);

}  // namespace krill::transport
