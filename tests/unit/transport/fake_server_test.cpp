// The client against small fake servers: retries, resumption, corrupt answers, error texts,
// the bearer-token flow and pagination.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "fake_http_server.h"
#include "image/digest.h"
#include "transport/registry_client.h"

namespace krill::transport {
namespace {

using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::http_response;

ClientOptions fast_options() {
  ClientOptions o;
  o.plain_http = true;
  o.auth_files = std::vector<std::string>{};
  o.retry_delay_ms = 1;
  return o;
}

RegistryClient client_for(const FakeHttpServer& server, ClientOptions options = fast_options()) {
  auto c = RegistryClient::create(server.host(), std::move(options));
  EXPECT_TRUE(c) << c.error().message();
  return std::move(*c);
}

TEST(FakeRegistry, Retries503ThenSucceeds) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    return ++calls <= 2 ? http_response(503, "busy") : http_response(200, "{}");
  });
  auto client = client_for(server);
  auto r = client.ping();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(client.stats().retries, 2);
}

TEST(FakeRegistry, RetryExhaustionNamesStatusAndAttempts) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    ++calls;
    return http_response(503,
                         R"({"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]})",
                         {"Content-Type: application/json"});
  });
  auto client = client_for(server);
  auto r = client.get_manifest("a/b", "tag", {"application/vnd.oci.image.manifest.v1+json"});
  ASSERT_FALSE(r);
  EXPECT_EQ(calls.load(), 4);  // 1 + max_retries
  EXPECT_EQ(
      r.error().message(),
      "pull " + server.host() + "/a/b:tag: service unavailable (503 UNAVAILABLE) after 4 attempts");
}

// A body shorter than its Content-Length (the connection closed early) is said to be truncated,
// and every attempt resumes where the last one stopped.
TEST(FakeRegistry, TruncatedBlobBodyIsNamedAfterItsAttempts) {
  const std::string blob(100, 'b');
  std::atomic<int> calls{0}, ranged{0};
  FakeHttpServer server([&](const FakeRequest& req) {
    ++calls;
    if (!req.header("Range").empty()) ++ranged;
    return http_response(200, blob.substr(0, 50), {"Content-Length: 100"});
  });
  auto client = client_for(server);
  std::string received;
  auto r = client.get_blob(
      "a/b", image::sha256_of(blob).str(),
      [&](std::string_view chunk) -> Result<void> {
        received.append(chunk);
        return {};
      },
      blob.size());
  ASSERT_FALSE(r);
  EXPECT_EQ(calls.load(), 4);
  EXPECT_EQ(ranged.load(), 3);
  EXPECT_NE(r.error().message().find(": truncated body: "), std::string::npos)
      << r.error().message();
  EXPECT_TRUE(r.error().message().ends_with(" after 4 attempts")) << r.error().message();
}

TEST(FakeRegistry, Honors429RetryAfter) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    return ++calls == 1 ? http_response(429, "slow down", {"Retry-After: 1"})
                        : http_response(200, "{}");
  });
  auto client = client_for(server);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.ping());
  EXPECT_EQ(calls.load(), 2);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
}

TEST(FakeRegistry, ClearStatusErrors) {
  FakeHttpServer server([&](const FakeRequest& req) {
    if (req.path() == "/v2/a/b/manifests/tag")
      return http_response(
          404,
          R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})");
    if (req.path() == "/v2/a/b/tags/list") return http_response(403, "");
    if (req.path() == "/v2/a/b/blobs/uploads/") return http_response(401, "");
    return http_response(500, "boom");
  });
  ClientOptions o = fast_options();
  o.max_retries = 0;
  auto client = client_for(server, o);
  auto m = client.get_manifest("a/b", "tag", {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(),
            "pull " + server.host() + "/a/b:tag: manifest unknown (404 MANIFEST_UNKNOWN)");
  auto t = client.list_tags("a/b");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message(), "list tags of " + server.host() + "/a/b: denied (403)");
  std::string data = "x";
  auto p = client.put_blob("a/b", image::sha256_of(data).str(), 1,
                           [&](std::span<char> s) -> Result<size_t> {
                             size_t n = std::min(s.size(), data.size());
                             std::copy_n(data.data(), n, s.data());
                             data.erase(0, n);
                             return n;
                           });
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find(
                "authentication required: 401 UNAUTHORIZED — run krill login " + server.host()),
            std::string::npos)
      << p.error().message();
  auto c = client.catalog();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "list repositories of " + server.host() + ": 500 Internal Server Error: boom");
}

