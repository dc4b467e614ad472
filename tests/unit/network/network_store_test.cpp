#include "network/network_store.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/file_io.h"

namespace krill::network {
namespace {

using ::testing::HasSubstr;

Subnet net(const char* text) { return *Subnet::parse(text); }

class NetworkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-netstore-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    dir_ = root_ + "/networks";
  }
  void TearDown() override { ASSERT_TRUE(remove_all(root_)); }

  NetworkStore open(std::vector<Subnet> host = {}, NetworkDefaults defaults = {}) {
    auto store = NetworkStore::open(dir_, std::move(defaults), std::move(host));
    EXPECT_TRUE(store) << store.error().message();
    return std::move(*store);
  }

  std::vector<std::string> files() {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && n != ".lock") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  static NetworkCreateOptions named(const std::string& name) {
    NetworkCreateOptions options;
    options.name = name;
    return options;
  }

  // The error of creating `options`, with its errno.
  static std::pair<std::string, int> create_error(NetworkStore& store,
                                                  const NetworkCreateOptions& options) {
    auto created = store.create(options);
    if (created) return {"(created " + created->name + ")", 0};
    return {created.error().message(), created.error().errno_value()};
  }

  std::string root_;
  std::string dir_;
};

TEST_F(NetworkStoreTest, OpenCreatesThePrivateDirectory) {
  open();
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0077, 0u);
}

TEST_F(NetworkStoreTest, OpenRejectsBadDefaults) {
  NetworkDefaults bad_subnet;
  bad_subnet.default_subnet = "10.90.0.1/16";
  auto store = NetworkStore::open(dir_, bad_subnet, {});
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message(), HasSubstr("it should be 10.90.0.0/16"));
  EXPECT_EQ(store.error().errno_value(), EINVAL);

  NetworkDefaults bad_pool;
  bad_pool.subnet_pools = {"10.91.0.0/16", "nope"};
  store = NetworkStore::open(dir_, bad_pool, {});
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message(), HasSubstr("subnet pool: invalid subnet \"nope\""));

  NetworkDefaults bad_interface;
  bad_interface.default_interface = "a-name-of-16-byt";
  store = NetworkStore::open(dir_, bad_interface, {});
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message(), HasSubstr("longer than 15 bytes"));
}

TEST_F(NetworkStoreTest, DefaultNetworkAppearsOnFirstFind) {
  NetworkStore store = open();
  EXPECT_TRUE(files().empty());
  auto found = store.find("krill");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->name, "krill");
  EXPECT_EQ(found->interface_name, "krill0");
  EXPECT_EQ(found->driver, "bridge");
  ASSERT_EQ(found->subnets.size(), 1u);
  EXPECT_EQ(found->subnets[0].subnet.to_string(), "10.90.0.0/16");
  EXPECT_EQ(found->subnets[0].gateway->to_string(), "10.90.0.1");
  EXPECT_EQ(found->id.size(), 64u);
  EXPECT_GT(found->created_ns, 0);
  EXPECT_EQ(files(), std::vector<std::string>{"krill.json"});

  // "bridge" is the default network too, and it is the same one each time.
  auto bridge = store.find("bridge");
  ASSERT_TRUE(bridge);
  EXPECT_EQ(bridge->id, found->id);
  auto by_id = store.find(found->id.substr(0, 12));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->name, "krill");
}

TEST_F(NetworkStoreTest, DefaultNetworkFollowsTheDefaults) {
  NetworkDefaults defaults;
  defaults.default_network = "lan";
  defaults.default_interface = "lan0";
  defaults.default_subnet = "172.30.0.0/24";
  NetworkStore store = open({}, defaults);
  auto list = store.list();
  ASSERT_TRUE(list) << list.error().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "lan");
  EXPECT_EQ((*list)[0].interface_name, "lan0");
  EXPECT_EQ((*list)[0].subnets[0].subnet.to_string(), "172.30.0.0/24");
  EXPECT_EQ((*list)[0].subnets[0].gateway->to_string(), "172.30.0.1");
  EXPECT_EQ(files(), std::vector<std::string>{"lan.json"});
}

