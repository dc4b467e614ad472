#include "transport/www_authenticate.h"

#include <gtest/gtest.h>

namespace krill::transport {
namespace {

TEST(WwwAuthenticate, DockerHubBearer) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  // The comma inside the quoted scope does not split it.
  EXPECT_EQ(c[0].param("scope"), "repository:samalba/my-app:pull,push");
}

TEST(WwwAuthenticate, BasicRealm) {
  auto c = parse_www_authenticate(R"(Basic realm="Registry Realm")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("REALM"), "Registry Realm");
}

TEST(WwwAuthenticate, SeveralChallengesSpacesAndCase) {
  auto c = parse_www_authenticate(
      R"(BASIC realm="a, b" , Bearer  realm = "https://t/x" , service=svc,error="insufficient_scope")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "a, b");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("realm"), "https://t/x");
  EXPECT_EQ(c[1].param("service"), "svc");  // unquoted token value
  EXPECT_EQ(c[1].param("error"), "insufficient_scope");
}

TEST(WwwAuthenticate, EscapedQuotesAndToken68) {
  auto c = parse_www_authenticate(R"(Bearer realm="a \"quoted\" \\ realm")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), R"(a "quoted" \ realm)");

  c = parse_www_authenticate("Negotiate abc123==, Basic realm=x");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_EQ(c[0].token68, "abc123==");
  EXPECT_EQ(c[1].param("realm"), "x");
}

TEST(WwwAuthenticate, SchemeWithoutParamsAndMultipleHeaders) {
  auto c = parse_www_authenticate(std::vector<std::string>{"Basic", R"(Bearer realm="r")"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_EQ(c[1].param("realm"), "r");
}

TEST(WwwAuthenticate, MalformedInputKeepsWhatParsed) {
  auto c = parse_www_authenticate(R"(Bearer realm="r",service="unterminated)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "r");
  EXPECT_EQ(c[0].param("service"), "unterminated");
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate(" , ,").empty());
}

}  // namespace
}  // namespace krill::transport
