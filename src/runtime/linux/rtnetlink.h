// A small rtnetlink (NETLINK_ROUTE) client: the few link and address requests the runtime needs
// to move network devices into a container (config-linux.md "Network Devices"). Every request is
// acknowledged (NLM_F_ACK) and a kernel error comes back as the request's errno.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::linux_ns {

struct LinkInfo {
  int index = 0;
  std::string name;
  unsigned flags = 0;  // IFF_*
};

struct LinkAddress {
  int family = 0;  // AF_INET, AF_INET6
  uint8_t prefix_length = 0;
  uint8_t scope = 0;      // RT_SCOPE_*
  uint32_t flags = 0;     // IFA_F_* (IFA_FLAGS when the kernel sends it)
  std::string local;      // IFA_LOCAL, raw bytes (may be empty for IPv6)
  std::string address;    // IFA_ADDRESS, raw bytes
  std::string broadcast;  // IFA_BROADCAST, raw bytes (IPv4 only)
};

class RtNetlink {
 public:
  // A socket in the caller's network namespace.
  static Result<RtNetlink> open();
  // A socket in the network namespace of `netns_fd` (a netlink socket stays bound to the
  // namespace it was created in): the calling thread enters it only for the socket(2) call.
  static Result<RtNetlink> open_in(int netns_fd);

  // The link named `name`, or nullopt when there is none.
  Result<std::optional<LinkInfo>> find_link(const std::string& name);
  Result<LinkInfo> link(int index);
  Result<std::vector<LinkAddress>> addresses(int index);

  Result<void> set_up(int index, bool up);
  // Moves the link into the namespace of `netns_fd`, renamed to `new_name` (kept when empty);
  // a "%d" in the name lets the kernel pick a free number there.
  Result<void> move_to_namespace(int index, int netns_fd, const std::string& new_name);
  Result<void> rename(int index, const std::string& new_name);
  Result<void> add_address(int index, const LinkAddress& address);

 private:
  explicit RtNetlink(UniqueFd fd) : fd_(std::move(fd)) {}
  // Sends one request and collects the payloads of its answer (all parts of a dump).
  Result<std::vector<std::string>> transact(std::string message, bool dump);

  UniqueFd fd_;
  uint32_t sequence_ = 0;
};

}  // namespace krill::linux_ns