TEST_F(NetworkStoreTest, CreateAllocatesFromThePoolsAndWritesTheFile) {
  NetworkStore store = open();
  NetworkCreateOptions options = named("web");
  options.labels = {{"app", "shop"}};
  options.options = {{"mtu", "1400"}};
  auto created = store.create(options);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->name, "web");
  EXPECT_EQ(created->interface_name, "krill1");
  ASSERT_EQ(created->subnets.size(), 1u);
  EXPECT_EQ(created->subnets[0].subnet.to_string(), "10.91.0.0/24");
  EXPECT_EQ(created->subnets[0].gateway->to_string(), "10.91.0.1");
  EXPECT_FALSE(created->subnets[0].lease_range);
  EXPECT_FALSE(created->ipv6_enabled);
  EXPECT_TRUE(created->dns_enabled);
  EXPECT_EQ(created->labels, options.labels);
  EXPECT_EQ(created->options, options.options);
  EXPECT_EQ(files(), (std::vector<std::string>{"krill.json", "web.json"}));

  // What is on disk is what create returned.
  auto text = read_file(dir_ + "/web.json");
  ASSERT_TRUE(text);
  auto on_disk = network_config_from_json(*text);
  ASSERT_TRUE(on_disk) << on_disk.error().message();
  EXPECT_EQ(on_disk->id, created->id);
  EXPECT_EQ(on_disk->subnets[0].subnet, created->subnets[0].subnet);

  auto second = store.create(named("db"));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->subnets[0].subnet.to_string(), "10.91.1.0/24");
  EXPECT_EQ(second->interface_name, "krill2");
  EXPECT_NE(second->id, created->id);
}

TEST_F(NetworkStoreTest, PoolAllocationSkipsHostSubnetsAndOtherNetworks) {
  // The host routes 10.91.0.0/23 and 10.91.3.0/24; a network holds 10.91.2.0/24 explicitly.
  NetworkStore store = open({net("10.91.0.0/23"), net("10.91.3.128/25"), net("fd00::/64")});
  NetworkCreateOptions explicit_subnet = named("a");
  explicit_subnet.subnets = {"10.91.2.0/24"};
  ASSERT_TRUE(store.create(explicit_subnet));
  auto created = store.create(named("b"));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->subnets[0].subnet.to_string(), "10.91.4.0/24");
}

TEST_F(NetworkStoreTest, PoolAllocationMovesToTheNextPoolAndFailsWhenAllAreFull) {
  NetworkDefaults defaults;
  defaults.subnet_pools = {"10.91.0.0/23", "192.168.200.0/24"};
  defaults.pool_prefix_length = 24;
  NetworkStore store = open({net("10.91.1.0/24")}, defaults);
  auto first = store.create(named("one"));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->subnets[0].subnet.to_string(), "10.91.0.0/24");
  auto second = store.create(named("two"));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->subnets[0].subnet.to_string(), "192.168.200.0/24");
  EXPECT_EQ(
      create_error(store, named("three")),
      std::make_pair(std::string("could not find a free subnet in the subnet pools"), ENOSPC));
  EXPECT_EQ(files(), (std::vector<std::string>{"krill.json", "one.json", "two.json"}));
}

TEST_F(NetworkStoreTest, PoolNeverHandsOutTheDefaultSubnet) {
  NetworkDefaults defaults;
  defaults.subnet_pools = {"10.90.0.0/15"};
  defaults.pool_prefix_length = 16;
  NetworkStore store = open({}, defaults);
  // The default network was never looked at, yet its subnet is taken.
  auto created = store.create(named("x"));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->subnets[0].subnet.to_string(), "10.91.0.0/16");
}

TEST_F(NetworkStoreTest, ExplicitSubnetsGatewaysAndRanges) {
  NetworkStore store = open();
  NetworkCreateOptions options = named("custom");
  options.subnets = {"172.20.0.0/16", "fd10:20::/64", "10.200.0.0/24"};
  options.gateways = {"172.20.0.254", ""};
  options.ip_ranges = {"172.20.5.0/24", "fd10:20::100-fd10:20::1ff", "10.200.0.10-10.200.0.20"};
  auto created = store.create(options);
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_EQ(created->subnets.size(), 3u);
  EXPECT_TRUE(created->ipv6_enabled);
  const SubnetConfig& v4 = created->subnets[0];
  EXPECT_EQ(v4.subnet.to_string(), "172.20.0.0/16");
  EXPECT_EQ(v4.gateway->to_string(), "172.20.0.254");
  ASSERT_TRUE(v4.lease_range);
  EXPECT_EQ(v4.lease_range->start.to_string(), "172.20.5.1");
  EXPECT_EQ(v4.lease_range->end.to_string(), "172.20.5.254");
  const SubnetConfig& v6 = created->subnets[1];
  EXPECT_EQ(v6.gateway->to_string(), "fd10:20::1");
  EXPECT_EQ(v6.lease_range->start.to_string(), "fd10:20::100");
  EXPECT_EQ(v6.lease_range->end.to_string(), "fd10:20::1ff");
  const SubnetConfig& third = created->subnets[2];
  EXPECT_EQ(third.gateway->to_string(), "10.200.0.1");
  EXPECT_EQ(third.lease_range->start.to_string(), "10.200.0.10");
  EXPECT_EQ(third.lease_range->end.to_string(), "10.200.0.20");
}

