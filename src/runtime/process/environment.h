// process.env: the environment the container process is executed with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace krill::process {

// The envp for execve from process.env, as runc builds it:
//  - every entry must be "KEY=VALUE" with a non-empty KEY and no NUL byte;
//  - order is kept; a repeated KEY keeps its first position and takes the last value;
//  - when HOME is absent it is added from the entry for `uid` in `passwd_path` (the
//    container's /etc/passwd), or "/" when the file or the entry is missing.
Result<std::vector<std::string>> build_environment(const std::vector<std::string>& env,
                                                   uint32_t uid,
                                                   const std::string& passwd_path = "/etc/passwd");

// The home directory of `uid` in the passwd(5) file at `passwd_path`; empty when the file is
// unreadable or has no entry for uid (the first entry wins).
std::string home_from_passwd(uint32_t uid, const std::string& passwd_path);

// The user name of `uid` in the passwd(5) file at `passwd_path` (first entry wins), read
// directly as runc's libcontainer/user does, not through NSS: krill-runtime is linked
// statically, and glibc's NSS needs the shared libraries of the very glibc it was built with.
std::optional<std::string> name_from_passwd(uint32_t uid, const std::string& passwd_path);

}  // namespace krill::process
