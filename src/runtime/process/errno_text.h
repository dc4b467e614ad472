// Error texts in the lowercase form Go, runc and Docker print ("no such file or directory"),
// for messages users compare against those tools. Internal to krill::process.
#pragma once

#include <string>

namespace krill::process {

// strerror(err) with its first letter lowercased: ENOENT -> "no such file or directory".
std::string errno_text(int err);

}  // namespace krill::process