TEST_F(NetworkStoreTest, InternalNetworksKeepAGatewayAddress) {
  NetworkStore store = open();
  NetworkCreateOptions options = named("private");
  options.internal = true;
  auto created = store.create(options);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(created->internal);
  EXPECT_EQ(created->subnets[0].gateway->to_string(), "10.91.0.1");
}

TEST_F(NetworkStoreTest, Ipv6AllocatesAUniqueLocalSlash64) {
  NetworkStore store = open();
  NetworkCreateOptions options = named("dual");
  options.ipv6 = true;
  auto created = store.create(options);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(created->ipv6_enabled);
  ASSERT_EQ(created->subnets.size(), 2u);
  EXPECT_EQ(created->subnets[0].subnet.to_string(), "10.91.0.0/24");
  const Subnet v6 = created->subnets[1].subnet;
  EXPECT_TRUE(v6.address.v6);
  EXPECT_EQ(v6.prefix_length, 64);
  EXPECT_TRUE(net("fd00::/8").contains(v6.address)) << v6.to_string();
  EXPECT_EQ(created->subnets[1].gateway, v6.host(1).value());

  // With an IPv4 subnet given, --ipv6 still adds the IPv6 one.
  NetworkCreateOptions given = named("dual2");
  given.ipv6 = true;
  given.subnets = {"10.150.0.0/24"};
  auto second = store.create(given);
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_EQ(second->subnets.size(), 2u);
  EXPECT_TRUE(second->subnets[1].subnet.address.v6);
  EXPECT_FALSE(second->subnets[1].subnet.overlaps(v6));
}

TEST_F(NetworkStoreTest, Ipv6FailsWhenAllOfTheUlaRangeIsRouted) {
  NetworkStore store = open({net("fd00::/8")});
  NetworkCreateOptions options = named("v6");
  options.ipv6 = true;
  EXPECT_EQ(create_error(store, options),
            std::make_pair(std::string("could not find a free IPv6 subnet in fd00::/8"), ENOSPC));
  EXPECT_EQ(files(), std::vector<std::string>{"krill.json"});
}

TEST_F(NetworkStoreTest, OverlappingSubnetsAreBusy) {
  NetworkStore store = open({net("192.168.1.0/24")});
  NetworkCreateOptions first = named("first");
  first.subnets = {"172.20.0.0/16"};
  ASSERT_TRUE(store.create(first));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"172.20.5.0/24", "172.20.5.0/24"},    // inside another network's
      {"172.0.0.0/8", "172.0.0.0/8"},        // around another network's
      {"192.168.0.0/16", "192.168.0.0/16"},  // around a host route
      {"192.168.1.0/25", "192.168.1.0/25"},  // inside a host route
      {"10.90.3.0/24", "10.90.3.0/24"},      // inside the default network's
  };
  for (const auto& [subnet, shown] : cases) {
    NetworkCreateOptions options = named("second");
    options.subnets = {subnet};
    EXPECT_EQ(create_error(store, options),
              std::make_pair(
                  "subnet " + shown + " is already used on the host or by another config", EBUSY))
        << subnet;
  }
  NetworkCreateOptions self_overlap = named("second");
  self_overlap.subnets = {"172.21.0.0/16", "172.21.1.0/24"};
  EXPECT_EQ(create_error(store, self_overlap),
            std::make_pair(std::string("subnet 172.21.1.0/24 overlaps subnet 172.21.0.0/16 of "
                                       "the same network"),
                           EINVAL));
  EXPECT_EQ(files(), (std::vector<std::string>{"first.json", "krill.json"}));
}

