// The layers half of the image store: import (extract, verify, rename into place under
// a per-layer lock), layer.json, snapshot references and removal.
#include "image/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "image/layer_extract.h"

namespace krill::image {
namespace store_internal {

using Json = nlohmann::json;

Result<FileLock> FileLock::acquire(const std::string& path, bool exclusive) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("open lock file " + path);
  while (flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return fail_errno("lock " + path);
  }
  return FileLock(std::move(fd));
}

bool FileLock::try_lock(int fd) { return flock(fd, LOCK_EX | LOCK_NB) == 0; }

// A temp dir is made as ".new-*", locked, and only then renamed to ".tmp-*":
// a concurrent open() removes unlocked ".tmp-*" dirs, and must never see one
// between its creation and its lock.
Result<TempLayerDir> TempLayerDir::create(const std::string& parent) {
  std::string fresh = parent + "/.new-XXXXXX";
  if (mkdtemp(fresh.data()) == nullptr) return fail_errno("create temp dir in " + parent);
  UniqueFd fd(::open(fresh.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || flock(fd.get(), LOCK_EX) != 0) {
    int err = errno;
    rmdir(fresh.c_str());
    return fail_errno("lock temp dir " + fresh, err);
  }
  std::string templ = parent + "/.tmp-" + fresh.substr(fresh.size() - 6);
  if (::rename(fresh.c_str(), templ.c_str()) != 0) {
    int err = errno;
    rmdir(fresh.c_str());
    return fail_errno("rename temp dir " + fresh, err);
  }
  return TempLayerDir(std::move(templ), std::move(fd));
}

TempLayerDir::TempLayerDir(TempLayerDir&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::move(other.fd_)) {
  other.path_.clear();
}

TempLayerDir::~TempLayerDir() {
  if (!path_.empty()) (void)remove_all(path_);
}

Result<std::vector<std::string>> remove_stale_temp_dirs(const std::string& dir) {
  std::vector<std::string> removed;
  DIR* d = opendir(dir.c_str());
  if (!d) return fail_errno("open " + dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.starts_with(".tmp-") || name.starts_with(".new-")) names.emplace_back(name);
  }
  closedir(d);
  const time_t now = ::time(nullptr);
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    // A ".new-" dir is about to be locked by its creator; only a crash leaves one behind.
    struct stat st;
    if (name.starts_with(".new-") && (::lstat(path.c_str(), &st) != 0 || now - st.st_mtime < 60))
      continue;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd && !FileLock::try_lock(fd.get())) continue;  // a live import holds it
    KRILL_CHECK_CTX(remove_all(path), "remove abandoned " + path);
    removed.push_back(path);
  }
  return removed;
}

Result<LayerInfo> read_layer_json(const std::string& path) {
  std::string text = KRILL_TRY(read_file(path));
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(path + ": invalid JSON");
  LayerInfo info;
  info.diff_id = KRILL_TRY(Digest::parse(doc.value("diff_id", "")));
  for (const auto& c : doc.value("compressed", Json::array())) {
    Descriptor d;
    d.digest = KRILL_TRY(Digest::parse(c.value("digest", "")));
    d.size = c.value("size", int64_t{0});
    d.media_type = c.value("media_type", "");
    info.compressed.push_back(std::move(d));
  }
  info.uncompressed_size = doc.value("uncompressed_size", uint64_t{0});
  info.created = doc.value("created", "");
  return info;
}

std::string layer_json(const LayerInfo& info) {
  Json doc = Json::object();
  doc["diff_id"] = info.diff_id.str();
  Json compressed = Json::array();
  for (const auto& d : info.compressed) {
    compressed.push_back(
        {{"digest", d.digest.str()}, {"size", d.size}, {"media_type", d.media_type}});
  }
  doc["compressed"] = compressed;
  doc["uncompressed_size"] = info.uncompressed_size;
  doc["created"] = info.created;
  return doc.dump();
}

std::string now_rfc3339() { return rfc3339_nano_now(); }

}  // namespace store_internal

using namespace store_internal;

namespace {

Result<void> fsync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  if (fsync(fd.get()) != 0) return fail_errno("fsync " + path);
  return {};
}

