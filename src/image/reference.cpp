// Docker's reference grammar (distribution/reference regexp.go), hand-matched:
//   reference       := name [ ":" tag ] [ "@" digest ]
//   name            := [domain '/'] remote-name
//   domain          := host [':' port-number]
//   host            := domain-name | IPv4address | \[ IPv6address \]
//   domain-name     := domain-component ['.' domain-component]*
//   domain-component:= /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   remote-name     := path-component ['/' path-component]*
//   path-component  := alpha-numeric [separator alpha-numeric]*
//   alpha-numeric   := /[a-z0-9]+/
//   separator       := /[_.]|__|[-]+/
//   tag             := /[\w][\w.-]{0,127}/
//   digest          := algorithm ":" hex (hex at least 32 digits)
#include "image/reference.h"

#include <algorithm>

#include "base/quoted.h"
#include "image/registries_conf.h"

namespace krill::image {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_hex(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }


bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    // A separator: "_", ".", "__", or one or more "-".
    size_t start = i;
    if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else {
      return false;
    }
    if (i == start || i >= c.size() || !is_lower_alnum(c[i])) return false;
  }
  return true;
}

bool valid_remote_name(std::string_view path) {
  if (path.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view comp = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!valid_path_component(comp)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool valid_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) { return is_alnum(ch) || ch == '-'; });
}

bool valid_port(std::string_view p) {
  return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d;
  std::string_view port;
  if (d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view ip6 = d.substr(1, close - 1);
    if (ip6.empty() ||
        !std::all_of(ip6.begin(), ip6.end(), [](char c) { return is_hex(c) || c == ':'; }))
      return false;
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    return valid_port(rest.substr(1));
  }
  if (size_t colon = d.find(':'); colon != std::string_view::npos) {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (!valid_port(port)) return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view comp =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_domain_component(comp)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTagLength || !is_word(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// The reference grammar's digest, then go-digest's validation: only sha256, sha384
// and sha512 are available, with lowercase hex of the exact length.
Result<void> check_reference_digest(std::string_view d) {
  size_t colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail("invalid reference format: digest " + quote(d) + " is not algorithm:hex");
  std::string_view algorithm = d.substr(0, colon);
  std::string_view hex = d.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_hex))
    return fail("invalid reference format: digest " + quote(d) +
                " needs at least 32 hexadecimal digits");
  size_t want = 0;
  if (algorithm == "sha256")
    want = 64;
  else if (algorithm == "sha384")
    want = 96;
  else if (algorithm == "sha512")
    want = 128;
  else
    return fail("unsupported digest algorithm " + quote(algorithm) + " in " + quote(d));
  if (hex.size() != want || !std::all_of(hex.begin(), hex.end(), is_lower_hex))
    return fail("invalid checksum digest format: " + quote(d) + " needs " + std::to_string(want) +
                " lowercase hexadecimal digits");
  return {};
}

bool is_64_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), is_lower_hex);
}

}  // namespace

std::string Reference::repository() const { return domain + "/" + path; }

std::string Reference::str() const {
  std::string out = repository();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return repository();
  std::string_view p = path;
  if (p.starts_with(kOfficialRepositoryPrefix) &&
      p.find('/', kOfficialRepositoryPrefix.size()) == std::string_view::npos)
    p.remove_prefix(kOfficialRepositoryPrefix.size());
  return std::string(p);
}

std::string Reference::familiar() const {
  std::string out = familiar_name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty())
    return fail("invalid reference format: repository name must have at least one component");
  std::string whole(text);
  if (is_64_hex(text))
    return fail("invalid repository name (" + whole +
                "), cannot specify 64-byte hexadecimal strings");

  Reference ref;
  // The digest follows the first '@'.
  std::string_view name = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(text.substr(at + 1));
    name = text.substr(0, at);
    KRILL_CHECK_CTX(check_reference_digest(ref.digest), "parse reference " + quote(text));
  }
  // The tag follows a ':' after the last '/' (a ':' before it is the registry port).
  size_t last_slash = name.rfind('/');
  size_t tag_colon = name.find(':', last_slash == std::string_view::npos ? 0 : last_slash);
  if (tag_colon != std::string_view::npos) {
    ref.tag = std::string(name.substr(tag_colon + 1));
    name = name.substr(0, tag_colon);
    if (!valid_tag(ref.tag)) {
      if (ref.tag.size() > kMaxTagLength)
        return fail("invalid reference format: tag in " + quote(text) + " is longer than " +
                    std::to_string(kMaxTagLength) + " characters");
      return fail("invalid reference format: invalid tag " + quote(ref.tag) + " in " + quote(text));
    }
  }
  if (name.empty())
    return fail("invalid reference format: repository name must have at least one component");

  // splitDockerDomain: the first component is a registry when it contains '.' or ':',
  // is "localhost", or has uppercase letters.
  std::string_view remainder = name;
  size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    bool lower =
        std::none_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || !lower) {
      ref.domain = std::string(first);
      remainder = name.substr(slash + 1);
    }
  }
  if (ref.domain.empty()) {
    ref.domain = std::string(kDefaultDomain);
    ref.is_unqualified = true;
  }
  if (ref.domain == kLegacyDefaultDomain) ref.domain = std::string(kDefaultDomain);
  ref.path = std::string(remainder);
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path = std::string(kOfficialRepositoryPrefix) + ref.path;

  if (std::any_of(remainder.begin(), remainder.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return fail("invalid reference format: repository name (" + std::string(remainder) +
                ") must be lowercase");
  if (!valid_domain(ref.domain))
    return fail("invalid reference format: invalid registry " + quote(ref.domain) + " in " + quote(text));
  if (!valid_remote_name(ref.path))
    return fail("invalid reference format: invalid repository name " + quote(remainder) + " in " +
                quote(text));
  if (ref.repository().size() > kMaxNameLength)
    return fail("invalid reference format: repository name " + quote(ref.repository()) +
                " is longer than " + std::to_string(kMaxNameLength) + " characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return ref;
}

Result<std::vector<Reference>> resolve_short_name(std::string_view text,
                                                  const RegistriesConf& conf) {
  Reference parsed = KRILL_TRY(parse_reference(text));
  if (!parsed.is_unqualified) return std::vector<Reference>{parsed};

  // The name as typed, without tag or digest, for alias lookup.
  std::string_view bare = text.substr(0, text.find('@'));
  if (size_t colon = bare.find(':'); colon != std::string_view::npos) bare = bare.substr(0, colon);
  const std::string* alias = conf.find_alias(bare);
  if (alias == nullptr) alias = conf.find_alias(parsed.path);
  if (alias != nullptr) {
    Reference target = KRILL_TRY(parse_reference(*alias));
    if (!parsed.digest.empty() || text.find(':') != std::string_view::npos) {
      target.tag = parsed.tag;
      target.digest = parsed.digest;
    }
    return std::vector<Reference>{target};
  }

  std::vector<std::string> registries = conf.unqualified_search_registries;
  if (registries.empty()) registries.push_back(std::string(kDefaultDomain));
  std::vector<Reference> out;
  for (const std::string& registry : registries) {
    Result<Reference> candidate = parse_reference(registry + "/" + std::string(text));
    if (!candidate)
      return std::unexpected(
          std::move(candidate.error())
              .context("resolve " + quote(text) + " with search registry " + quote(registry)));
    candidate->is_unqualified = true;
    out.push_back(std::move(*candidate));
  }
  return out;
}

}  // namespace krill::image
