// Authentication and TLS against the real docker-registry: htpasswd basic auth, TLS with a
// generated CA, and the bearer-token flow with a token server run by the test.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>

#include "base/file_io.h"
#include "fake_http_server.h"
#include "registry_server.h"
#include "registry_test_util.h"
#include "transport/registry_client.h"

namespace krill::transport {
namespace {

using namespace testing;

ClientOptions options_without_files() {
  ClientOptions o;
  o.auth_files = std::vector<std::string>{};
  o.retry_delay_ms = 10;
  o.max_retries = 1;
  return o;
}

Result<RegistryClient> client(const std::string& host, ClientOptions o) {
  return RegistryClient::create(host, std::move(o));
}

void push_and_pull(RegistryClient& c, const std::string& repo) {
  std::string data = "hello from " + repo;
  std::string digest = image::sha256_of(data).str();
  auto put = c.put_blob(repo, digest, data.size(), StringReader{data});
  ASSERT_TRUE(put) << put.error().message();
  std::string got;
  auto n = c.get_blob(repo, digest, [&](std::string_view s) -> Result<void> {
    got.append(s);
    return {};
  });
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(got, data);
  std::string config = R"({"os":"linux"})";
  ASSERT_TRUE(
      c.put_blob(repo, image::sha256_of(config).str(), config.size(), StringReader{config}));
  std::string m = manifest_json(kOciManifest, kOciConfig, config, kOciLayer, data);
  auto d = c.put_manifest(repo, "latest", kOciManifest, m);
  ASSERT_TRUE(d) << d.error().message();
  auto fetched = c.get_manifest(repo, "latest", {kOciManifest});
  ASSERT_TRUE(fetched) << fetched.error().message();
  EXPECT_EQ(fetched->body, m);
  auto tags = c.list_tags(repo);
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, std::vector<std::string>{"latest"});
}

TEST(BasicAuthRegistry, CredentialsFromOptionsAndAuthFile) {
  TempDir dir;
  auto htpasswd = run_program({"htpasswd", "-Bbn", "alice", "wonderland"});
  ASSERT_TRUE(htpasswd) << htpasswd.error().message();
  ASSERT_TRUE(write_file_atomic(dir.path() + "/htpasswd", *htpasswd));
  RegistryServerOptions ro;
  ro.htpasswd_file = dir.path() + "/htpasswd";
  auto server = RegistryServer::start(ro);
  ASSERT_TRUE(server) << server.error().message();
  const std::string host = (*server)->host();

  ClientOptions o = options_without_files();
  o.plain_http = true;
  auto anonymous = client(host, o);
  ASSERT_TRUE(anonymous);
  auto r = anonymous->ping();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "ping " + host +
                                     ": authentication required: 401 UNAUTHORIZED "
                                     "(authentication required) — run krill login " +
                                     host);
  auto m = anonymous->get_manifest("a/b", "tag", {kOciManifest});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("pull " + host + "/a/b:tag: authentication required: 401"),
            std::string::npos)
      << m.error().message();

  o.credentials = Credentials{"alice", "wrong", ""};
  auto wrong = client(host, o);
  r = wrong->ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("authentication failed: 401 UNAUTHORIZED"), std::string::npos)
      << r.error().message();

  o.credentials = Credentials{"alice", "wonderland", ""};
  auto good = client(host, o);
  ASSERT_TRUE(good->ping());
  push_and_pull(*good, "basic/repo");

  // The same credentials found in an auth.json file.
  const std::string auth_file = dir.path() + "/auth.json";
  ASSERT_TRUE(store_credentials(auth_file, host, {"alice", "wonderland", ""}));
  ClientOptions from_file = options_without_files();
  from_file.plain_http = true;
  from_file.auth_files = std::vector<std::string>{auth_file};
  auto filed = client(host, from_file);
  ASSERT_TRUE(filed) << filed.error().message();
  auto fetched = filed->get_manifest("basic/repo", "latest", {kOciManifest});
  ASSERT_TRUE(fetched) << fetched.error().message();
}