std::string by_blob_name(const Digest& d) { return d.algorithm() + "-" + d.hex(); }

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Reads the rest of `fd` into `writer`.
Result<void> drain_into(int fd, BlobWriter& writer) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read");
    if (n == 0) return {};
    KRILL_CHECK(writer.write(std::string_view(buf, static_cast<size_t>(n))));
  }
}

}  // namespace

std::string ImageStore::layer_path(const Digest& diff_id) const {
  return layers_root() + "/" + diff_id.hex();
}
std::string ImageStore::layer_dir(const Digest& diff_id) const {
  return layer_path(diff_id) + "/diff";
}
bool ImageStore::has_layer(const Digest& diff_id) const {
  return !diff_id.empty() && exists(layer_path(diff_id) + "/layer.json") &&
         exists(layer_dir(diff_id));
}

Result<LayerInfo> ImageStore::layer_info(const Digest& diff_id) const {
  LayerInfo info = KRILL_TRY(read_layer_json(layer_path(diff_id) + "/layer.json"));
  if (DIR* d = opendir((layer_path(diff_id) + "/refs").c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') info.snapshot_refs.emplace_back(e->d_name);
    }
    closedir(d);
    std::sort(info.snapshot_refs.begin(), info.snapshot_refs.end());
  }
  return info;
}

std::optional<Digest> ImageStore::layer_for_blob(const Digest& blob) const {
  auto text = read_file(layers_root() + "/by-blob/" + by_blob_name(blob));
  if (!text) return std::nullopt;
  auto d = Digest::parse(*text);
  if (!d || !has_layer(*d)) return std::nullopt;
  return *d;
}

Result<void> ImageStore::record_layer(const std::string& dir, const Digest& diff_id,
                                      const Descriptor& blob, uint64_t uncompressed) {
  LayerInfo info;
  if (auto existing = read_layer_json(dir + "/layer.json")) {
    info = std::move(*existing);
  } else {
    info.diff_id = diff_id;
    info.uncompressed_size = uncompressed;
    info.created = now_rfc3339();
  }
  bool seen = std::any_of(info.compressed.begin(), info.compressed.end(),
                          [&](const Descriptor& d) { return d.digest == blob.digest; });
  if (!seen && !blob.digest.empty()) {
    Descriptor d;
    d.digest = blob.digest;
    d.size = blob.size;
    d.media_type = blob.media_type;
    info.compressed.push_back(std::move(d));
  } else if (exists(dir + "/layer.json")) {
    return {};
  }
  return write_file_atomic(dir + "/layer.json", layer_json(info), 0644);
}

