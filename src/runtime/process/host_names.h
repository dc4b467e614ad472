// hostname and domainname: the names in the container's UTS namespace.
#pragma once

#include <string>

#include "base/error.h"

namespace krill::process {

// sethostname(2) / setdomainname(2) in the caller's UTS namespace. Errors name the value:
//   "set hostname to \"web-1\": Operation not permitted".
Result<void> set_hostname(const std::string& name);
Result<void> set_domainname(const std::string& name);

}  // namespace krill::process
