// Helpers shared by the krill_oci unit tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace krill::oci::testing {

// <repo>/../shared/specs/runtime-spec: the runtime spec checked out next to the repository.
inline std::filesystem::path runtime_spec_dir() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / ".." / "shared" /
         "specs" / "runtime-spec";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace krill::oci::testing