TEST_F(NetworkStoreTest, BadAddressPlansAreInvalid) {
  NetworkStore store = open();
  auto error_for = [&](std::vector<std::string> subnets, std::vector<std::string> gateways,
                       std::vector<std::string> ranges) {
    NetworkCreateOptions options = named("n");
    options.subnets = std::move(subnets);
    options.gateways = std::move(gateways);
    options.ip_ranges = std::move(ranges);
    return create_error(store, options);
  };
  auto einval = [](const std::string& message) { return std::make_pair(message, EINVAL); };
  EXPECT_EQ(error_for({"172.20.0.1/16"}, {}, {}),
            einval("invalid subnet \"172.20.0.1/16\": it should be 172.20.0.0/16"));
  EXPECT_EQ(error_for({}, {"172.20.0.1"}, {}),
            einval("gateway 172.20.0.1 has no subnet (give one --subnet per --gateway)"));
  EXPECT_EQ(error_for({}, {}, {"172.20.0.0/24"}),
            einval("ip range 172.20.0.0/24 has no subnet (give one --subnet per --ip-range)"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {"172.21.0.1"}, {}),
            einval("gateway 172.21.0.1 is not in subnet 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {"fd00::1"}, {}),
            einval("gateway fd00::1 is not in subnet 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {"172.20.0"}, {}),
            einval("gateway: invalid IP address \"172.20.0\""));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {"172.20.0.0"}, {}),
            einval("gateway 172.20.0.0 is the network or broadcast address of 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {"172.20.255.255"}, {}),
            einval("gateway 172.20.255.255 is the network or broadcast address of 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {}, {"172.21.0.0/24"}),
            einval("ip range 172.21.0.0/24 is not inside subnet 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {}, {"172.0.0.0/8"}),
            einval("ip range 172.0.0.0/8 is not inside subnet 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {}, {"172.20.0.10-172.21.0.1"}),
            einval("ip range 172.20.0.10-172.21.0.1 is not inside subnet 172.20.0.0/16"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {}, {"172.20.0.10-172.20.0.5"}),
            einval("ip range 172.20.0.10-172.20.0.5: the start is after the end"));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {}, {"172.20.0.10-x"}),
            einval("ip range 172.20.0.10-x: invalid IP address \"x\""));
  EXPECT_EQ(error_for({"172.20.0.0/16"}, {}, {"172.20.1.1/24"}),
            einval("ip range 172.20.1.1/24: invalid subnet \"172.20.1.1/24\": it should be "
                   "172.20.1.0/24"));
  EXPECT_EQ(error_for({"172.20.0.7/32"}, {}, {}),
            einval("subnet 172.20.0.7/32 is too small for a gateway"));
  EXPECT_EQ(files(), std::vector<std::string>{"krill.json"});
}

TEST_F(NetworkStoreTest, NamesAreCheckedAndReserved) {
  NetworkStore store = open();
  for (const char* bad : {"-x", "a b", "a/b", ".hidden", "ü", "a:b"}) {
    EXPECT_EQ(create_error(store, named(bad)),
              std::make_pair("invalid network name \"" + std::string(bad) +
                                 "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
                             EINVAL))
        << bad;
  }
  EXPECT_EQ(
      create_error(store, named("none")),
      std::make_pair(std::string("network name none is reserved: it is a network mode"), EINVAL));
  EXPECT_EQ(create_error(store, named("host")).second, EINVAL);
  EXPECT_EQ(create_error(store, named("krill")),
            std::make_pair(std::string("network name krill already used: network already exists"),
                           EEXIST));
  EXPECT_EQ(create_error(store, named("bridge")),
            std::make_pair(std::string("network name bridge already used: network already exists"),
                           EEXIST));
  EXPECT_EQ(create_error(store, named(std::string(201, 'a'))).second, EINVAL);
  EXPECT_TRUE(is_valid_network_name("a"));
  EXPECT_TRUE(is_valid_network_name("My_net-1.2"));
  EXPECT_TRUE(is_valid_network_name("0net"));
  EXPECT_FALSE(is_valid_network_name(""));
  EXPECT_FALSE(is_valid_network_name("_net"));
  EXPECT_EQ(files(), std::vector<std::string>{"krill.json"});
}

TEST_F(NetworkStoreTest, ExistingNamesAndIgnoreExisting) {
  NetworkStore store = open();
  auto created = store.create(named("web"));
  ASSERT_TRUE(created);
  EXPECT_EQ(
      create_error(store, named("web")),
      std::make_pair(std::string("network name web already used: network already exists"), EEXIST));
  NetworkCreateOptions again = named("web");
  again.ignore_existing = true;
  again.subnets = {"172.31.0.0/16"};  // not looked at: the existing network is returned
  auto existing = store.create(again);
  ASSERT_TRUE(existing) << existing.error().message();
  EXPECT_EQ(existing->id, created->id);
  EXPECT_EQ(existing->subnets[0].subnet, created->subnets[0].subnet);

  NetworkCreateOptions default_again = named("bridge");
  default_again.ignore_existing = true;
  auto default_network = store.create(default_again);
  ASSERT_TRUE(default_network);
  EXPECT_EQ(default_network->name, "krill");
}

TEST_F(NetworkStoreTest, GeneratedNamesTakeTheFirstFreeNumber) {
  NetworkStore store = open();
  ASSERT_TRUE(store.create(named("krill2")));
  auto first = store.create(NetworkCreateOptions{});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->name, "krill1");
  auto second = store.create(NetworkCreateOptions{});
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->name, "krill3");
}

