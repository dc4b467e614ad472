// Shared by the engine store and volume tests: a scratch directory under /tmp removed even when
// a test fails, and a ready-made container record.
#pragma once

#include <stdlib.h>

#include <string>

#include "base/file_io.h"
#include "engine/container_record.h"

namespace krill::engine::store_test {

class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/krill-store-test-XXXXXX";
    const char* made = mkdtemp(pattern);
    path_ = made ? made : "";
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    if (!path_.empty()) (void)krill::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline ContainerRecord sample_record(const std::string& id, const std::string& name,
                                     int64_t created_ns = 1) {
  ContainerRecord record;
  record.id = id;
  record.name = name;
  record.created_ns = created_ns;
  record.config.image_ref = "busybox";
  record.config.image_id = "sha256:" + std::string(64, 'b');
  record.config.command = {"sh", "-c", "echo hi"};
  return record;
}

// A 64-digit id from a short hex stem, padded with zeros.
inline std::string padded_id(const std::string& stem) {
  return stem + std::string(64 - stem.size(), '0');
}

}  // namespace krill::engine::store_test
