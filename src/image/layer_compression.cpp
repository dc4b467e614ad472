#include "image/layer_compression.h"

#include <unistd.h>
#include <zstd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <vector>

#include "image/digest.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::image {
namespace {

constexpr size_t kInputBufferSize = 128 * 1024;
constexpr size_t kMagicBytes = 4;

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ZstdDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

}  // namespace

std::string_view compression_name(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

Compression detect_compression(std::span<const std::byte> first_bytes) {
  auto at = [&](size_t i) { return std::to_integer<unsigned>(first_bytes[i]); };
  if (first_bytes.size() >= 2 && at(0) == 0x1f && at(1) == 0x8b) return Compression::kGzip;
  if (first_bytes.size() >= 4) {
    if (at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd) return Compression::kZstd;
    if ((at(0) & 0xf0) == 0x50 && at(1) == 0x2a && at(2) == 0x4d && at(3) == 0x18) {
      return Compression::kZstd;  // a skippable frame (e.g. zstd:chunked metadata first)
    }
  }
  return Compression::kNone;
}

struct LayerStream::State {
  int fd = -1;
  Options options;
  Compression compression = Compression::kNone;
  Hasher compressed_hasher;
  Hasher uncompressed_hasher;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  std::optional<Error> error;  // sticky

  // Bytes read ahead for detection, handed out first.
  std::array<std::byte, kMagicBytes> prefix{};
  size_t prefix_size = 0;
  size_t prefix_pos = 0;
  bool input_eof = false;
  std::vector<std::byte> input;  // raw input buffer (gzip callback, zstd)

  // gzip: libarchive "raw" format over its gzip filter.
  std::unique_ptr<archive, ArchiveReadDeleter> gzip;
  // zstd
  std::unique_ptr<ZSTD_DCtx, ZstdDeleter> zstd;
  ZSTD_inBuffer zstd_in{nullptr, 0, 0};
  bool zstd_frame_complete = true;

  bool finished = false;
  std::optional<std::string> compressed_digest;
  std::optional<std::string> diff_id;

  State(Hasher c, Hasher u) : compressed_hasher(std::move(c)), uncompressed_hasher(std::move(u)) {}

  // Reads compressed bytes (prefix first), hashing and counting them. 0 at EOF.
  Result<size_t> read_input(std::byte* buffer, size_t size) {
    if (prefix_pos < prefix_size) {
      const size_t n = std::min(size, prefix_size - prefix_pos);
      std::copy_n(prefix.data() + prefix_pos, n, buffer);
      prefix_pos += n;
      return n;  // already hashed when it was read
    }
    if (input_eof) return size_t{0};
    ssize_t n;
    do {
      n = ::read(fd, buffer, size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail_errno("read layer");
    if (n == 0) {
      input_eof = true;
      return size_t{0};
    }
    KRILL_CHECK(account_input(buffer, static_cast<size_t>(n)));
    return static_cast<size_t>(n);
  }

  Result<void> account_input(const std::byte* data, size_t n) {
    std::span<const std::byte> bytes(data, n);
    if (options.compressed_sink) {
      KRILL_CHECK(options.compressed_sink(bytes));
    } else {
      compressed_hasher.update(bytes);
    }
    compressed_size += n;
    if (options.progress) options.progress(compressed_size);
    return {};
  }

  static la_ssize_t gzip_read_callback(archive*, void* client, const void** out) {
    auto* self = static_cast<State*>(client);
    auto n = self->read_input(self->input.data(), self->input.size());
    if (!n) {
      if (!self->error) self->error = std::move(n.error());
      return ARCHIVE_FATAL;
    }
    *out = self->input.data();
    return static_cast<la_ssize_t>(*n);
  }

  Result<void> start_gzip() {
    input.resize(kInputBufferSize);
    gzip.reset(archive_read_new());
    if (!gzip) return fail("decompress gzip layer: out of memory");
    archive_read_support_filter_gzip(gzip.get());
    archive_read_support_format_raw(gzip.get());
    if (archive_read_open(gzip.get(), this, nullptr, &gzip_read_callback, nullptr) != ARCHIVE_OK) {
      return gzip_failure();
    }
    archive_entry* entry = nullptr;
    if (archive_read_next_header(gzip.get(), &entry) != ARCHIVE_OK) return gzip_failure();
    return {};
  }

  std::unexpected<Error> gzip_failure() {
    if (error) return std::unexpected(*error);
    const char* message = archive_error_string(gzip.get());
    std::string text = message ? message : "unknown error";
    if (input_eof || text.find("runcated") != std::string::npos) {
      return fail("truncated gzip layer: " + text);
    }
    return fail("decompress gzip layer: " + text);
  }

  Result<size_t> read_gzip(std::span<std::byte> buffer) {
    const la_ssize_t n = archive_read_data(gzip.get(), buffer.data(), buffer.size());
    if (n < 0) return gzip_failure();
    return static_cast<size_t>(n);
  }

  Result<void> start_zstd() {
    input.resize(ZSTD_DStreamInSize() > kInputBufferSize ? ZSTD_DStreamInSize() : kInputBufferSize);
    zstd.reset(ZSTD_createDCtx());
    if (!zstd) return fail("decompress zstd layer: out of memory");
    zstd_in = ZSTD_inBuffer{input.data(), 0, 0};
    zstd_frame_complete = true;
    return {};
  }

  Result<size_t> read_zstd(std::span<std::byte> buffer) {
    while (true) {
      if (zstd_in.pos == zstd_in.size && !input_eof) {
        const size_t n = KRILL_TRY(read_input(input.data(), input.size()));
        zstd_in = ZSTD_inBuffer{input.data(), n, 0};
      }
      if (zstd_in.pos == zstd_in.size && input_eof && zstd_frame_complete) return size_t{0};
      ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
      const size_t ret = ZSTD_decompressStream(zstd.get(), &out, &zstd_in);
      if (ZSTD_isError(ret)) {
        return fail(std::string("decompress zstd layer: ") + ZSTD_getErrorName(ret));
      }
      zstd_frame_complete = ret == 0;
      if (out.pos > 0) return out.pos;
      if (zstd_in.pos == zstd_in.size && input_eof) {
        if (!zstd_frame_complete) {
          return fail("truncated zstd layer: the input ends inside a frame");
        }
        return size_t{0};
      }
    }
  }

  Result<size_t> read_decompressed(std::span<std::byte> buffer) {
    switch (compression) {
      case Compression::kGzip:
        return read_gzip(buffer);
      case Compression::kZstd:
        return read_zstd(buffer);
      case Compression::kNone:
        break;
    }
    return read_input(buffer.data(), buffer.size());
  }
};

LayerStream::LayerStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
LayerStream::~LayerStream() = default;

Result<std::unique_ptr<LayerStream>> LayerStream::open(int fd, Options options) {
  auto compressed = KRILL_TRY(Hasher::create("sha256"));
  auto uncompressed = KRILL_TRY(Hasher::create("sha256"));
  auto state = std::make_unique<State>(std::move(compressed), std::move(uncompressed));
  state->fd = fd;
  state->options = std::move(options);

  // Read ahead just enough for the magic number.
  while (state->prefix_size < kMagicBytes) {
    ssize_t n =
        ::read(fd, state->prefix.data() + state->prefix_size, kMagicBytes - state->prefix_size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read layer");
    if (n == 0) {
      state->input_eof = true;
      break;
    }
    KRILL_CHECK(
        state->account_input(state->prefix.data() + state->prefix_size, static_cast<size_t>(n)));
    state->prefix_size += static_cast<size_t>(n);
  }
  if (state->prefix_size == 0) return fail("layer is empty");
  state->compression =
      detect_compression(std::span<const std::byte>(state->prefix.data(), state->prefix_size));
  if (state->compression == Compression::kGzip) KRILL_CHECK(state->start_gzip());
  if (state->compression == Compression::kZstd) KRILL_CHECK(state->start_zstd());
  return std::unique_ptr<LayerStream>(new LayerStream(std::move(state)));
}

Result<size_t> LayerStream::read(std::span<std::byte> buffer) {
  State& s = *state_;
  if (s.error) return std::unexpected(*s.error);
  if (s.finished || buffer.empty()) return size_t{0};
  auto n = s.read_decompressed(buffer);
  if (!n) {
    if (!s.error) s.error = std::move(n.error());
    return std::unexpected(*s.error);
  }
  if (*n == 0) {
    s.finished = true;
    return size_t{0};
  }
  s.uncompressed_size += *n;
  if (s.options.max_uncompressed_bytes != 0 &&
      s.uncompressed_size > s.options.max_uncompressed_bytes) {
    s.error = Error("layer exceeds the limit of " +
                    std::to_string(s.options.max_uncompressed_bytes) + " bytes uncompressed");
    return std::unexpected(*s.error);
  }
  s.uncompressed_hasher.update(std::span<const std::byte>(buffer.data(), *n));
  return *n;
}

Result<void> LayerStream::drain() {
  std::vector<std::byte> buffer(64 * 1024);
  while (KRILL_TRY(read(buffer)) > 0) {
  }
  // A gzip or zstd stream can end before the input does (trailing bytes): they are
  // part of the blob and its digest all the same.
  if (state_->compression != Compression::kNone) {
    while (KRILL_TRY(state_->read_input(buffer.data(), buffer.size())) > 0) {
    }
  }
  return {};
}

Compression LayerStream::compression() const { return state_->compression; }

std::string LayerStream::compressed_digest() {
  if (!state_->compressed_digest) {
    state_->compressed_digest =
        state_->options.compressed_sink ? "" : state_->compressed_hasher.finish().str();
  }
  return *state_->compressed_digest;
}

std::string LayerStream::diff_id() {
  if (!state_->diff_id) state_->diff_id = state_->uncompressed_hasher.finish().str();
  return *state_->diff_id;
}

uint64_t LayerStream::compressed_size() const { return state_->compressed_size; }
uint64_t LayerStream::uncompressed_size() const { return state_->uncompressed_size; }

}  // namespace krill::image
