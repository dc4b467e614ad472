#include "runtime/linux/net_devices.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <vector>

#include "runtime/linux/rtnetlink.h"

namespace krill::linux_ns {
namespace {

std::string entry_path(const std::string& host_name) { return "linux.netDevices." + host_name; }

bool is_template(const std::string& name) { return name.find("%d") != std::string::npos; }

struct Planned {
  std::string host_name;
  std::string target_name;
  LinkInfo link;
};

// Only what the user configured for good: permanent addresses of global scope (RFC 3549
// 2.3.3.2), not dynamic or link-local ones tied to the old namespace.
std::vector<LinkAddress> addresses_to_keep(const std::vector<LinkAddress>& all) {
  std::vector<LinkAddress> kept;
  for (const auto& address : all)
    if ((address.flags & IFA_F_PERMANENT) && address.scope == RT_SCOPE_UNIVERSE)
      kept.push_back(address);
  return kept;
}

Result<void> move_one(RtNetlink& host, RtNetlink& container, const Planned& device, int netns_fd) {
  const std::string at = entry_path(device.host_name);
  auto context = [&](Error error, const std::string& what) {
    return std::unexpected(std::move(error).context(at + ": " + what));
  };
  auto all = host.addresses(device.link.index);
  if (!all) return context(std::move(all.error()), "read the addresses of " + device.host_name);
  const std::vector<LinkAddress> keep = addresses_to_keep(*all);
  if (auto down = host.set_up(device.link.index, false); !down)
    return context(std::move(down.error()), "set " + device.host_name + " down");

  // A template ("eth%d") is filled in by a rename inside, where the device can be found again
  // by a temporary name of ours; other names are given in the move itself.
  const bool templated = is_template(device.target_name);
  const std::string moved_name = templated ? "km" + std::to_string(device.link.index) + "." +
                                                 std::to_string(::getpid() % 100000)
                                           : device.target_name;
  if (auto moved = host.move_to_namespace(device.link.index, netns_fd, moved_name); !moved)
    return context(std::move(moved.error()), "move " + device.host_name +
                                                 " into the container's network namespace as " +
                                                 device.target_name);
  auto found = container.find_link(moved_name);
  if (!found) return context(std::move(found.error()), "find " + moved_name + " in the container");
  if (!*found) return std::unexpected(Error(at + ": " + moved_name + " vanished after the move"));
  const int index = (*found)->index;
  if (templated) {
    if (auto renamed = container.rename(index, device.target_name); !renamed)
      return context(std::move(renamed.error()), "name the device in the container");
  }
  for (const auto& address : keep) {
    auto added = container.add_address(index, address);
    if (!added && added.error().errno_value() != EEXIST)
      return context(std::move(added.error()), "restore an address of " + device.host_name);
  }
  if (auto up = container.set_up(index, true); !up)
    return context(std::move(up.error()), "set the device up in the container");
  return {};
}

}  // namespace

std::string net_device_target_name(const std::string& host_name, const oci::NetDevice& device) {
  return device.name.empty() ? host_name : device.name;
}

Result<void> move_net_devices(const std::map<std::string, oci::NetDevice>& devices, int netns_fd) {
  if (devices.empty()) return {};
  auto host = KRILL_TRY(RtNetlink::open());
  auto container = RtNetlink::open_in(netns_fd);
  if (!container) return std::unexpected(std::move(container.error()).context("linux.netDevices"));

  // Everything is checked before anything moves: a failed create then leaves the host as it was.
  std::vector<Planned> plan;
  std::map<std::string, std::string> targets;  // target name -> host name
  for (const auto& [host_name, device] : devices) {
    const std::string at = entry_path(host_name);
    auto link = host.find_link(host_name);
    if (!link) return std::unexpected(std::move(link.error()).context(at));
    if (!*link) return fail(at + ": no network device " + host_name + " on the host");
    Planned planned{host_name, net_device_target_name(host_name, device), **link};
    if (!is_template(planned.target_name)) {
      auto existing = container->find_link(planned.target_name);
      if (!existing) return std::unexpected(std::move(existing.error()).context(at));
      if (*existing)
        return fail(at + ": a network device named " + planned.target_name +
                    " already exists in the container's network namespace");
      if (auto [other, inserted] = targets.emplace(planned.target_name, host_name); !inserted)
        return fail(at + ": " + other->second + " is given the same name " + planned.target_name);
    }
    plan.push_back(std::move(planned));
  }
  for (const auto& planned : plan) KRILL_CHECK(move_one(host, *container, planned, netns_fd));
  return {};
}

}  // namespace krill::linux_ns
