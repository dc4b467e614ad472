// Where the tests find the OCI specifications (runtime-spec/, image-spec/, distribution-spec/):
// $KRILL_SPEC_DIR when it is set, else the directory the build was configured with
// (<checkout>/../shared/specs unless cmake got -DKRILL_SPEC_DIR=...).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace krill::spec_files {

inline std::filesystem::path oci_spec_dir() {
  if (const char* dir = std::getenv("KRILL_SPEC_DIR"); dir && *dir) return dir;
  return KRILL_SPEC_DIR;
}

// Why a test that reads `path` from the specs is skipped when they are not there.
inline std::string missing_specs_reason(const std::filesystem::path& path) {
  return "the OCI specs are not at " + path.string() +
         "; set KRILL_SPEC_DIR to the directory holding runtime-spec/ and image-spec/";
}

}  // namespace krill::spec_files

// Skips the current test when `path` (inside the specs) does not exist.
#define KRILL_SKIP_WITHOUT_SPECS(path)                                 \
  do {                                                                 \
    if (!std::filesystem::exists(path))                                \
      GTEST_SKIP() << ::krill::spec_files::missing_specs_reason(path); \
  } while (0)