namespace {

// Drops the xattrs overlayfs writes for its own bookkeeping (origin, impure, redirect, ...)
// from every entry below `dir`, keeping opaque markers and non-overlay xattrs.
Result<void> drop_overlay_bookkeeping(const std::string& path) {
  std::string names(4096, '\0');
  ssize_t n = ::llistxattr(path.c_str(), names.data(), names.size());
  if (n > 0) {
    for (size_t at = 0; at < static_cast<size_t>(n);) {
      std::string name(names.c_str() + at);
      at += name.size() + 1;
      bool overlay = name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
      bool keep = name.ends_with("overlay.opaque") || name.ends_with("overlay.whiteout");
      if (overlay && !keep) (void)::lremovexattr(path.c_str(), name.c_str());
    }
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail_errno("stat " + path);
  if (!S_ISDIR(st.st_mode)) return {};
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return fail_errno("open " + path);
  std::vector<std::string> children;
  while (struct dirent* d = ::readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") children.push_back(name);
  }
  ::closedir(dir);
  for (const auto& child : children) KRILL_CHECK(drop_overlay_bookkeeping(path + "/" + child));
  return {};
}

}  // namespace

Result<void> ImageStore::adopt_layer(const std::string& dir, const Descriptor& blob,
                                     const Digest& diff_id, uint64_t uncompressed_size) {
  std::string what = "store layer " + diff_id.str();
  FileLock lock = KRILL_TRY(FileLock::acquire(layer_path(diff_id) + ".lock"));
  std::string final_path = layer_path(diff_id);
  if (exists(final_path + "/layer.json")) {
    KRILL_CHECK_CTX(record_layer(final_path, diff_id, blob, uncompressed_size), what);
  } else {
    if (exists(final_path)) KRILL_CHECK_CTX(remove_all(final_path), what);  // stray
    TempLayerDir temp = KRILL_TRY(TempLayerDir::create(layers_root()));
    std::string diff = temp.path() + "/diff";
    if (::rename(dir.c_str(), diff.c_str()) != 0)
      return fail_errno(what + ": rename " + dir + " to " + diff);
    KRILL_CHECK_CTX(drop_overlay_bookkeeping(diff), what);
    KRILL_CHECK_CTX(record_layer(temp.path(), diff_id, blob, uncompressed_size), what);
    if (::rename(temp.path().c_str(), final_path.c_str()) != 0)
      return fail_errno(what + ": rename " + temp.path() + " to " + final_path);
    temp.release();
    KRILL_CHECK(fsync_dir(layers_root()));
  }
  return write_file_atomic(layers_root() + "/by-blob/" + by_blob_name(blob.digest), diff_id.str(),
                           0644);
}

Result<Digest> ImageStore::import_layer(int compressed_fd, const Descriptor& blob) {
  if (!blob.digest.empty()) {
    if (auto known = layer_for_blob(blob.digest)) return *known;
  }
  return extract_and_place(compressed_fd, blob, nullptr, std::nullopt);
}

Result<Digest> ImageStore::pull_layer(int compressed_fd, const Descriptor& blob,
                                      const std::optional<Digest>& expected_diff_id) {
  std::string what = "pull layer " + blob.digest.str();
  if (blob.digest.empty()) return fail("pull layer: the blob has no digest");
  std::optional<uint64_t> size;
  if (blob.size > 0) size = static_cast<uint64_t>(blob.size);
  BlobWriter writer = KRILL_TRY(content_.writer(blob.digest, size));
  if (auto known = layer_for_blob(blob.digest)) {
    // The layer is here (its blob went missing): store the blob, nothing to extract.
    if (expected_diff_id && *known != *expected_diff_id)
      return fail(what + ": diffID mismatch: the config says " + expected_diff_id->str() +
                  ", the layer is " + known->str());
    KRILL_CHECK_CTX(drain_into(compressed_fd, writer), what);
    KRILL_CHECK_CTX(writer.commit(), what);
    return *known;
  }
  return extract_and_place(compressed_fd, blob, &writer, expected_diff_id);
}

// Extracts into a temp dir (with `writer`: storing the compressed bytes as they are read),
// verifies, then makes the blob and the layer visible: the blob after its digest and size, the
// layer after its diffID. On any error neither is (the temp dir and the ingest file go).
Result<Digest> ImageStore::extract_and_place(int compressed_fd, const Descriptor& blob,
                                             BlobWriter* writer,
                                             const std::optional<Digest>& expected_diff_id) {
  std::string what =
      "import layer " + (blob.digest.empty() ? std::string("blob") : blob.digest.str());
  TempLayerDir temp = KRILL_TRY(TempLayerDir::create(layers_root()));
  std::string diff = temp.path() + "/diff";
  if (mkdir(diff.c_str(), 0755) != 0) return fail_errno(what + ": mkdir " + diff);
  ExtractOptions options;
  options.rootless = options_.rootless;
  options.max_uncompressed_bytes = options_.max_layer_bytes;
  bool sink_failed = false;  // the writer refused bytes (and is discarded)
  if (writer) {
    options.compressed_sink = [writer, &sink_failed](std::span<const std::byte> bytes) {
      auto written = writer->write(bytes);
      if (!written) sink_failed = true;
      return written;
    };
  }
  auto extracted = extract_layer(compressed_fd, diff, options);
  if (!extracted) {
    if (writer && !sink_failed) {
      // A corrupt download usually shows first as a broken gzip or tar stream: when the blob
      // itself does not match its digest or size, that is the cause to report.
      auto whole = drain_into(compressed_fd, *writer);
      Result<Digest> verified =
          whole ? writer->verify() : Result<Digest>(std::unexpected(whole.error()));
      if (!verified)
        return std::unexpected(
            std::move(verified.error()).context(what + " (" + extracted.error().message() + ")"));
    }
    return std::unexpected(std::move(extracted.error()).context(what));
  }
  Descriptor seen = blob;
  if (writer) {
    // Digest and size first: a corrupt blob is reported as such, not as a wrong diffID.
    auto digest = writer->verify();
    if (!digest) return std::unexpected(std::move(digest.error()).context(what));
    seen.digest = *digest;
  } else {
    if (!blob.digest.empty() && extracted->compressed_digest != blob.digest.str()) {
      return fail(what + ": digest mismatch: got " + extracted->compressed_digest);
    }
    if (blob.size > 0 && extracted->compressed_size != static_cast<uint64_t>(blob.size)) {
      return fail(what + ": size mismatch: expected " + std::to_string(blob.size) + " bytes, got " +
                  std::to_string(extracted->compressed_size));
    }
    if (seen.digest.empty()) seen.digest = KRILL_TRY(Digest::parse(extracted->compressed_digest));
  }
  Digest diff_id = KRILL_TRY(Digest::parse(extracted->diff_id));
  if (expected_diff_id && diff_id != *expected_diff_id)
    return fail(what + ": diffID mismatch: the config says " + expected_diff_id->str() +
                ", the layer is " + diff_id.str());
  if (seen.size <= 0) seen.size = static_cast<int64_t>(extracted->compressed_size);
  if (options_.warn)
    for (const auto& warning : extracted->warnings) options_.warn(what + ": " + warning);
  if (writer) KRILL_CHECK_CTX(writer->commit(), what);

  FileLock lock = KRILL_TRY(FileLock::acquire(layer_path(diff_id) + ".lock"));
  std::string final_path = layer_path(diff_id);
  if (exists(final_path + "/layer.json")) {
    KRILL_CHECK_CTX(record_layer(final_path, diff_id, seen, extracted->uncompressed_size), what);
  } else {
    if (exists(final_path)) KRILL_CHECK_CTX(remove_all(final_path), what);  // stray
    KRILL_CHECK_CTX(record_layer(temp.path(), diff_id, seen, extracted->uncompressed_size), what);
    if (rename(temp.path().c_str(), final_path.c_str()) != 0) {
      return fail_errno(what + ": rename " + temp.path() + " to " + final_path);
    }
    temp.release();
    KRILL_CHECK(fsync_dir(layers_root()));
  }
  KRILL_CHECK_CTX(write_file_atomic(layers_root() + "/by-blob/" + by_blob_name(seen.digest),
                                    diff_id.str(), 0644),
                  what);
  return diff_id;
}

Result<void> ImageStore::add_layer_ref(const Digest& diff_id, const std::string& ref,
                                       Durability durability) {
  FileLock lock = KRILL_TRY(FileLock::acquire(layer_path(diff_id) + ".lock"));
  if (!has_layer(diff_id))
    return fail("reference layer " + diff_id.str() + ": layer not in the store");
  std::string refs = layer_path(diff_id) + "/refs";
  KRILL_CHECK(mkdir_all(refs, 0755));
  KRILL_CHECK(write_file_atomic(refs + "/" + ref, "", 0644, durability));
  return {};
}

Result<void> ImageStore::remove_layer_ref(const Digest& diff_id, const std::string& ref) {
  FileLock lock = KRILL_TRY(FileLock::acquire(layer_path(diff_id) + ".lock"));
  std::string path = layer_path(diff_id) + "/refs/" + ref;
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + path);
  return {};
}

// Removes a layer no snapshot references; false when one does (or it is gone).
Result<bool> ImageStore::remove_layer(const Digest& diff_id) {
  FileLock lock = KRILL_TRY(FileLock::acquire(layer_path(diff_id) + ".lock"));
  std::string path = layer_path(diff_id);
  if (!exists(path)) return false;
  LayerInfo info;
  if (auto i = layer_info(diff_id)) info = std::move(*i);
  if (!info.snapshot_refs.empty()) return false;
  TempLayerDir trash = KRILL_TRY(TempLayerDir::create(layers_root()));
  // rename(2) replaces the empty temp dir; the trash is removed when `trash` goes.
  if (rename(path.c_str(), trash.path().c_str()) != 0) {
    return fail_errno("remove layer " + diff_id.str() + ": rename " + path);
  }
  for (const auto& c : info.compressed) {
    std::string map = layers_root() + "/by-blob/" + by_blob_name(c.digest);
    (void)unlink(map.c_str());
    auto removed = content_.remove(c.digest);
    if (!removed && removed.error().errno_value() != ENOENT)
      return std::unexpected(removed.error());
  }
  return true;
}

}  // namespace krill::image
