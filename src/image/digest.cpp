#include "image/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
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

const EVP_MD* evp_for(std::string_view algorithm) {
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "sha512") return EVP_sha512();
  return nullptr;
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
  return evp_for(algorithm) != nullptr;
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

void Hasher::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Hasher::~Hasher() = default;

Result<Hasher> Hasher::create(std::string_view algorithm) {
  const EVP_MD* md = evp_for(algorithm);
  if (md == nullptr)
    return fail("unsupported digest algorithm " + quoted(algorithm) + ": " +
                std::string(kSupported));
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return fail("create " + std::string(algorithm) + " hasher: out of memory");
  if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
    return fail("initialise " + std::string(algorithm) + " hasher: OpenSSL refused");
  return Hasher(std::string(algorithm), std::move(ctx));
}

void Hasher::update(std::span<const std::byte> data) {
  if (data.empty()) return;
  EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
  bytes_ += data.size();
}

void Hasher::update(std::string_view data) { update(std::as_bytes(std::span(data))); }

Digest Hasher::finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_.get(), raw, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[raw[i] >> 4];
    hex += kHex[raw[i] & 0xf];
  }
  // Start over so the hasher can be reused.
  EVP_DigestInit_ex(ctx_.get(), evp_for(algorithm_), nullptr);
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
