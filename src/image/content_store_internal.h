// Helpers shared by the content store's source files.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace krill::image::content_store_internal {

// fsync() of a directory, so a rename or link into it survives a crash.
Result<void> fsync_dir(const std::string& dir);

// The names in a directory, without "." and "..". A missing directory is empty.
Result<std::vector<std::string>> list_dir(const std::string& dir);

// True when no live writer holds the ingest file locked (its writer died or
// finished). With `remove`, an abandoned file is then removed while the lock is
// held, so a writer that just created it sees it unlinked and starts over.
// False when locked or when it is gone already.
bool ingest_file_abandoned(const std::string& path, bool remove);

}  // namespace krill::image::content_store_internal
