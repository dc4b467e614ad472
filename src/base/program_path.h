// Finding host programs krill runs (runtimes, pasta, catatonit) the way a shell would.
#pragma once

#include <string>

namespace krill {

// `name` when it holds a '/', else the first executable <dir>/<name> for the directories in
// $PATH (a default when $PATH is unset or empty), then /usr/sbin and /sbin, where Debian puts
// many of them even when a user's $PATH leaves them out. "" when there is none.
std::string find_program(const std::string& name);

// catatonit, the tiny init podman uses as a container's pid 1 and as its pause process: where
// Debian's package and podman's configuration put it, then $PATH. "" when it is not installed.
std::string find_catatonit();

}  // namespace krill
