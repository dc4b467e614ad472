// pasta's command line (network/pasta.h).
#include "network/pasta.h"

#include <gtest/gtest.h>

namespace krill::network {
namespace {

using Strings = std::vector<std::string>;

TEST(PastaArguments, NothingPublished) {
  PastaRequest request;
  request.netns_path = "/run/user/1000/krill/networks/netns/abc";
  request.pid_file = "/run/user/1000/krill/networks/containers/abc.pasta.pid";
  auto argv = pasta_arguments(request);
  ASSERT_TRUE(argv.has_value()) << argv.error().message();
  EXPECT_EQ(*argv,
            (Strings{"pasta", "--config-net", "--quiet", "-t", "none", "-u", "none", "-T", "none",
                     "-U", "none", "--pid", request.pid_file, "--netns", request.netns_path}));
}

TEST(PastaArguments, PublishedPortsByProtocol) {
  PastaRequest request;
  request.binary = "/usr/bin/pasta";
  request.netns_path = "/ns";
  request.ports = {{"", 8080, 80, "tcp"},
                   {"127.0.0.1", 8443, 443, "tcp"},
                   {"", 5353, 53, "udp"},
                   {"::1", 9000, 9000, "udp"}};
  auto argv = pasta_arguments(request);
  ASSERT_TRUE(argv.has_value()) << argv.error().message();
  EXPECT_EQ(*argv, (Strings{"/usr/bin/pasta", "--config-net", "--quiet", "-t",
                            "8080:80,127.0.0.1/8443:443", "-u", "5353:53,::1/9000:9000", "-T",
                            "none", "-U", "none", "--netns", "/ns"}));
}

TEST(PastaArguments, BadPorts) {
  PastaRequest request;
  request.netns_path = "/ns";
  request.ports = {{"", 0, 80, "tcp"}};
  auto any_port = pasta_arguments(request);
  ASSERT_FALSE(any_port.has_value());
  EXPECT_NE(any_port.error().message().find("needs the host port given"), std::string::npos);
  request.ports = {{"", 9999, 9999, "sctp"}};
  auto sctp = pasta_arguments(request);
  ASSERT_FALSE(sctp.has_value());
  EXPECT_NE(sctp.error().message().find("tcp and udp ports only"), std::string::npos);
}

TEST(Pasta, StoppingWithoutAPidFileSucceeds) {
  EXPECT_TRUE(stop_pasta("/nonexistent/krill/pasta.pid").has_value());
  EXPECT_TRUE(stop_pasta("").has_value());
}

}  // namespace
}  // namespace krill::network
