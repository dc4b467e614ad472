// The protocol probe for insecure registries: an HTTP answer of any status decides, and nothing
// in an error text (a port number such as 40387 contains "403") is taken for a status.
#include <gtest/gtest.h>

#include "fake_http_server.h"
#include "registry_server.h"
#include "transport/insecure_registry.h"

namespace krill::transport {
namespace {

using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::http_response;

ClientOptions quiet_options() {
  ClientOptions o;
  o.auth_files = std::vector<std::string>{};
  o.retry_delay_ms = 1;
  return o;
}

TEST(InsecureRegistry, PlainHttpServerIsSpokenToInPlainHttp) {
  FakeHttpServer server([](const FakeRequest&) { return http_response(200, "{}"); });
  auto options = resolve_insecure_protocol(server.host(), quiet_options());
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_TRUE(options->plain_http);
  EXPECT_FALSE(options->tls_verify);
}

TEST(InsecureRegistry, PlainHttpServerAskingForCredentialsIsStillPlain) {
  FakeHttpServer server([](const FakeRequest&) {
    return http_response(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})",
                         {"WWW-Authenticate: Basic realm=\"test\""});
  });
  auto options = resolve_insecure_protocol(server.host(), quiet_options());
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_TRUE(options->plain_http);
}

TEST(InsecureRegistry, RealRegistryOnAnyPortIsPlain) {
  auto registry = testing::RegistryServer::start({});
  ASSERT_TRUE(registry) << registry.error().message();
  auto options = resolve_insecure_protocol((*registry)->host(), quiet_options());
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_TRUE(options->plain_http) << "port " << (*registry)->host();
}

TEST(InsecureRegistry, NobodyListeningNamesBothAttempts) {
  int port = testing::free_port();
  ClientOptions o = quiet_options();
  o.max_retries = 0;
  auto options = resolve_insecure_protocol("127.0.0.1:" + std::to_string(port), o);
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().message().find("over HTTPS"), std::string::npos);
  EXPECT_NE(options.error().message().find("over HTTP:"), std::string::npos);
}

}  // namespace
}  // namespace krill::transport
