// The rtnetlink client against the kernel, read-only: the loopback device of the namespace the
// test runs in. Moving devices is covered by the integration tests (tests/integration/
// net_devices_test.cpp), which make their own dummies in their own network namespace.
#include "runtime/linux/rtnetlink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "runtime/linux/net_devices.h"

namespace krill::linux_ns {
namespace {

TEST(RtNetlink, FindsLoopbackByNameAndIndex) {
  auto netlink = RtNetlink::open();
  ASSERT_TRUE(netlink) << netlink.error().message();
  auto lo = netlink->find_link("lo");
  ASSERT_TRUE(lo) << lo.error().message();
  ASSERT_TRUE(lo->has_value());
  EXPECT_EQ((*lo)->name, "lo");
  EXPECT_EQ((*lo)->index, static_cast<int>(::if_nametoindex("lo")));
  auto again = netlink->link((*lo)->index);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->name, "lo");
}

TEST(RtNetlink, MissingDeviceIsNoneAndBadIndexIsAnError) {
  auto netlink = RtNetlink::open();
  ASSERT_TRUE(netlink) << netlink.error().message();
  auto missing = netlink->find_link("krillnosuch0");
  ASSERT_TRUE(missing) << missing.error().message();
  EXPECT_FALSE(missing->has_value());
  auto bad = netlink->link(999999);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errno_value(), ENODEV) << bad.error().message();
}

TEST(RtNetlink, LoopbackAddressIsHostScoped) {
  auto netlink = RtNetlink::open();
  ASSERT_TRUE(netlink) << netlink.error().message();
  const int index = static_cast<int>(::if_nametoindex("lo"));
  auto addresses = netlink->addresses(index);
  ASSERT_TRUE(addresses) << addresses.error().message();
  if (addresses->empty()) GTEST_SKIP() << "lo has no address in this namespace";
  bool found = false;
  for (const auto& address : *addresses) {
    if (address.family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {0};
    ASSERT_EQ(address.local.size(), 4u);
    inet_ntop(AF_INET, address.local.data(), text, sizeof text);
    if (std::string(text) == "127.0.0.1") {
      found = true;
      EXPECT_EQ(address.prefix_length, 8);
      EXPECT_EQ(address.scope, RT_SCOPE_HOST);  // so never carried into a container
    }
  }
  EXPECT_TRUE(found);
}

TEST(NetDevices, TargetNameDefaultsToTheHostName) {
  EXPECT_EQ(net_device_target_name("eth1", oci::NetDevice{}), "eth1");
  EXPECT_EQ(net_device_target_name("eth1", oci::NetDevice{"ctr0"}), "ctr0");
}

}  // namespace
}  // namespace krill::linux_ns
