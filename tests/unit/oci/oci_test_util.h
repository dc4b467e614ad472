// Helpers shared by the krill_oci unit tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "spec_dir.h"

namespace krill::oci::testing {

// The runtime-spec (by default <repo>/../shared/specs/runtime-spec; tests/spec_dir.h).
inline std::filesystem::path runtime_spec_dir() {
  return krill::spec_files::oci_spec_dir() / "runtime-spec";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace krill::oci::testing
