// process.args[0] and process.cwd: what the container runs and where.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace krill::process {

// The PATH used when process.env has none (runc's and Docker's default).
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Resolves process.args[0] as runc (Go's exec.LookPath) does, inside the container:
//  - containing '/': checked as is (a relative one against `cwd`) and returned unchanged;
//  - else searched in the PATH of `env` (the last PATH= wins; kDefaultPath when absent; an
//    empty entry means `cwd`); the first executable regular file wins.
// Executable means a non-directory that access(X_OK) accepts for the effective ids. Errors use
// runc's words:
//   exec: "foo": executable file not found in $PATH
//   exec: "/bin/x": stat /bin/x: no such file or directory
//   exec: "/etc": permission denied            (a directory or a non-executable file)
Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env,
                                    const std::string& cwd);

// chdir(cwd) inside the container, after pivot_root; fails unless cwd is a directory:
//   chdir to cwd ("/nope") set in config.json failed: no such file or directory
Result<void> enter_working_directory(const std::string& cwd);

}  // namespace krill::process
