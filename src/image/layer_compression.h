// Layer blob compression: detection by magic number and a streaming reader that
// digests the compressed bytes, decompresses them and digests the result (the diffID).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::image {

enum class Compression { kNone, kGzip, kZstd };

// "none", "gzip", "zstd".
std::string_view compression_name(Compression compression);

// By magic number: gzip 1f 8b, zstd 28 b5 2f fd (or a skippable frame, 5X 2a 4d 18);
// anything else (a plain tar) is kNone. Needs up to 4 bytes; fewer bytes give kNone.
Compression detect_compression(std::span<const std::byte> first_bytes);

// One pass over a layer blob read from an fd (pipe, socket or file): every byte read
// is hashed (the compressed digest) and counted, then decompressed (gzip through
// libarchive's filter, zstd through libzstd, plain tar passed through), and the
// decompressed bytes are hashed too (the diffID). Memory stays bounded: a few
// fixed buffers plus the decompressor's window. Not copyable or movable (libarchive
// keeps a pointer to it).
class LayerStream {
 public:
  struct Options {
    // 0 = unlimited. Exceeding it is an error:
    // "layer exceeds the limit of N bytes uncompressed".
    uint64_t max_uncompressed_bytes = 0;
    // Called after each read from the fd with the total compressed bytes so far.
    std::function<void(uint64_t compressed_bytes)> progress;
    // Receives every compressed byte as it is read (the one-pass pull writes the blob with it).
    // Its error stops the stream. When set, the compressed bytes are not hashed here:
    // compressed_digest() is then "" and the sink's owner digests them.
    std::function<Result<void>(std::span<const std::byte>)> compressed_sink;
  };

  // Reads the first bytes to detect the compression. Errors: "read layer: ...",
  // "layer is empty".
  static Result<std::unique_ptr<LayerStream>> open(int fd, Options options);
  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  // Fills `buffer` with up to buffer.size() decompressed bytes; 0 at the end of the
  // stream. Errors are sticky: once read failed, it fails again with the same error.
  // Truncated input: "truncated gzip layer: ...", "truncated zstd layer".
  Result<size_t> read(std::span<std::byte> buffer);
  // Reads (and digests) everything left, e.g. the zero blocks after a tar's end.
  Result<void> drain();

  Compression compression() const;
  // Valid after read() returned 0 (or drain() succeeded): "sha256:..." ("" with a
  // compressed_sink).
  std::string compressed_digest();
  std::string diff_id();
  uint64_t compressed_size() const;
  uint64_t uncompressed_size() const;

 private:
  struct State;
  explicit LayerStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace krill::image
