// The rootless tests' user (test_user.h).
#include "test_user.h"

#include <sstream>

#include "harness.h"

namespace krill::it {

// Removes the lines starting with "krill-test-user:" from a file (subuid/subgid).
void remove_test_user_lines(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, kept;
  while (std::getline(in, line))
    if (line.rfind(std::string(kTestUser) + ":", 0) != 0) kept += line + "\n";
  write_file(path, kept);
}

bool has_test_user_line(const std::string& path) {
  return read_file(path).find(std::string("\n") + kTestUser + ":") != std::string::npos ||
         read_file(path).rfind(std::string(kTestUser) + ":", 0) == 0;
}

}  // namespace krill::it
