// --init: the host binary that runs as the container's pid 1 (catatonit, as podman runs it).
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/spec_builder.h"

namespace krill::engine {

Result<std::string> find_init_binary(const std::string& requested) {
  auto usable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
  };
  if (!requested.empty()) {
    if (requested.front() != '/')
      return fail("--init-path " + requested + ": the init binary must be an absolute path");
    if (!usable(requested))
      return fail("--init-path " + requested +
                  ": container-init binary not found on the host (no executable file there)");
    return requested;
  }
  if (std::string found = find_catatonit(); !found.empty() && usable(found)) return found;
  return fail(
      "--init: container-init binary not found on the host: catatonit is not installed "
      "(apt-get install catatonit, or give --init-path)");
}

}  // namespace krill::engine
