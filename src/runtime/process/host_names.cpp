#include "runtime/process/host_names.h"

#include <unistd.h>

namespace krill::process {

Result<void> set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0)
    return fail_errno("set hostname to \"" + name + "\"");
  return {};
}

Result<void> set_domainname(const std::string& name) {
  if (::setdomainname(name.data(), name.size()) != 0)
    return fail_errno("set domainname to \"" + name + "\"");
  return {};
}

}  // namespace krill::process
