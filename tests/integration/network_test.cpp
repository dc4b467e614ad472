// Networks end to end: bridge networks through the CNI plugins, name resolution between
// containers, published ports, internal networks, none/host/container: modes, live connect and
// disconnect, bad input, and teardown that leaves nothing — also after a monitor was SIGKILLed.
//
// Every test process runs in a network namespace of its own (main.cpp): the bridges, veths and
// firewall rules made here exist only in it, and traffic stays between the test's containers
// and its own loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "engine_test_support.h"
#include "ship_harness.h"

namespace krill::it {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The links of the test's own network namespace, one name per line.
std::string host_links() {
  auto links = run_command({"ip", "-o", "link", "show"});
  std::string names;
  std::istringstream lines(links.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    auto end = line.find_first_of(":@", colon + 2);
    names += line.substr(colon + 2, end - colon - 2) + "\n";
  }
  return names;
}

size_t entries_in(const std::string& dir) {
  std::error_code ec;
  size_t count = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != decltype(it)(); ++it)
    ++count;
  return count;
}

class Network : public ::testing::Test {
 protected:
  ~Network() override {
    // Removing every container takes every veth, namespace, lease and bridge with it.
    for (const auto& id : env.container_ids()) (void)env.krill({"rm", "-f", id});
    EXPECT_EQ(entries_in(env.runroot() + "/networks/netns"), 0u) << "network namespaces left";
    EXPECT_EQ(entries_in(env.runroot() + "/networks/containers"), 0u) << "network state left";
    EXPECT_EQ(host_links(), "lo\n") << "interfaces left in the test's namespace";
  }

  CommandResult krill(const std::vector<std::string>& args) const { return env.krill(args); }

  // A detached container; fails the test when it does not start.
  std::string run_detached(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    auto started = krill(args);
    EXPECT_TRUE(started.ok()) << started.describe();
    return trimmed(started.out);
  }