TEST(TlsRegistry, CertDirInsecureAndUnknownCa) {
  TempDir dir;
  auto pki = TestPki::create(dir.path());
  ASSERT_TRUE(pki) << pki.error().message();
  RegistryServerOptions ro;
  ro.tls_cert = pki->server_cert;
  ro.tls_key = pki->server_key;
  auto server = RegistryServer::start(ro);
  ASSERT_TRUE(server) << server.error().message();
  const std::string host = (*server)->host();

  // Unknown CA: a TLS error with a hint.
  auto plain = client(host, options_without_files());
  ASSERT_TRUE(plain);
  auto r = plain->ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ping " + host + ": "), std::string::npos);
  EXPECT_NE(r.error().message().find("certificate"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("--cert-dir"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("--tls-verify=false"), std::string::npos);

  // The CA in a cert dir, as podman's --cert-dir.
  const std::string cert_dir = dir.path() + "/certs.d";
  ASSERT_TRUE(mkdir_all(cert_dir, 0755));
  ASSERT_TRUE(write_file_atomic(cert_dir + "/ca.crt", *read_file(pki->ca_cert), 0644));
  ClientOptions o = options_without_files();
  o.cert_dir = cert_dir;
  auto trusted = client(host, o);
  ASSERT_TRUE(trusted) << trusted.error().message();
  ASSERT_TRUE(trusted->ping());
  push_and_pull(*trusted, "tls/repo");

  // --tls-verify=false against the same server.
  ClientOptions insecure = options_without_files();
  insecure.tls_verify = false;
  auto unverified = client(host, insecure);
  ASSERT_TRUE(unverified);
  auto pinged = unverified->ping();
  ASSERT_TRUE(pinged) << pinged.error().message();

  // Plain HTTP against a TLS server fails clearly too.
  ClientOptions http = options_without_files();
  http.plain_http = true;
  auto wrong_scheme = client(host, http);
  EXPECT_FALSE(wrong_scheme->ping());
}

// A token server as docker's auth server: GET /token?service=&scope=... with basic auth,
// answering a JWT signed with the key whose certificate the registry trusts.
class TokenServer {
 public:
  TokenServer(TokenSigner signer, std::string service, std::string issuer)
      : signer_(std::move(signer)),
        service_(std::move(service)),
        issuer_(std::move(issuer)),
        http_([this](const FakeRequest& r) { return handle(r); }) {}

  std::string realm() const { return http_.url() + "/token"; }
  int issued() const {
    std::lock_guard lock(mu_);
    return issued_;
  }

 private:
  std::string handle(const FakeRequest& req) {
    if (req.path() != "/token") return http_response(404, "");
    std::string subject = "anonymous";
    std::string auth = req.header("Authorization");
    if (!auth.empty()) {
      if (auth != "Basic " + base64_encode("bob:builder")) return http_response(401, "");
      subject = "bob";
    }
    std::string access = "[";
    for (const auto& scope : req.query_values("scope")) {
      // type:name:actions; anonymous users get pull only.
      size_t first = scope.find(':'), last = scope.rfind(':');
      if (first == std::string::npos || last == first) continue;
      std::string type = scope.substr(0, first), name = scope.substr(first + 1, last - first - 1);
      std::string actions;
      size_t pos = last + 1;
      while (pos <= scope.size()) {
        size_t comma = scope.find(',', pos);
        if (comma == std::string::npos) comma = scope.size();
        std::string action = scope.substr(pos, comma - pos);
        if (subject != "anonymous" || action == "pull")
          actions += (actions.empty() ? "\"" : ",\"") + action + "\"";
        pos = comma + 1;
      }
      if (access.size() > 1) access += ",";
      access +=
          R"({"type":")" + type + R"(","name":")" + name + R"(","actions":[)" + actions + "]}";
    }
    access += "]";
    auto token = signer_.sign(issuer_, service_, subject, access);
    if (!token) return http_response(500, token.error().message());
    std::lock_guard lock(mu_);
    ++issued_;
    return http_response(200, R"({"token":")" + *token + R"(","expires_in":300})",
                         {"Content-Type: application/json"});
  }

  TokenSigner signer_;
  std::string service_, issuer_;
  mutable std::mutex mu_;
  int issued_ = 0;
  FakeHttpServer http_;  // last: stopped first
};

TEST(TokenAuthRegistry, BearerFlowWithTokenReuse) {
  TempDir dir;
  auto pki = TestPki::create(dir.path());  // the CA doubles as the token signing certificate
  ASSERT_TRUE(pki) << pki.error().message();
  auto signer = TokenSigner::create(pki->ca_cert, pki->ca_key);
  ASSERT_TRUE(signer) << signer.error().message();
  TokenServer tokens(std::move(*signer), "krill-registry", "krill-token-issuer");
  RegistryServerOptions ro;
  ro.token_realm = tokens.realm();
  ro.token_service = "krill-registry";
  ro.token_issuer = "krill-token-issuer";
  ro.token_rootcertbundle = pki->ca_cert;
  auto server = RegistryServer::start(ro);
  ASSERT_TRUE(server) << server.error().message();
  const std::string host = (*server)->host();

  ClientOptions o = options_without_files();
  o.plain_http = true;
  o.credentials = Credentials{"bob", "builder", ""};
  auto c = client(host, o);
  ASSERT_TRUE(c);
  auto pinged = c->ping();
  ASSERT_TRUE(pinged) << pinged.error().message() << "\n" << *read_file((*server)->log_file());
  push_and_pull(*c, "tokens/repo");
  int fetched = c->stats().token_fetches;
  // One token for the registry (ping), one for push (pull,push); pulls reuse or fetch once.
  EXPECT_LE(fetched, 4);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->get_manifest("tokens/repo", "latest", {kOciManifest}));
  EXPECT_EQ(c->stats().token_fetches, fetched);  // reused

  // Anonymous: pull is granted, push is not.
  ClientOptions anon = options_without_files();
  anon.plain_http = true;
  auto a = client(host, anon);
  auto m = a->get_manifest("tokens/repo", "latest", {kOciManifest});
  ASSERT_TRUE(m) << m.error().message();
  std::string data = "anonymous push";
  auto put =
      a->put_blob("tokens/repo", image::sha256_of(data).str(), data.size(), StringReader{data});
  ASSERT_FALSE(put);
  EXPECT_NE(put.error().message().find("push blob"), std::string::npos) << put.error().message();
  // The registry lists the scope's actions in either order (a Go map).
  const std::string& message = put.error().message();
  EXPECT_TRUE(
      message.find("denied: the token does not grant repository:tokens/repo:pull,push (401 "
                   "UNAUTHORIZED)") != std::string::npos ||
      message.find("denied: the token does not grant repository:tokens/repo:push,pull (401 "
                   "UNAUTHORIZED)") != std::string::npos)
      << message;

  // Wrong password: the token server refuses.
  o.credentials = Credentials{"bob", "wrong", ""};
  auto bad = client(host, o);
  auto r = bad->get_manifest("tokens/repo", "latest", {kOciManifest});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("credentials rejected (401)"), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace krill::transport
