#include "image/digest.h"

#include <fcntl.h>
// SHA256_Init & co. are deprecated since OpenSSL 3.0; see Hasher in digest.h for why they are used.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <unistd.h>

#include <vector>

#include "base/unique_fd.h"

namespace krill::image {
namespace {

constexpr size_t kQuoteLimit = 100;

// The text quoted for an error message, cut so hostile input stays readable.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  if (text.size() > kQuoteLimit) {
    out += text.substr(0, kQuoteLimit);
    out += "...";
  } else {
    out += text;
  }
  return out + "\"";
}

bool known_algorithm(std::string_view algorithm) {
  return algorithm == "sha256" || algorithm == "sha512";
}

size_t hex_length_for(std::string_view algorithm) { return algorithm == "sha512" ? 128 : 64; }

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_hex_upper(char c) { return c >= 'A' && c <= 'F'; }

// algorithm ::= [a-z0-9]+ ([+._-] [a-z0-9]+)*
bool algorithm_matches_grammar(std::string_view algorithm) {
  bool need_component = true;
  for (char c : algorithm) {
    if (is_lower_alnum(c)) {
      need_component = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      if (need_component) return false;
      need_component = true;
    } else {
      return false;
    }
  }
  return !need_component;
}

// encoded ::= [a-zA-Z0-9=_-]+
bool encoded_matches_grammar(std::string_view encoded) {
  if (encoded.empty()) return false;
  for (char c : encoded) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '=' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

constexpr std::string_view kSupported = "supported are sha256, sha512";

}  // namespace

bool is_supported_digest_algorithm(std::string_view algorithm) {
  return known_algorithm(algorithm);
}

Result<Digest> Digest::parse(std::string_view text) {
  const std::string invalid = "invalid digest " + quoted(text) + ": ";
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail(invalid + "missing ':' between algorithm and encoded part");
  const std::string_view algorithm = text.substr(0, colon);
  const std::string_view encoded = text.substr(colon + 1);
  if (!algorithm_matches_grammar(algorithm))
    return fail(invalid + "algorithm must match [a-z0-9]+([+._-][a-z0-9]+)*");
  if (!encoded_matches_grammar(encoded))
    return fail(invalid + "encoded part must match [a-zA-Z0-9=_-]+");
  if (!is_supported_digest_algorithm(algorithm))
    return fail("unsupported digest algorithm " + quoted(algorithm) + " in " + quoted(text) + ": " +
                std::string(kSupported));
  for (char c : encoded) {
    if (is_hex_lower(c)) continue;
    if (is_hex_upper(c)) return fail(invalid + std::string(algorithm) + " needs lowercase hex");
    return fail(invalid + std::string(algorithm) + " needs hex digits, found '" +
                std::string(1, c) + "'");
  }
  const size_t want = hex_length_for(algorithm);
  if (encoded.size() != want)
    return fail(invalid + std::string(algorithm) + " needs " + std::to_string(want) +
                " hex characters, got " + std::to_string(encoded.size()));
  return Digest(std::string(algorithm), std::string(encoded));
}

std::string Digest::str() const {
  if (empty()) return {};
  return algorithm_ + ":" + hex_;
}

struct Hasher::State {
  bool sha512 = false;
  SHA256_CTX sha256_ctx{};
  SHA512_CTX sha512_ctx{};
  void reset() {
    if (sha512)
      SHA512_Init(&sha512_ctx);
    else
      SHA256_Init(&sha256_ctx);
  }
};

void Hasher::StateDeleter::operator()(State* state) const { delete state; }

Hasher::~Hasher() = default;

Result<Hasher> Hasher::create(std::string_view algorithm) {
  if (!known_algorithm(algorithm))
    return fail("unsupported digest algorithm " + quoted(algorithm) + ": " +
                std::string(kSupported));
  std::unique_ptr<State, StateDeleter> state(new State);
  state->sha512 = algorithm == "sha512";
  state->reset();
  return Hasher(std::string(algorithm), std::move(state));
}

void Hasher::update(std::span<const std::byte> data) {
  if (data.empty()) return;
  if (state_->sha512)
    SHA512_Update(&state_->sha512_ctx, data.data(), data.size());
  else
    SHA256_Update(&state_->sha256_ctx, data.data(), data.size());
  bytes_ += data.size();
}

void Hasher::update(std::string_view data) { update(std::as_bytes(std::span(data))); }

Digest Hasher::finish() {
  unsigned char raw[SHA512_DIGEST_LENGTH];
  unsigned int length = state_->sha512 ? SHA512_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
  if (state_->sha512)
    SHA512_Final(raw, &state_->sha512_ctx);
  else
    SHA256_Final(raw, &state_->sha256_ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[raw[i] >> 4];
    hex += kHex[raw[i] & 0xf];
  }
  // Start over so the hasher can be reused.
  state_->reset();
  bytes_ = 0;
  return Digest(algorithm_, std::move(hex));
}

Digest sha256_of(std::string_view data) {
  Result<Hasher> hasher = Hasher::create("sha256");
  hasher->update(data);
  return hasher->finish();
}

Result<Digest> digest_file(const std::string& path, std::string_view algorithm) {
  Hasher hasher = KRILL_TRY(Hasher::create(algorithm));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("hash " + path);
  std::vector<std::byte> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("hash " + path);
    }
    if (n == 0) break;
    hasher.update(std::span(buffer.data(), static_cast<size_t>(n)));
  }
  return hasher.finish();
}

}  // namespace krill::image