  // `curl URL` on the host (the test's namespace), retried while the server starts.
  std::string fetch_from_host(const std::string& url) {
    CommandResult result;
    for (int i = 0; i < 50; ++i) {
      result = run_command({"curl", "-s", "--max-time", "2", url});
      if (result.ok()) return result.out;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "fetch " << url << "\n" << result.describe();
    return "";
  }

  EngineEnv env;
};

TEST_F(Network, ContainersOnAUserNetworkReachEachOtherByNameOverTcpAndUdp) {
  ASSERT_TRUE(krill({"network", "create", "backend"}).ok());
  std::string web = run_detached({"--name", "web", "--network", "backend", EngineEnv::kImage,
                                  "httpd", "-f", "-p", "80", "-h", "/etc"});
  run_detached({"--name", "udp", "--network", "backend", "--network-alias", "echoer",
                EngineEnv::kImage, "probe", "udp-echo", "5000", "100"});
  auto tcp = krill({"run", "--rm", "--network", "backend", EngineEnv::kImage, "sh", "-c",
                    "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O- http://web/hostname "
                    "&& exit 0; sleep 0.2; done; exit 1"});
  ASSERT_TRUE(tcp.ok()) << tcp.describe();
  EXPECT_EQ(trimmed(tcp.out), web.substr(0, 12));
  auto udp = krill({"run", "--rm", "--network", "backend", EngineEnv::kImage, "probe", "udp-ask",
                    "echoer", "5000", "hello"});
  ASSERT_TRUE(udp.ok()) << udp.describe();
  EXPECT_EQ(trimmed(udp.out), "echo:hello");
  // Another network does not see them.
  ASSERT_TRUE(krill({"network", "create", "elsewhere"}).ok());
  // (--dns on loopback: the lookup fails at once instead of asking the host's resolver.)
  auto outsider = krill({"run", "--rm", "--network", "elsewhere", "--dns", "127.0.0.1",
                         EngineEnv::kImage, "sh", "-c",
                         "grep -qw web /etc/hosts && exit 9; timeout 5 wget -q -O- "
                         "http://web/hostname"});
  EXPECT_EQ(outsider.exit_code, 1) << outsider.describe();  // ran, and wget failed
  // inspect shows the address the name resolves to.
  std::string address = env.inspect("web", "{{.NetworkSettings.Networks.backend.IPAddress}}");
  EXPECT_EQ(address.rfind("10.", 0), 0u) << address;
  auto hosts = krill({"exec", "udp", "cat", "/etc/hosts"});
  EXPECT_NE(hosts.out.find(address + "\tweb"), std::string::npos) << hosts.out;
}

TEST_F(Network, Ipv6WhereAsked) {
  ASSERT_TRUE(krill({"network", "create", "--ipv6", "dual"}).ok());
  run_detached({"--name", "six", "--network", "dual", EngineEnv::kImage, "httpd", "-f", "-p", "80",
                "-h", "/etc"});
  std::string v6 = env.inspect("six", "{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}");
  ASSERT_EQ(v6.rfind("fd", 0), 0u) << v6;
  auto fetched = krill({"run", "--rm", "--network", "dual", EngineEnv::kImage, "sh", "-c",
                        "ip -o -6 addr show eth0 scope global; grep six /etc/hosts; "
                        "timeout 3 wget -q -O- http://[" +
                            v6 + "]/hostname"});
  ASSERT_TRUE(fetched.ok()) << fetched.describe();
  EXPECT_NE(fetched.out.find("inet6 fd"), std::string::npos) << fetched.out;
  EXPECT_NE(fetched.out.find(v6 + "\tsix"), std::string::npos) << fetched.out;
}

TEST_F(Network, HostPortRangeTakesTheFirstFreePort) {
  std::string first = run_detached({"--name", "r1", "-p", "18090-18092:80", EngineEnv::kImage,
                                    "httpd", "-f", "-p", "80", "-h", "/etc"});
  std::string second = run_detached({"--name", "r2", "-p", "18090-18092:80", EngineEnv::kImage,
                                     "httpd", "-f", "-p", "80", "-h", "/etc"});
  EXPECT_EQ(trimmed(krill({"port", "r1", "80"}).out), "0.0.0.0:18090");
  EXPECT_EQ(trimmed(krill({"port", "r2", "80"}).out), "0.0.0.0:18091");
  EXPECT_EQ(fetch_from_host("http://127.0.0.1:18091/hostname"), second.substr(0, 12) + "\n");
  // The last port of the range is bound by a host program: nothing is free any more.
  ship::BackgroundProcess holder({"/bin/busybox", "nc", "-l", "-p", "18092"}, {}, "/dev/null");
  for (int i = 0; i < 50 && !run_command({"sh", "-c", "grep -qi ':46AC ' /proc/net/tcp"}).ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto full = krill(
      {"run", "-d", "--name", "r3", "-p", "18090-18092:80", EngineEnv::kImage, "sleep", "100"});
  EXPECT_EQ(full.exit_code, 125) << full.describe();
  EXPECT_NE(full.err.find("no free host port in 18090-18092 for 80/tcp"), std::string::npos)
      << full.err;
  EXPECT_TRUE(krill({"rm", "-f", "r1", "r2", "r3"}).ok());
}

TEST_F(Network, PublishedPortReachesTheServerFromTheHost) {
  std::string id = run_detached({"--name", "pub", "-p", "18080:80", "-p", "80", EngineEnv::kImage,
                                 "httpd", "-f", "-p", "80", "-h", "/etc"});
  EXPECT_EQ(fetch_from_host("http://127.0.0.1:18080/hostname"), id.substr(0, 12) + "\n");
  auto ports = krill({"port", "pub"});
  ASSERT_TRUE(ports.ok()) << ports.describe();
  EXPECT_NE(ports.out.find("80/tcp -> 0.0.0.0:18080"), std::string::npos) << ports.out;
  // -p 80: a free host port, reported by `port` and inspect.
  auto single = krill({"port", "pub", "80"});
  ASSERT_TRUE(single.ok()) << single.describe();
  EXPECT_NE(single.out.find("0.0.0.0:"), std::string::npos) << single.out;
  auto ps = krill({"ps", "--format", "{{.Ports}}"});
  EXPECT_NE(ps.out.find("0.0.0.0:18080->80/tcp"), std::string::npos) << ps.out;
  // After the container stops, the port is free for another one.
  ASSERT_TRUE(krill({"rm", "-f", "pub"}).ok());
  std::string again =
      run_detached({"-p", "18080:80", EngineEnv::kImage, "httpd", "-f", "-p", "80", "-h", "/etc"});
  EXPECT_EQ(fetch_from_host("http://127.0.0.1:18080/hostname"), again.substr(0, 12) + "\n");
}

TEST_F(Network, PublishAllPublishesTheImagesExposedPortsOnFreePorts) {
  auto imported = krill({"import", "-q", "-c", "ENV=PATH=/bin", "-c", "EXPOSE 80",
                         busybox_rootfs_tar(), "localhost/exposed:1"});
  ASSERT_TRUE(imported.ok()) << imported.describe();
  std::string id = run_detached(
      {"--name", "all", "-P", "localhost/exposed:1", "httpd", "-f", "-p", "80", "-h", "/etc"});
  auto port = krill({"port", "all", "80/tcp"});
  ASSERT_TRUE(port.ok()) << port.describe();
  std::string host = trimmed(port.out);
  ASSERT_EQ(host.rfind("0.0.0.0:", 0), 0u) << host;
  EXPECT_EQ(fetch_from_host("http://127.0.0.1:" + host.substr(8) + "/hostname"),
            id.substr(0, 12) + "\n");
  auto unpublished = krill({"port", "all", "81"});
  EXPECT_NE(unpublished.exit_code, 0);
  EXPECT_NE(unpublished.err.find("no public port '81/tcp'"), std::string::npos) << unpublished.err;
}

TEST_F(Network, InternalNetworkHasNoWayOut) {
  run_detached({"--name", "srv", "-p", "18081:80", EngineEnv::kImage, "httpd", "-f", "-p", "80",
                "-h", "/etc"});
  fetch_from_host("http://127.0.0.1:18081/hostname");
  std::string gateway = env.inspect("srv", "{{.NetworkSettings.Gateway}}");
  ASSERT_FALSE(gateway.empty());
  std::string url = "http://" + gateway + ":18081/hostname";
  auto open_net =
      krill({"run", "--rm", EngineEnv::kImage, "timeout", "3", "wget", "-q", "-O-", url});
  EXPECT_TRUE(open_net.ok()) << open_net.describe();
  ASSERT_TRUE(krill({"network", "create", "--internal", "sealed"}).ok());
  auto sealed = krill({"run", "--rm", "--network", "sealed", EngineEnv::kImage, "sh", "-c",
                       "ip route; timeout 3 wget -q -O- " + url});
  EXPECT_NE(sealed.exit_code, 0) << sealed.describe();
  EXPECT_NE(sealed.exit_code, 125) << sealed.describe();                    // the container ran
  EXPECT_NE(sealed.out.find("dev eth0"), std::string::npos) << sealed.out;  // its subnet route
  EXPECT_EQ(sealed.out.find("default"), std::string::npos) << sealed.out;
  auto published =
      krill({"run", "--rm", "--network", "sealed", "-p", "18083:80", EngineEnv::kImage, "true"});
  EXPECT_EQ(published.exit_code, 125) << published.describe();
  EXPECT_NE(published.err.find("internal"), std::string::npos) << published.err;
}

TEST_F(Network, NoneHasOnlyLoopbackAndHostSeesTheHostsInterfaces) {
  auto none = krill({"run", "--rm", "--network", "none", EngineEnv::kImage, "ip", "-o", "link"});
  ASSERT_TRUE(none.ok()) << none.describe();
  EXPECT_NE(none.out.find(": lo:"), std::string::npos) << none.out;
  EXPECT_EQ(std::count(none.out.begin(), none.out.end(), '\n'), 1) << none.out;
  auto added =
      run_command({"ip", "link", "add", "kt-host0", "type", "veth", "peer", "name", "kt-host1"});
  ASSERT_TRUE(added.ok()) << added.describe();
  auto host = krill({"run", "--rm", "--network", "host", EngineEnv::kImage, "ip", "-o", "link"});
  (void)run_command({"ip", "link", "del", "kt-host0"});
  ASSERT_TRUE(host.ok()) << host.describe();
  EXPECT_NE(host.out.find("kt-host0"), std::string::npos) << host.out;
}

TEST_F(Network, ContainerModeSharesTheOthersNamespace) {
  run_detached({"--name", "owner", EngineEnv::kImage, "sleep", "100"});
  std::string address = env.inspect("owner", "{{.NetworkSettings.IPAddress}}");
  ASSERT_FALSE(address.empty());
  auto joined = krill({"run", "--rm", "--network", "container:owner", EngineEnv::kImage, "ip", "-o",
                       "-4", "addr", "show", "eth0"});
  ASSERT_TRUE(joined.ok()) << joined.describe();
  EXPECT_NE(joined.out.find(address + "/"), std::string::npos) << joined.out;
  auto stopped = krill({"create", "--name", "idle", EngineEnv::kImage, "true"});
  ASSERT_TRUE(stopped.ok());
  auto refused = krill({"run", "--rm", "--network", "container:idle", EngineEnv::kImage, "true"});
  EXPECT_EQ(refused.exit_code, 125) << refused.describe();
  EXPECT_NE(refused.err.find("not running"), std::string::npos) << refused.err;
}

TEST_F(Network, NsPathJoinsANamespaceTheUserMade) {
  // A namespace made outside krill (as `ip netns add` keeps one), with an interface in it.
  TempDir dir("netns");
  std::string path = dir.path() + "/made-by-hand";
  ASSERT_TRUE(write_file(path, ""));
  auto made = run_command({"unshare", "--net=" + path, "ip", "link", "add", "kt-ns0", "type",
                           "veth", "peer", "name", "kt-ns1"});
  ASSERT_TRUE(made.ok()) << made.describe();
  auto joined =
      krill({"run", "--rm", "--network", "ns:" + path, EngineEnv::kImage, "ip", "-o", "link"});
  (void)::umount2(path.c_str(), MNT_DETACH);
  ASSERT_TRUE(joined.ok()) << joined.describe();
  EXPECT_NE(joined.out.find("kt-ns0"), std::string::npos) << joined.out;
  auto relative =
      krill({"run", "--rm", "--network", "ns:relative/path", EngineEnv::kImage, "true"});
  EXPECT_EQ(relative.exit_code, 125) << relative.describe();
  EXPECT_NE(relative.err.find("absolute"), std::string::npos) << relative.err;
}

TEST_F(Network, PublishedUdpPortReachesTheServerFromTheHost) {
  run_detached({"--name", "udp", "-p", "15353:5353/udp", EngineEnv::kImage, "probe", "udp-echo",
                "5353", "100"});
  auto ports = krill({"port", "udp", "5353/udp"});
  EXPECT_EQ(trimmed(ports.out), "0.0.0.0:15353") << ports.describe();
  // The probe on the host side (the test's namespace): it resolves "localhost" from the host's
  // /etc/hosts.
  auto asked = run_command({probe_binary(), "udp-ask", "127.0.0.1", "15353", "ping"});
  EXPECT_TRUE(asked.ok()) << asked.describe();
  EXPECT_EQ(trimmed(asked.out), "echo:ping");
}

TEST_F(Network, ConnectAndDisconnectALiveContainer) {
  ASSERT_TRUE(krill({"network", "create", "one"}).ok());
  ASSERT_TRUE(krill({"network", "create", "two"}).ok());
  run_detached({"--name", "a", "--network", "one", EngineEnv::kImage, "sleep", "100"});
  std::string b = run_detached({"--name", "b", "--network", "two", EngineEnv::kImage, "httpd", "-f",
                                "-p", "80", "-h", "/etc"});
  auto hosts_before = krill({"exec", "a", "cat", "/etc/hosts"});
  EXPECT_EQ(hosts_before.out.find("\tb\n"), std::string::npos) << hosts_before.out;
  auto connected = krill({"network", "connect", "--alias", "bee", "two", "a"});
  ASSERT_TRUE(connected.ok()) << connected.describe();
  auto links = krill({"exec", "a", "ip", "-o", "link"});
  EXPECT_NE(links.out.find("eth1"), std::string::npos) << links.out;
  std::string b_address = env.inspect("b", "{{.NetworkSettings.Networks.two.IPAddress}}");
  auto hosts_after = krill({"exec", "a", "cat", "/etc/hosts"});
  EXPECT_NE(hosts_after.out.find(b_address + "\tb"), std::string::npos) << hosts_after.out;
  auto b_hosts = krill({"exec", "b", "cat", "/etc/hosts"});
  EXPECT_NE(b_hosts.out.find("\ta bee"), std::string::npos) << b_hosts.out;
  auto reach = krill({"exec", "a", "timeout", "3", "wget", "-q", "-O-", "http://b/hostname"});
  EXPECT_EQ(trimmed(reach.out), b.substr(0, 12)) << reach.describe();
  auto twice = krill({"network", "connect", "two", "a"});
  EXPECT_EQ(twice.exit_code, 125);
  EXPECT_NE(twice.err.find("already connected"), std::string::npos) << twice.err;

  ASSERT_TRUE(krill({"network", "disconnect", "one", "a"}).ok());
  auto after = krill({"exec", "a", "ip", "-o", "link"});
  EXPECT_EQ(after.out.find("eth0"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("eth1"), std::string::npos) << after.out;
  auto not_on = krill({"network", "disconnect", "one", "a"});
  EXPECT_NE(not_on.exit_code, 0);
  EXPECT_NE(not_on.err.find("not connected"), std::string::npos) << not_on.err;
  // Off its last network, then back on one: Docker allows it (unlike --network none).
  ASSERT_TRUE(krill({"network", "disconnect", "two", "a"}).ok());
  auto no_links = krill({"exec", "a", "ip", "-o", "link"});
  EXPECT_EQ(no_links.out.find("eth"), std::string::npos) << no_links.out;
  ASSERT_TRUE(krill({"stop", "-t", "0", "a"}).ok());
  auto back = krill({"network", "connect", "one", "a"});
  ASSERT_TRUE(back.ok()) << back.describe();
  ASSERT_TRUE(krill({"start", "a"}).ok());
  auto again = krill({"exec", "a", "ip", "-o", "link"});
  EXPECT_NE(again.out.find("eth0"), std::string::npos) << again.out;
  ASSERT_TRUE(krill({"rm", "-f", "a"}).ok());
  // The unused bridge of `one` went with its last container.
  std::string bridge =
      trimmed(krill({"network", "inspect", "--format", "{{.network_interface}}", "one"}).out);
  ASSERT_FALSE(bridge.empty());
  EXPECT_EQ(host_links().find(bridge + "\n"), std::string::npos) << host_links();
}

TEST_F(Network, BadInputIsRefusedCleanly) {
  // Overlapping subnets.
  ASSERT_TRUE(krill({"network", "create", "--subnet", "10.91.50.0/24", "first"}).ok());
  auto overlap = krill({"network", "create", "--subnet", "10.91.50.128/25", "second"});
  EXPECT_EQ(overlap.exit_code, 125) << overlap.describe();
  EXPECT_NE(overlap.err.find("already used"), std::string::npos) << overlap.err;
  EXPECT_EQ(krill({"network", "ls", "-q"}).out.find("second"), std::string::npos);
  auto host_bits = krill({"network", "create", "--subnet", "10.91.60.1/24", "third"});
  EXPECT_EQ(host_bits.exit_code, 125);
  EXPECT_NE(host_bits.err.find("10.91.60.0/24"), std::string::npos) << host_bits.err;
  auto exists = krill({"network", "create", "first"});
  EXPECT_EQ(exists.exit_code, 125);
  EXPECT_NE(exists.err.find("already"), std::string::npos) << exists.err;

  auto default_network = krill({"network", "inspect", "--format", "{{.name}}", "bridge"});
  EXPECT_EQ(trimmed(default_network.out), "krill") << default_network.describe();
  auto default_rm = krill({"network", "rm", "krill"});
  EXPECT_NE(default_rm.exit_code, 0);
  EXPECT_NE(default_rm.err.find("cannot be removed"), std::string::npos) << default_rm.err;

  // An alias must be a host name (it goes into other containers' /etc/hosts).
  auto bad_alias = krill({"run", "--rm", "--network", "first", "--network-alias", "two words",
                          EngineEnv::kImage, "true"});
  EXPECT_EQ(bad_alias.exit_code, 125) << bad_alias.describe();
  EXPECT_NE(bad_alias.err.find("invalid network alias"), std::string::npos) << bad_alias.err;
  EXPECT_TRUE(env.container_ids().empty());

  // Unknown network: nothing is made.
  auto unknown = krill({"run", "--rm", "--network", "nope", EngineEnv::kImage, "true"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("network not found"), std::string::npos) << unknown.err;
  EXPECT_TRUE(env.container_ids().empty());

  // A port already in use: the second container does not start and leaves nothing.
  run_detached({"--name", "holder", "-p", "18082:80", EngineEnv::kImage, "sleep", "100"});
  auto taken =
      krill({"run", "-d", "--name", "late", "-p", "18082:80", EngineEnv::kImage, "sleep", "100"});
  EXPECT_EQ(taken.exit_code, 125) << taken.describe();
  EXPECT_NE(taken.err.find("18082/tcp is already in use"), std::string::npos) << taken.err;
  EXPECT_EQ(env.inspect("late", "{{.State.Status}}"), "created");
  EXPECT_EQ(entries_in(env.runroot() + "/networks/netns"), 1u);
  // A host program holding a port counts too.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(18084);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  auto host_taken = krill({"run", "--rm", "-p", "18084:80", EngineEnv::kImage, "true"});
  EXPECT_EQ(host_taken.exit_code, 125) << host_taken.describe();
  EXPECT_NE(host_taken.err.find("already in use on the host"), std::string::npos) << host_taken.err;
  ::close(listener);
  // An address outside the network.
  auto bad_ip =
      krill({"run", "--rm", "--network", "first", "--ip", "10.99.0.5", EngineEnv::kImage, "true"});
  EXPECT_EQ(bad_ip.exit_code, 125) << bad_ip.describe();
  EXPECT_NE(bad_ip.err.find("not in a subnet of network first"), std::string::npos) << bad_ip.err;
  EXPECT_EQ(entries_in(env.runroot() + "/networks/netns"), 1u);

  // Removing a network in use: exit 2, still there; -f removes its containers.
  run_detached({"--name", "user", "--network", "first", EngineEnv::kImage, "sleep", "100"});
  auto in_use = krill({"network", "rm", "first"});
  EXPECT_EQ(in_use.exit_code, 2) << in_use.describe();
  EXPECT_NE(in_use.err.find("being used"), std::string::npos) << in_use.err;
  EXPECT_NE(krill({"network", "ls", "-q"}).out.find("first"), std::string::npos);
  auto forced = krill({"network", "rm", "-f", "first"});
  EXPECT_TRUE(forced.ok()) << forced.describe();
  EXPECT_EQ(krill({"network", "ls", "-q"}).out.find("first"), std::string::npos);
  auto missing = krill({"network", "rm", "first"});
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
}

TEST_F(Network, TeardownAfterTheMonitorWasKilled) {
  run_detached({"--name", "orphan", "-p", "18085:80", EngineEnv::kImage, "httpd", "-f", "-p", "80",
                "-h", "/etc"});
  fetch_from_host("http://127.0.0.1:18085/hostname");
  int monitor = std::stoi(env.inspect("orphan", "{{.State.ConmonPid}}"));
  int init = std::stoi(env.inspect("orphan", "{{.State.Pid}}"));
  ASSERT_GT(monitor, 0);
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  ::kill(init, SIGKILL);
  eventually([&] { return ::kill(monitor, 0) != 0; });
  // `system check` finds the monitor gone and tears the network down (so does any command that
  // looks at the container).
  auto check = krill({"system", "check"});
  EXPECT_TRUE(check.ok()) << check.describe();
  EXPECT_EQ(env.inspect("orphan", "{{.State.Status}}"), "exited");
  EXPECT_EQ(entries_in(env.runroot() + "/networks/netns"), 0u);
  EXPECT_EQ(entries_in(env.runroot() + "/networks/containers"), 0u);
  // The port and the address are free again.
  std::string next =
      run_detached({"-p", "18085:80", EngineEnv::kImage, "httpd", "-f", "-p", "80", "-h", "/etc"});
  EXPECT_EQ(fetch_from_host("http://127.0.0.1:18085/hostname"), next.substr(0, 12) + "\n");
}

}  // namespace
}  // namespace krill::it