TEST_F(NetworkStoreTest, InterfaceNames) {
  NetworkStore store = open();
  NetworkCreateOptions explicit_name = named("a");
  explicit_name.interface_name = "krill1";
  auto a = store.create(explicit_name);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->interface_name, "krill1");
  // The next generated name skips the taken one.
  auto b = store.create(named("b"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->interface_name, "krill2");

  NetworkCreateOptions taken = named("c");
  taken.interface_name = "krill2";
  EXPECT_EQ(
      create_error(store, taken),
      std::make_pair(std::string("interface name krill2 is already used by network b"), EEXIST));
  taken.interface_name = "krill0";  // the default network's
  EXPECT_EQ(create_error(store, taken),
            std::make_pair(std::string("interface name krill0 is already used by network krill"),
                           EEXIST));
  taken.interface_name = "sixteen-bytes-xx";
  EXPECT_EQ(create_error(store, taken),
            std::make_pair(std::string("interface name sixteen-bytes-xx is longer than 15 bytes"),
                           EINVAL));
  taken.interface_name = "br/0";
  EXPECT_EQ(create_error(store, taken),
            std::make_pair(std::string("invalid interface name \"br/0\""), EINVAL));
  taken.interface_name = "fifteen-bytes-x";
  auto c = store.create(taken);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->interface_name, "fifteen-bytes-x");
}

TEST_F(NetworkStoreTest, DriverAndOptions) {
  NetworkStore store = open();
  NetworkCreateOptions options = named("n");
  options.driver = "macvlan";
  EXPECT_EQ(create_error(store, options),
            std::make_pair(std::string("unsupported driver macvlan"), EINVAL));
  options.driver = "bridge";
  for (const char* bad : {"67", "65536", "", "15OO", "1500 ", "-1500"}) {
    options.options = {{"mtu", bad}};
    EXPECT_EQ(create_error(store, options),
              std::make_pair("invalid mtu \"" + std::string(bad) +
                                 "\": it must be an integer from 68 to 65535",
                             EINVAL))
        << bad;
  }
  options.options = {{"isolate", "yes"}};
  EXPECT_EQ(
      create_error(store, options),
      std::make_pair(std::string("invalid isolate \"yes\": it must be true or false"), EINVAL));
  options.options = {{"vlan", "5"}};
  EXPECT_EQ(create_error(store, options),
            std::make_pair(std::string("unsupported network option vlan"), EINVAL));
  options.options = {{"mtu", "68"}, {"isolate", "false"}};
  ASSERT_TRUE(store.create(options));
  options.name = "m";
  options.options = {{"mtu", "65535"}, {"isolate", "true"}};
  ASSERT_TRUE(store.create(options));
}

