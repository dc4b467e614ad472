#include "runtime/linux/rtnetlink.h"

#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace krill::linux_ns {
namespace {

constexpr size_t kReceiveBuffer = 64 * 1024;

size_t align(size_t n) { return NLMSG_ALIGN(n); }

// A request: nlmsghdr, a fixed header (ifinfomsg/ifaddrmsg), then attributes.
class Message {
 public:
  Message(uint16_t type, uint16_t flags, const void* header, size_t header_size) {
    nlmsghdr nh{};
    nh.nlmsg_type = type;
    nh.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    append(&nh, sizeof nh);
    append(header, header_size);
  }
  void attribute(uint16_t type, const void* data, size_t size) {
    rtattr rta{};
    rta.rta_type = type;
    rta.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    append(&rta, sizeof rta);
    append(data, size);
  }
  void attribute(uint16_t type, uint32_t value) { attribute(type, &value, sizeof value); }
  void attribute(uint16_t type, const std::string& text) {  // NUL-terminated
    attribute(type, text.c_str(), text.size() + 1);
  }
  std::string finish() {
    reinterpret_cast<nlmsghdr*>(bytes_.data())->nlmsg_len = static_cast<uint32_t>(bytes_.size());
    return std::move(bytes_);
  }

 private:
  void append(const void* data, size_t size) {
    bytes_.append(static_cast<const char*>(data), size);
    bytes_.resize(align(bytes_.size()), '\0');
  }
  std::string bytes_;
};

// Calls `visit(type, payload)` for each attribute in [data, data + size).
template <typename Visit>
void for_each_attribute(const char* data, size_t size, Visit visit) {
  auto* rta = reinterpret_cast<const rtattr*>(data);
  int left = static_cast<int>(size);
  for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left)) {
    visit(rta->rta_type, std::string(static_cast<const char*>(RTA_DATA(rta)), RTA_PAYLOAD(rta)));
  }
}

Result<LinkInfo> parse_link(const std::string& payload) {
  if (payload.size() < sizeof(ifinfomsg)) return fail("rtnetlink: short link message");
  ifinfomsg info;
  std::memcpy(&info, payload.data(), sizeof info);
  LinkInfo link;
  link.index = info.ifi_index;
  link.flags = info.ifi_flags;
  const size_t offset = align(sizeof(ifinfomsg));
  for_each_attribute(payload.data() + offset, payload.size() - offset,
                     [&](uint16_t type, const std::string& value) {
                       if (type == IFLA_IFNAME) link.name = value.c_str();
                     });
  return link;
}

}  // namespace

Result<RtNetlink> RtNetlink::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return fail_errno("open a netlink socket");
  // Extended acks carry the kernel's message for an error; not fatal where unsupported.
  int one = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return fail_errno("bind a netlink socket");
  return RtNetlink(std::move(fd));
}

Result<RtNetlink> RtNetlink::open_in(int netns_fd) {
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) return fail_errno("open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0)
    return fail_errno("enter the container's network namespace");
  auto opened = open();
  if (::setns(own.get(), CLONE_NEWNET) != 0) {
    // Staying in the container's namespace would misdirect everything after: give up at once.
    return fail_errno("return to the runtime's network namespace");
  }
  return opened;
}

Result<std::vector<std::string>> RtNetlink::transact(std::string message, bool dump) {
  auto* header = reinterpret_cast<nlmsghdr*>(message.data());
  header->nlmsg_seq = ++sequence_;
  if (!dump) header->nlmsg_flags |= NLM_F_ACK;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return fail_errno("send a netlink request");

  std::vector<std::string> payloads;
  std::string buffer(kReceiveBuffer, '\0');
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("receive a netlink answer");
    int left = static_cast<int>(n);
    for (auto* nh = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(nh, left);
         nh = NLMSG_NEXT(nh, left)) {
      if (nh->nlmsg_seq != sequence_) continue;  // a stale answer
      if (nh->nlmsg_type == NLMSG_DONE) return payloads;
      if (nh->nlmsg_type == NLMSG_ERROR) {
        const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(nh));
        if (error->error == 0) return payloads;  // the ack
        // An extended ack may name the reason (NLMSGERR_ATTR_MSG after the echoed request).
        std::string reason;
        if (nh->nlmsg_flags & NLM_F_ACK_TLVS) {
          size_t echoed = (nh->nlmsg_flags & NLM_F_CAPPED)
                              ? sizeof(nlmsgerr)
                              : sizeof(nlmsgerr) - sizeof(nlmsghdr) + error->msg.nlmsg_len;
          const char* tlvs = static_cast<const char*>(NLMSG_DATA(nh)) + align(echoed);
          size_t tlv_size = nh->nlmsg_len - NLMSG_HDRLEN - align(echoed);
          if (nh->nlmsg_len >= NLMSG_HDRLEN + align(echoed))
            for_each_attribute(tlvs, tlv_size, [&](uint16_t type, const std::string& value) {
              if (type == NLMSGERR_ATTR_MSG) reason = value.c_str();
            });
        }
        std::string text = std::strerror(-error->error);
        if (!reason.empty()) text += " (" + reason + ")";
        return std::unexpected(Error(std::move(text), -error->error));
      }
      // A dump's parts until NLMSG_DONE, or a single answer (RTM_GETLINK) before its ack.
      payloads.emplace_back(static_cast<const char*>(NLMSG_DATA(nh)), nh->nlmsg_len - NLMSG_HDRLEN);
    }
  }
}

