// Ship (issue 3): the bearer-token flow from the command line — Debian's docker-registry with
// `auth: token`, a token server the test runs on 127.0.0.1 (ship_token_server.py), and
// `krill login` / `push` / `pull` / `logout` as a user types them: the scopes asked for, one
// token per scope reused by the parallel blob transfers, and clear 401 errors.
#include <gtest/gtest.h>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

// Token requests made since `from` (an index into TokenServer::requests()).
std::vector<json> requests_since(const TokenServer& tokens, size_t from) {
  std::vector<json> all = tokens.requests();
  return std::vector<json>(all.begin() + static_cast<long>(std::min(from, all.size())), all.end());
}

std::string describe(const std::vector<json>& requests) {
  std::string out;
  for (const auto& r : requests) out += r.dump() + "\n";
  return out;
}

// A 3-layer image (gzip layers) imported into `env`'s store as `name`.
bool make_three_layer_image(const ShipEnv& env, const std::string& name, std::string* why) {
  std::vector<LayoutLayer> layers;
  for (int i = 0; i < 3; ++i) {
    const std::string path = env.dir() + "/layer" + std::to_string(i) + ".tar";
    write_file(path, make_tar({tar_file("layer" + std::to_string(i) + "/data",
                                        std::string(100000 + i, static_cast<char>('a' + i)))}));
    layers.push_back({path, true});
  }
  if (write_oci_layout(env.dir() + "/layout", "t", layers).empty()) {
    *why = "could not write the OCI layout";
    return false;
  }
  CommandResult r = env.krill(
      {"image", "copy", "-q", "oci:" + env.dir() + "/layout:t", "containers-storage:" + name});
  if (!r.ok()) *why = r.describe();
  return r.ok();
}

TEST(ShipBearer, LoginPushPullWithATokenServer) {
  if (!path_exists("/usr/bin/docker-registry") || !have_program("openssl"))
    GTEST_SKIP() << "needs docker-registry and openssl";
  TokenServer tokens("bob", "builder");
  ASSERT_TRUE(tokens.ok()) << tokens.error();
  Registry registry(tokens.registry_options());
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string host = registry.host();
  const std::string remote = host + "/bearer/app:1";
  const std::string push_scope = "repository:bearer/app:pull,push";
  const std::string pull_scope = "repository:bearer/app:pull";

  ShipEnv env("bearer");
  std::string why;
  ASSERT_TRUE(make_three_layer_image(env, "localhost/bearer:1", &why)) << why;

  // Anonymous push: the token server grants pull only, the registry refuses the upload.
  size_t mark = tokens.requests().size();
  CommandResult r = env.krill({"push", "--tls-verify=false", "localhost/bearer:1", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("denied: the token does not grant"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("krill login " + host), std::string::npos) << r.describe();
  for (const auto& q : requests_since(tokens, mark)) EXPECT_EQ(q.value("account", "?"), "");

  // Wrong password: login fails with the token server's 401, nothing is stored.
  mark = tokens.requests().size();
  r = env.krill({"login", "--tls-verify=false", "-u", "bob", "-p", "wrong", host});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("credentials rejected (401)"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find(tokens.realm()), std::string::npos) << "the error names the token server\n"
                                                          << r.describe();
  EXPECT_FALSE(path_exists(env.auth_file()));
  auto refused = requests_since(tokens, mark);
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused.back().value("status", 0), 401) << describe(refused);

  // Login: a token for the registry itself (no scope), obtained with basic auth.
  mark = tokens.requests().size();
  r = env.krill({"login", "--tls-verify=false", "-u", "bob", "-p", "builder", host});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("Login Succeeded"), std::string::npos) << r.describe();
  ASSERT_TRUE(path_exists(env.auth_file()));
  auto login = requests_since(tokens, mark);
  ASSERT_EQ(login.size(), 1u) << describe(login);
  EXPECT_EQ(login[0].value("account", ""), "bob");
  EXPECT_EQ(login[0].value("service", ""), tokens.service());
  EXPECT_TRUE(login[0]["scopes"].empty()) << describe(login);

  // Push: config + 3 layers + manifest in parallel, all under one pull,push token.
  mark = tokens.requests().size();
  r = env.krill({"push", "--tls-verify=false", "localhost/bearer:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto push = requests_since(tokens, mark);
  ASSERT_FALSE(push.empty());
  int push_tokens = 0;
  for (const auto& q : push) {
    EXPECT_EQ(q.value("account", ""), "bob") << describe(push);
    EXPECT_EQ(q.value("status", 0), 200) << describe(push);
    for (const auto& s : q["scopes"]) push_tokens += s == push_scope;
  }
  EXPECT_EQ(push_tokens, 1) << "one token for the push scope, reused by every request\n"
                            << describe(push);
  EXPECT_LE(push.size(), 2u) << describe(push);

  // Pull into another store with the same login: one pull token for 4 blobs and a manifest.
  ShipEnv puller("bearer-pull");
  r = puller.krill({"login", "--tls-verify=false", "-u", "bob", "-p", "builder", host});
  ASSERT_TRUE(r.ok()) << r.describe();
  mark = tokens.requests().size();
  r = puller.krill({"pull", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto pull = requests_since(tokens, mark);
  int pull_tokens = 0;
  for (const auto& q : pull) {
    EXPECT_EQ(q.value("account", ""), "bob") << describe(pull);
    for (const auto& s : q["scopes"]) pull_tokens += s == pull_scope;
  }
  EXPECT_EQ(pull_tokens, 1) << describe(pull);
  EXPECT_EQ(pull.size(), 1u) << describe(pull);
  json pulled = puller.inspect(remote);
  ASSERT_TRUE(pulled.is_object());
  EXPECT_EQ(pulled["RootFS"]["Layers"].size(), 3u) << pulled.dump(2);
  EXPECT_EQ(pulled.value("Id", ""), env.inspect("localhost/bearer:1").value("Id", "x"));

  // Anonymous pull is granted by the token server (pull only).
  ShipEnv anonymous("bearer-anon");
  r = anonymous.krill({"pull", "-q", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(anonymous.image_ids().size(), 1u);

  // Wrong --creds on pull: a clear 401 from the token server, exit 125, nothing stored.
  ShipEnv wrong("bearer-wrong");
  r = wrong.krill({"pull", "--tls-verify=false", "--creds", "bob:nope", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("credentials rejected (401)"), std::string::npos) << r.describe();
  EXPECT_TRUE(wrong.image_ids().empty());

  // Logout: pushing again is refused.
  r = env.krill({"logout", host});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"push", "--tls-verify=false", "localhost/bearer:1", host + "/bearer/app:2"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  r = env.krill({"image", "inspect", "--raw", "--tls-verify=false", "--creds", "bob:builder",
                 "docker://" + host + "/bearer/app:2"});
  EXPECT_NE(r.exit_code, 0) << "the refused push left a manifest\n" << r.describe();
  EXPECT_NE(r.err.find("manifest unknown"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace krill::it::ship
