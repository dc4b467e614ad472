// An exclusive flock(2) on a lock file, held for the object's lifetime: how concurrent krill
// processes take turns on shared state (a network's address plan, published ports).
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill {

class FileLock {
 public:
  // Opens (creating, 0600) `path` and waits for the lock. Error: "lock /x/.lock: ...".
  static Result<FileLock> exclusive(const std::string& path);

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace krill