Result<std::optional<LinkInfo>> RtNetlink::find_link(const std::string& name) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  Message request(RTM_GETLINK, 0, &info, sizeof info);
  request.attribute(IFLA_IFNAME, name);
  auto answer = transact(request.finish(), false);
  if (!answer) {
    if (answer.error().errno_value() == ENODEV) return std::optional<LinkInfo>();
    return std::unexpected(std::move(answer.error()).context("look up network device " + name));
  }
  if (answer->empty()) return std::optional<LinkInfo>();
  return std::optional<LinkInfo>(KRILL_TRY(parse_link(answer->front())));
}

Result<LinkInfo> RtNetlink::link(int index) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  Message request(RTM_GETLINK, 0, &info, sizeof info);
  auto answer = transact(request.finish(), false);
  if (!answer)
    return std::unexpected(
        std::move(answer.error()).context("look up network device #" + std::to_string(index)));
  if (answer->empty())
    return fail("look up network device #" + std::to_string(index) + ": no answer");
  return parse_link(answer->front());
}

Result<std::vector<LinkAddress>> RtNetlink::addresses(int index) {
  ifaddrmsg header{};
  header.ifa_family = AF_UNSPEC;
  Message request(RTM_GETADDR, NLM_F_DUMP, &header, sizeof header);
  auto answer = transact(request.finish(), true);
  if (!answer) return std::unexpected(std::move(answer.error()).context("list addresses"));
  std::vector<LinkAddress> found;
  for (const auto& payload : *answer) {
    if (payload.size() < sizeof(ifaddrmsg)) continue;
    ifaddrmsg ifa;
    std::memcpy(&ifa, payload.data(), sizeof ifa);
    if (static_cast<int>(ifa.ifa_index) != index) continue;
    LinkAddress address;
    address.family = ifa.ifa_family;
    address.prefix_length = ifa.ifa_prefixlen;
    address.scope = ifa.ifa_scope;
    address.flags = ifa.ifa_flags;
    const size_t offset = align(sizeof(ifaddrmsg));
    for_each_attribute(payload.data() + offset, payload.size() - offset,
                       [&](uint16_t type, const std::string& value) {
                         if (type == IFA_LOCAL) address.local = value;
                         if (type == IFA_ADDRESS) address.address = value;
                         if (type == IFA_BROADCAST) address.broadcast = value;
                         if (type == IFA_FLAGS && value.size() == sizeof(uint32_t))
                           std::memcpy(&address.flags, value.data(), sizeof(uint32_t));
                       });
    found.push_back(std::move(address));
  }
  return found;
}

Result<void> RtNetlink::set_up(int index, bool up) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  info.ifi_change = IFF_UP;
  info.ifi_flags = up ? IFF_UP : 0;
  Message request(RTM_NEWLINK, 0, &info, sizeof info);
  auto done = transact(request.finish(), false);
  if (!done)
    return std::unexpected(std::move(done.error())
                               .context(std::string("set network device #") +
                                        std::to_string(index) + (up ? " up" : " down")));
  return {};
}

Result<void> RtNetlink::move_to_namespace(int index, int netns_fd, const std::string& new_name) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  Message request(RTM_NEWLINK, 0, &info, sizeof info);
  request.attribute(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  // Renamed in the same request, so that the host name never meets a namesake in the target.
  if (!new_name.empty()) request.attribute(IFLA_IFNAME, new_name);
  auto done = transact(request.finish(), false);
  if (!done) return std::unexpected(std::move(done.error()));
  return {};
}

Result<void> RtNetlink::rename(int index, const std::string& new_name) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  Message request(RTM_NEWLINK, 0, &info, sizeof info);
  request.attribute(IFLA_IFNAME, new_name);
  auto done = transact(request.finish(), false);
  if (!done)
    return std::unexpected(std::move(done.error()).context("rename network device to " + new_name));
  return {};
}

Result<void> RtNetlink::add_address(int index, const LinkAddress& address) {
  ifaddrmsg header{};
  header.ifa_family = static_cast<uint8_t>(address.family);
  header.ifa_prefixlen = address.prefix_length;
  header.ifa_scope = address.scope;
  header.ifa_index = static_cast<uint32_t>(index);
  Message request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &header, sizeof header);
  if (!address.local.empty())
    request.attribute(IFA_LOCAL, address.local.data(), address.local.size());
  if (!address.address.empty())
    request.attribute(IFA_ADDRESS, address.address.data(), address.address.size());
  if (!address.broadcast.empty())
    request.attribute(IFA_BROADCAST, address.broadcast.data(), address.broadcast.size());
  auto done = transact(request.finish(), false);
  if (!done) return std::unexpected(std::move(done.error()));
  return {};
}

}  // namespace krill::linux_ns