const std::string kBlob = std::string(60, 'a') + std::string(40, 'b');

TEST(FakeRegistry, ResumesBlobWithRange) {
  std::vector<std::string> ranges;
  std::mutex mu;
  FakeHttpServer server([&](const FakeRequest& req) {
    std::lock_guard lock(mu);
    ranges.push_back(req.header("Range"));
    if (req.header("Range").empty())  // announce 100 bytes, send 60, drop the connection
      return http_response(200, kBlob.substr(0, 60), {"Content-Length: 100"});
    return http_response(206, kBlob.substr(60), {"Content-Range: bytes 60-99/100"});
  });
  auto client = client_for(server);
  std::string got;
  auto n = client.get_blob(
      "a/b", image::sha256_of(kBlob).str(),
      [&](std::string_view c) -> Result<void> {
        got.append(c);
        return {};
      },
      100);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 100u);
  EXPECT_EQ(got, kBlob);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[1], "bytes=60-");
}

TEST(FakeRegistry, ResumeWhenServerIgnoresRange) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    if (++calls == 1) return http_response(200, kBlob.substr(0, 30), {"Content-Length: 100"});
    return http_response(200, kBlob);  // full body again: the first 30 bytes are skipped
  });
  auto client = client_for(server);
  std::string got;
  auto n = client.get_blob("a/b", image::sha256_of(kBlob).str(),
                           [&](std::string_view c) -> Result<void> {
                             got.append(c);
                             return {};
                           });
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(got, kBlob);
}

TEST(FakeRegistry, TruncatedBodyFails) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    ++calls;
    return http_response(200, kBlob.substr(0, 50), {"Content-Length: 100"});
  });
  auto client = client_for(server);
  auto n = client.get_blob("a/b", image::sha256_of(kBlob).str(),
                           [&](std::string_view) -> Result<void> { return {}; });
  ASSERT_FALSE(n);
  EXPECT_EQ(calls.load(), 4);
  EXPECT_NE(n.error().message().find("pull blob sha256:"), std::string::npos);
  EXPECT_NE(n.error().message().find("after 4 attempts"), std::string::npos) << n.error().message();
}

TEST(FakeRegistry, DigestAndSizeMismatchFail) {
  FakeHttpServer server([&](const FakeRequest&) { return http_response(200, "not the blob"); });
  auto client = client_for(server);
  auto sink = [](std::string_view) -> Result<void> { return {}; };
  auto n = client.get_blob("a/b", image::sha256_of(kBlob).str(), sink);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message().find("digest mismatch: content hashes to " +
                                     image::sha256_of("not the blob").str()),
            std::string::npos)
      << n.error().message();
  n = client.get_blob("a/b", image::sha256_of(kBlob).str(), sink, 100);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message().find("size mismatch"), std::string::npos) << n.error().message();
}

TEST(FakeRegistry, ManifestDigestHeaderMismatchFails) {
  const std::string body = R"({"schemaVersion":2})";
  FakeHttpServer server([&](const FakeRequest&) {
    return http_response(200, body,
                         {"Content-Type: application/vnd.oci.image.manifest.v1+json",
                          "Docker-Content-Digest: " + image::sha256_of("other").str()});
  });
  auto client = client_for(server);
  auto m = client.get_manifest("a/b", "tag", {});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("digest mismatch"), std::string::npos) << m.error().message();
  // Asked by digest: the body must hash to it.
  m = client.get_manifest("a/b", image::sha256_of("x").str(), {});
  ASSERT_FALSE(m);
}

