// OCI content digests (image-spec descriptor.md) and streaming hashing.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::image {

// A verified-syntax digest "<algorithm>:<hex>" of a registered algorithm:
// "sha256:" + 64 lowercase hex digits, or "sha512:" + 128 lowercase hex digits.
class Digest {
 public:
  // An empty digest (algorithm and hex empty): a placeholder for aggregates
  // that are filled in later. Never produced by parse() or Hasher.
  Digest() = default;

  // Errors (the text is quoted, cut to 100 characters):
  //   invalid digest "abc": missing ':' between algorithm and encoded part
  //   invalid digest "sha256:AB..": sha256 needs lowercase hex
  //   invalid digest "sha256:ab": sha256 needs 64 hex characters, got 2
  //   unsupported digest algorithm "md5" in "md5:..": supported are sha256, sha512
  static Result<Digest> parse(std::string_view text);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  // "sha256:<hex>"; "" for an empty digest.
  std::string str() const;
  bool empty() const { return algorithm_.empty(); }

  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;  // by algorithm, then hex

 private:
  friend class Hasher;
  Digest(std::string algorithm, std::string hex)
      : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}

  std::string algorithm_;
  std::string hex_;
};

// True for the algorithms Digest and Hasher accept: "sha256", "sha512".
bool is_supported_digest_algorithm(std::string_view algorithm);

// Streaming hash over OpenSSL's SHA-2 functions. Move-only.
//
// They are OpenSSL's low-level SHA256_*/SHA512_* calls, deprecated in 3.0 in favour of EVP, on
// purpose: EVP initialises the library on first use (reads openssl.cnf, sets up the providers,
// fetches the algorithm) and registers a clean-up at exit, which cost about 2 ms of every
// `krill run` for the one small blob it verifies; the low-level calls run the same assembly
// without any of that. Should a future OpenSSL drop them, EVP is the drop-in replacement.
class Hasher {
 public:
  // Error: unsupported digest algorithm "md5": supported are sha256, sha512
  static Result<Hasher> create(std::string_view algorithm = "sha256");

  Hasher(Hasher&&) noexcept = default;
  Hasher& operator=(Hasher&&) noexcept = default;
  ~Hasher();

  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // The digest of everything passed to update() since creation (or the last
  // finish()); the hasher then starts over, empty.
  Digest finish();
  // Bytes passed to update() since creation (or the last finish()).
  uint64_t bytes() const { return bytes_; }
  const std::string& algorithm() const { return algorithm_; }

 private:
  struct State;  // digest.cpp
  struct StateDeleter {
    void operator()(State* state) const;
  };
  Hasher(std::string algorithm, std::unique_ptr<State, StateDeleter> state)
      : algorithm_(std::move(algorithm)), state_(std::move(state)) {}

  std::string algorithm_;
  std::unique_ptr<State, StateDeleter> state_;
  uint64_t bytes_ = 0;
};

// sha256 of a byte string; "sha256:e3b0c442…" for "".
Digest sha256_of(std::string_view data);

// Hashes a whole file, streaming. Error: "hash /x/y: No such file or directory".
Result<Digest> digest_file(const std::string& path, std::string_view algorithm = "sha256");

}  // namespace krill::image

template <>
struct std::hash<krill::image::Digest> {
  size_t operator()(const krill::image::Digest& d) const noexcept {
    return std::hash<std::string>()(d.hex()) ^ std::hash<std::string>()(d.algorithm());
  }
};