TEST_F(NetworkStoreTest, FindByNameIdAndPrefix) {
  NetworkStore store = open();
  auto web = store.create(named("web"));
  ASSERT_TRUE(web);
  auto db = store.create(named("db"));
  ASSERT_TRUE(db);
  EXPECT_EQ(store.find("web")->id, web->id);
  EXPECT_EQ(store.find(db->id)->name, "db");
  EXPECT_EQ(store.find(db->id.substr(0, 10))->name, "db");

  auto missing = store.find("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "unable to find network with name or ID nope: network not found");
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  EXPECT_EQ(store.find("").error().errno_value(), ENOENT);

  // Two ids that share a prefix: hand-written files.
  NetworkConfig twin = *web;
  twin.name = "twin1";
  twin.id = std::string(63, 'a') + "1";
  ASSERT_TRUE(write_file_atomic(dir_ + "/twin1.json", network_config_to_json(twin)));
  twin.name = "twin2";
  twin.id = std::string(63, 'a') + "2";
  ASSERT_TRUE(write_file_atomic(dir_ + "/twin2.json", network_config_to_json(twin)));
  auto ambiguous = store.find("aaaa");
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ambiguous.error().message(),
            "network aaaa is ambiguous (2 matches found based on ID prefix)");
  EXPECT_EQ(store.find(std::string(63, 'a') + "2")->name, "twin2");
}

TEST_F(NetworkStoreTest, ListIsSortedByNameWithTheDefault) {
  NetworkStore store = open();
  ASSERT_TRUE(store.create(named("zeta")));
  ASSERT_TRUE(store.create(named("alpha")));
  auto list = store.list();
  ASSERT_TRUE(list) << list.error().message();
  std::vector<std::string> names;
  for (const NetworkConfig& n : *list) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "krill", "zeta"}));
}

TEST_F(NetworkStoreTest, CorruptFilesAreNamedAndCanBeRemoved) {
  NetworkStore store = open();
  ASSERT_TRUE(store.list());
  ASSERT_TRUE(write_file_atomic(dir_ + "/broken.json", "{not json"));
  auto list = store.list();
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message(), dir_ + "/broken.json: network file: invalid JSON");
  ASSERT_TRUE(store.remove("broken"));
  EXPECT_TRUE(store.list());
}

TEST_F(NetworkStoreTest, Remove) {
  NetworkStore store = open();
  auto web = store.create(named("web"));
  ASSERT_TRUE(web);
  auto db = store.create(named("db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(store.remove("web"));
  ASSERT_TRUE(store.remove(db->id.substr(0, 8)));
  EXPECT_EQ(files(), std::vector<std::string>{"krill.json"});
  EXPECT_EQ(store.find("web").error().errno_value(), ENOENT);

  auto missing = store.remove("web");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);

  for (const std::string name : {"krill", "bridge"}) {
    auto refused = store.remove(name);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message(), "default network krill cannot be removed");
    EXPECT_EQ(refused.error().errno_value(), EPERM);
  }
  const std::string default_id = store.find("krill")->id;
  EXPECT_EQ(store.remove(default_id).error().errno_value(), EPERM);
  EXPECT_EQ(files(), std::vector<std::string>{"krill.json"});

  // A removed network's subnet and bridge are free again.
  auto again = store.create(named("again"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->subnets[0].subnet, web->subnets[0].subnet);
  EXPECT_EQ(again->interface_name, web->interface_name);
}

TEST_F(NetworkStoreTest, RemoveOnAFreshStoreDoesNotDeadlock) {
  NetworkStore store = open();
  auto missing = store.remove("0123");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST_F(NetworkStoreTest, ConcurrentCreatesGetDistinctSubnetsAndBridges) {
  constexpr int kWriters = 8;
  std::vector<std::thread> threads;
  std::vector<Result<NetworkConfig>> results(kWriters, fail("not run"));
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      // Each writer is its own store, as separate krill processes would be.
      auto store = NetworkStore::open(dir_, NetworkDefaults{}, {});
      if (!store) {
        results[i] = std::unexpected(store.error());
        return;
      }
      results[i] = store->create(named("net" + std::to_string(i)));
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> subnets, interfaces;
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message();
    subnets.insert(results[i]->subnets[0].subnet.to_string());
    interfaces.insert(results[i]->interface_name);
  }
  EXPECT_EQ(subnets.size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(interfaces.size(), static_cast<size_t>(kWriters));
  EXPECT_FALSE(interfaces.count("krill0"));
  EXPECT_EQ(files().size(), static_cast<size_t>(kWriters + 1));  // + the default network
}

}  // namespace
}  // namespace krill::network