TEST(FakeRegistry, BearerTokenFlowAndReuse) {
  std::atomic<int> token_requests{0};
  std::mutex mu;
  std::vector<std::string> scopes_asked;
  int port = 0;
  FakeHttpServer server([&](const FakeRequest& req) {
    if (req.path() == "/token") {
      ++token_requests;
      if (req.header("Authorization") != "Basic " + base64_encode("user:pass"))
        return http_response(401, "");
      if (req.query_values("service") != std::vector<std::string>{"fake-service"})
        return http_response(400, "bad service");
      std::lock_guard lock(mu);
      std::string scope;
      for (const auto& s : req.query_values("scope")) scope += (scope.empty() ? "" : " ") + s;
      scopes_asked.push_back(scope);
      return http_response(200, R"({"token":"tok )" + scope + R"(","expires_in":300})");
    }
    std::string repo = req.path().substr(4, req.path().find("/manifests") - 4);
    std::string want = "Bearer tok repository:" + repo + ":pull";
    if (req.header("Authorization") != want) {
      return http_response(
          401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
          {"WWW-Authenticate: Bearer realm=\"http://127.0.0.1:" + std::to_string(port) +
           "/token\",service=\"fake-service\",scope=\"repository:" + repo + ":pull\""});
    }
    return http_response(200, "{}", {"Content-Type: application/vnd.oci.image.manifest.v1+json"});
  });
  port = server.port();

  ClientOptions o = fast_options();
  auto anonymous = client_for(server, o);
  auto denied = anonymous.get_manifest("a/b", "t", {});
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message().find("authentication required (401) — run krill login"),
            std::string::npos)
      << denied.error().message();

  o.credentials = Credentials{"user", "pass", ""};
  auto client = client_for(server, o);
  for (int i = 0; i < 3; ++i) {
    auto m = client.get_manifest("a/b", "t", {});
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->digest, image::sha256_of("{}").str());
  }
  EXPECT_EQ(client.stats().token_fetches, 1);
  // A new scope: the token is fetched up front, without a 401 first.
  int before = server.requests();
  ASSERT_TRUE(client.get_manifest("c/d", "t", {}));
  EXPECT_EQ(server.requests() - before, 2);  // token + manifest
  EXPECT_EQ(client.stats().token_fetches, 2);
  std::lock_guard lock(mu);
  EXPECT_EQ(scopes_asked.back(), "repository:c/d:pull");

  o.credentials = Credentials{"user", "wrong", ""};
  auto bad = client_for(server, o);
  auto r = bad.get_manifest("a/b", "t", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("credentials rejected (401)"), std::string::npos)
      << r.error().message();
}

TEST(FakeRegistry, TagsPaginationFollowsLink) {
  const std::vector<std::string> all = {"a", "b", "c", "d", "e"};
  FakeHttpServer server([&](const FakeRequest& req) {
    size_t n = std::stoul(req.query_values("n").at(0));
    auto last = req.query_values("last");
    size_t start = 0;
    if (!last.empty()) start = std::find(all.begin(), all.end(), last[0]) - all.begin() + 1;
    std::string body = R"({"name":"r","tags":[)";
    size_t end = std::min(all.size(), start + n);
    for (size_t i = start; i < end; ++i) body += (i > start ? ",\"" : "\"") + all[i] + "\"";
    body += "]}";
    std::vector<std::string> headers;
    if (end < all.size())
      headers.push_back("Link: </v2/r/tags/list?n=" + std::to_string(n) + "&last=" + all[end - 1] +
                        ">; rel=\"next\"");
    return http_response(200, body, headers);
  });
  auto client = client_for(server);
  auto tags = client.list_tags("r", 2);
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, all);
  EXPECT_EQ(server.requests(), 3);
}

}  // namespace
}  // namespace krill::transport
