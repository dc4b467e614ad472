// Internals of the image store shared by its source files: file locks, temp dirs and
// the layer.json format.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/image_store.h"

namespace krill::image::store_internal {

// An flock held on a file (created when missing; lock files are never removed, so
// two processes always lock the same inode). Released on destruction.
class FileLock {
 public:
  static Result<FileLock> acquire(const std::string& path, bool exclusive = true);
  // Locks an open fd (e.g. a directory) without blocking; false when someone holds it.
  static bool try_lock(int fd);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// A `.tmp-XXXXXX` directory under `parent`, flock-held while this object lives (so
// open() of another process does not remove it); removed on destruction unless
// released by renaming it away.
class TempLayerDir {
 public:
  static Result<TempLayerDir> create(const std::string& parent);
  TempLayerDir(TempLayerDir&&) noexcept;
  TempLayerDir& operator=(TempLayerDir&&) = delete;
  ~TempLayerDir();
  const std::string& path() const { return path_; }
  // It was renamed away: nothing to remove.
  void release() { path_.clear(); }

 private:
  TempLayerDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

// Removes `.tmp-*` entries of `dir` that no live process holds locked.
Result<std::vector<std::string>> remove_stale_temp_dirs(const std::string& dir);

Result<LayerInfo> read_layer_json(const std::string& path);
std::string layer_json(const LayerInfo& info);

std::string now_rfc3339();

}  // namespace krill::image::store_internal
