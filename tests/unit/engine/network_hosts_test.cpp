// The /etc/hosts section naming the containers that share a network.
#include "engine/network_hosts.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace krill::engine {
namespace {

network::ContainerNetworkState on(
    const std::string& name,
    std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> networks) {
  network::ContainerNetworkState state;
  state.container_name = name;
  for (auto& [id, address, aliases] : networks) {
    network::AttachedNetwork attached;
    attached.network_id = id;
    attached.addresses = {address};
    attached.aliases = aliases;
    state.networks.push_back(attached);
  }
  return state;
}

TEST(PeerHosts, OnlyContainersSharingANetworkWithTheirAliases) {
  auto web = on("web", {{"n1", "10.91.0.2/24", {"www"}}});
  auto db = on("db", {{"n1", "10.91.0.3/24", {"db", "postgres"}}, {"n2", "10.92.0.3/24", {}}});
  auto other = on("other", {{"n3", "10.93.0.2/24", {}}});
  NetworkStates states = {{"w", web}, {"d", db}, {"o", other}};
  EXPECT_EQ(peer_hosts_section("w", web, states),
            "# krill: containers on the same networks\n10.91.0.3\tdb postgres\n");
  EXPECT_EQ(peer_hosts_section("d", db, states),
            "# krill: containers on the same networks\n10.91.0.2\tweb www\n");
  EXPECT_EQ(peer_hosts_section("o", other, states), "");
}

TEST(PeerHosts, SectionReplacedInPlaceKeepingTheRest) {
  char dir_template[] = "/tmp/krill-hosts-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  std::string path = std::string(dir_template) + "/hosts";
  { std::ofstream(path) << "127.0.0.1\tlocalhost\n10.91.0.2\tweb\n"; }
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(
      replace_peer_hosts_section(path, "# krill: containers on the same networks\n1.2.3.4\ta\n"));
  ASSERT_TRUE(
      replace_peer_hosts_section(path, "# krill: containers on the same networks\n5.6.7.8\tb\n"));
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(),
            "127.0.0.1\tlocalhost\n10.91.0.2\tweb\n# krill: containers on the same networks\n"
            "5.6.7.8\tb\n");
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "a bind-mounted file must be rewritten in place";
  ASSERT_TRUE(replace_peer_hosts_section(path, ""));
  std::stringstream cleared;
  cleared << std::ifstream(path).rdbuf();
  EXPECT_EQ(cleared.str(), "127.0.0.1\tlocalhost\n10.91.0.2\tweb\n");
  EXPECT_TRUE(replace_peer_hosts_section(std::string(dir_template) + "/missing", "x"));
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}

}  // namespace
}  // namespace krill::engine
