// linux.sysctl: kernel parameters written under /proc/sys inside the container.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::process {

// The /proc/sys file for a sysctl name, following sysctl(8): "net.ipv4.ip_forward" ->
// "/proc/sys/net/ipv4/ip_forward". A name whose first separator is '/' is a path already
// ("net/ipv4/conf/eth0.100/forwarding"); in a dotted name a '/' stands for a literal dot
// ("net.ipv4.conf.eth0/100.forwarding"). Rejects empty, absolute and ".."/"." components
// and NUL bytes.
Result<std::string> sysctl_path(std::string_view name);

// Writes every entry (value as given) to its /proc/sys file, in map order. All names are
// validated before anything is written. Errors read
//   "set sysctl kernel.msgmax to \"8192\": open /proc/sys/kernel/msgmax for writing: ...".
Result<void> apply_sysctls(const std::map<std::string, std::string>& sysctl);

}  // namespace krill::process
