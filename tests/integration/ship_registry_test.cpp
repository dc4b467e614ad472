// Ship (issue 3): krill push / pull / login / logout against Debian's docker-registry — plain
// HTTP, htpasswd basic auth and TLS with a CA the test makes — driven as a user types them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += table[(v >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// One plain registry for the suite; every test uses its own repository and store.
class ShipRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (have_registry()) registry_ = new Registry();
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  void SetUp() override {
    if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed";
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }
  static Registry* registry_;
};
Registry* ShipRegistry::registry_ = nullptr;

TEST_F(ShipRegistry, PushRmiPullKeepsIdAndRegistryDigest) {
  ShipEnv env("push-pull");
  std::string why;
  const std::string id = import_busybox(env, "localhost/ship-busybox:1", &why);
  ASSERT_FALSE(id.empty()) << why;
  const std::string remote = registry_->host() + "/ship/busybox:1";

  CommandResult r = env.krill({"push", "--tls-verify=false", "localhost/ship-busybox:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"rmi", "localhost/ship-busybox:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(env.image_ids().empty()) << env.krill({"images"}).out;

  r = env.krill({"pull", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find(id), std::string::npos) << "pull prints the image id\n" << r.describe();

  r = env.krill({"images"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find(registry_->host() + "/ship/busybox"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(id.substr(0, 12)), std::string::npos) << r.out;
  std::vector<std::string> ids = env.image_ids();
  ASSERT_EQ(ids.size(), 1u) << env.images().dump(2);
  EXPECT_EQ(ids[0], id);

  const std::string registry_digest = registry_manifest_digest(*registry_, "ship/busybox", "1");
  ASSERT_FALSE(registry_digest.empty());
  json inspected = env.inspect(remote);
  ASSERT_TRUE(inspected.is_object()) << env.krill({"image", "inspect", remote}).describe();
  EXPECT_EQ(inspected.value("Digest", ""), registry_digest) << inspected.dump(2);
  EXPECT_EQ(inspected.value("Id", ""), id);
  // And skopeo, a peer, sees the same digest.
  r = env.skopeo({"inspect", "--tls-verify=false", "docker://" + remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(parse_json(r.out).value("Digest", ""), registry_digest) << r.out;

  r = env.krill({"system", "check"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST_F(ShipRegistry, PullOfMissingTagFailsWithManifestUnknown) {
  ShipEnv env("missing-tag");
  CommandResult r =
      env.krill({"pull", "--tls-verify=false", registry_->host() + "/ship/nothing-here:nope"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("manifest unknown"), std::string::npos) << r.describe();
  EXPECT_TRUE(env.image_ids().empty());
}

// The reg/skopeo verbs that talk to a registry without the store: list-tags, catalog, a single
// layer blob, sync (to a registry and to dir:), delete.
TEST_F(ShipRegistry, RemoteVerbsListDownloadSyncAndDelete) {
  ShipEnv env("remote-verbs");
  std::string why;
  const std::string id = import_busybox(env, "localhost/ship-remote:1", &why);
  ASSERT_FALSE(id.empty()) << why;
  const std::string host = registry_->host();
  for (const std::string tag : {"1", "2"}) {
    CommandResult r = env.krill(
        {"push", "--tls-verify=false", "localhost/ship-remote:1", host + "/remote/app:" + tag});
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  CommandResult r =
      env.krill({"image", "list-tags", "--tls-verify=false", "docker://" + host + "/remote/app"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json tags = parse_json(r.out);
  ASSERT_TRUE(tags.is_object()) << r.out;
  // In the registry's order, which is not sorted (skopeo's list-tags shows the same).
  std::vector<std::string> listed = tags.value("Tags", std::vector<std::string>{});
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::string>{"1", "2"})) << r.out;
  r = env.krill({"registry", "catalog", "--tls-verify=false", host});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("remote/app\n"), std::string::npos) << r.out;

  // One layer blob, verified and written only when complete.
  r = env.krill(
      {"image", "inspect", "--raw", "--tls-verify=false", "docker://" + host + "/remote/app:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json manifest = parse_json(r.out);
  ASSERT_TRUE(manifest.is_object() && manifest["layers"].size() == 1) << r.out;
  const std::string layer = manifest["layers"][0].value("digest", "");
  const std::string file = env.dir() + "/layer.tar.gz";
  r = env.krill(
      {"registry", "layer", "--tls-verify=false", "-o", file, host + "/remote/app@" + layer});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(sha256_file(file), layer);
  const std::string missing = "sha256:" + std::string(64, '0');
  r = env.krill({"registry", "layer", "--tls-verify=false", "-o", env.dir() + "/missing",
                 host + "/remote/app@" + missing});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("blob unknown"), std::string::npos) << r.describe();
  EXPECT_FALSE(path_exists(env.dir() + "/missing"));
  r = env.krill({"registry", "layer", "--tls-verify=false", host + "/remote/app:1"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("by digest"), std::string::npos) << r.describe();

  // sync: every tag to another repository, and to dir:.
  r = env.krill({"image", "sync", "-q", "--src-tls-verify=false", "--dest-tls-verify=false",
                 "--src", "docker", "--dest", "docker", host + "/remote/app", host + "/mirror"});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const std::string tag : {"1", "2"})
    EXPECT_EQ(registry_manifest_digest(*registry_, "mirror/app", tag),
              registry_manifest_digest(*registry_, "remote/app", tag));
  const std::string mirror = env.dir() + "/mirror";
  r = env.krill({"image", "sync", "-q", "--src-tls-verify=false", "--src", "docker", "--dest",
                 "dir", host + "/remote/app", mirror});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(path_exists(mirror + "/app:1/manifest.json"));
  EXPECT_TRUE(path_exists(mirror + "/app:2/manifest.json"));

  // sync back from the directory: every image directory in it, named after its directory.
  r = env.krill({"image", "sync", "-q", "--dest-tls-verify=false", "--src", "dir", "--dest",
                 "docker", mirror + "/", host + "/fromdir"});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const std::string tag : {"1", "2"})
    EXPECT_EQ(registry_manifest_digest(*registry_, "fromdir/app", tag),
              registry_manifest_digest(*registry_, "remote/app", tag));
  // --scoped keeps the image's path below the source directory.
  const std::string usb = env.dir() + "/usb";
  r = env.krill({"image", "sync", "-q", "--src-tls-verify=false", "--src", "docker", "--dest",
                 "dir", host + "/remote/app:2", usb + "/team"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"image", "sync", "--dest-tls-verify=false", "--scoped", "--src", "dir", "--dest",
                 "docker", usb, host + "/scoped"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.err.find("Copying image ref 1/1 from=\"dir:" + usb + "/team/app:2\""),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(registry_manifest_digest(*registry_, "scoped/team/app", "2"),
            registry_manifest_digest(*registry_, "remote/app", "2"));
  // Bad input: dir to dir, a directory without images, a missing directory.
  r = env.krill({"image", "sync", "--src", "dir", "--dest", "dir", mirror, env.dir() + "/copy"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("dir to dir"), std::string::npos) << r.describe();
  EXPECT_FALSE(path_exists(env.dir() + "/copy"));
  ASSERT_EQ(::mkdir((env.dir() + "/empty").c_str(), 0755), 0);
  r = env.krill({"image", "sync", "--dest-tls-verify=false", "--src", "dir", "--dest", "docker",
                 env.dir() + "/empty", host + "/none"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("no images in it"), std::string::npos) << r.describe();
  r = env.krill({"image", "sync", "--dest-tls-verify=false", "--src", "dir", "--dest", "docker",
                 env.dir() + "/absent", host + "/none"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find(env.dir() + "/absent: No such file"), std::string::npos) << r.describe();

  // delete: the manifest (both tags name it) is gone; the other repository keeps its copy.
  r = env.krill({"image", "delete", "--tls-verify=false", "docker://" + host + "/remote/app:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(registry_manifest_digest(*registry_, "remote/app", "1").empty());
  EXPECT_FALSE(registry_manifest_digest(*registry_, "mirror/app", "1").empty());
  r = env.krill({"image", "delete", "--tls-verify=false", "docker://" + host + "/remote/app:1"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("manifest unknown"), std::string::npos) << r.describe();
}

// The decompression-bomb limit from the command line: a layer bigger than --max-layer-size
// uncompressed is refused and nothing is stored.
// Blobs a registry already holds in another repository are mounted (distribution-spec's
// cross-repository mount), not uploaded again: by `image copy` between repositories and by a
// push of an image named after a repository of the same registry.
TEST_F(ShipRegistry, CrossRepositoryMountInsteadOfUpload) {
  ShipEnv env("cross-mount");
  std::string why;
  ASSERT_FALSE(import_busybox(env, "localhost/ship-mount:1", &why).empty()) << why;
  const std::string first = registry_->host() + "/ship/mount-a:1";
  CommandResult r = env.krill({"tag", "localhost/ship-mount:1", first});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"push", "--tls-verify=false", first});
  ASSERT_TRUE(r.ok()) << r.describe();
  // The registry logs each request as a line with http.request.method and http.request.uri.
  auto requests = [&](const std::string& method, const std::string& uri_prefix) {
    size_t count = 0;
    std::istringstream lines(registry_->log());
    for (std::string line; std::getline(lines, line);) {
      if (line.find("http.request.method=" + method + " ") == std::string::npos) continue;
      if (line.find("http.request.uri=" + uri_prefix) != std::string::npos ||
          line.find("http.request.uri=\"" + uri_prefix) != std::string::npos)
        ++count;
    }
    return count;
  };
  // An upload of a blob ends with a PUT to .../blobs/uploads/<id>; a mount is one POST.
  auto uploads_into = [&](const std::string& repository) {
    return requests("PUT", "/v2/" + repository + "/blobs/uploads/");
  };
  auto mounts_into = [&](const std::string& repository) {
    return requests("POST", "/v2/" + repository + "/blobs/uploads/?mount=") > 0;
  };
  ASSERT_GT(uploads_into("ship/mount-a"), 0u) << "the first push uploads\n" << registry_->log();

  r = env.krill({"image", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                 "docker://" + first, "docker://" + registry_->host() + "/ship/mount-b:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(mounts_into("ship/mount-b")) << registry_->log();
  EXPECT_EQ(uploads_into("ship/mount-b"), 0u) << "the layer and config were uploaded again";

  const std::string third = registry_->host() + "/ship/mount-c:1";
  ASSERT_TRUE(env.krill({"tag", "localhost/ship-mount:1", third}).ok());
  r = env.krill({"push", "--tls-verify=false", third});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(mounts_into("ship/mount-c")) << registry_->log();
  EXPECT_EQ(uploads_into("ship/mount-c"), 0u);
  EXPECT_EQ(registry_manifest_digest(*registry_, "ship/mount-c", "1"),
            registry_manifest_digest(*registry_, "ship/mount-a", "1"));
  // skopeo, a peer, reads the mounted image whole.
  r = env.skopeo(
      {"copy", "--src-tls-verify=false", "docker://" + third, "oci:" + env.dir() + "/mounted:1"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST_F(ShipRegistry, MaxLayerSizeRefusesABigLayer) {
  ShipEnv env("bomb");
  std::string why;
  ASSERT_FALSE(import_busybox(env, "localhost/ship-bomb:1", &why).empty()) << why;
  const std::string remote = registry_->host() + "/ship/bomb:1";
  CommandResult r = env.krill({"push", "--tls-verify=false", "localhost/ship-bomb:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  ShipEnv puller("bomb-pull");
  r = puller.krill({"--max-layer-size", "64k", "pull", "--tls-verify=false", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("layer exceeds the limit of 65536 bytes uncompressed"), std::string::npos)
      << r.describe();
  EXPECT_TRUE(puller.image_ids().empty());
  r = puller.krill({"system", "check"});
  EXPECT_TRUE(r.ok()) << r.describe();
  r = puller.krill({"--max-layer-size", "lots", "pull", "--tls-verify=false", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("invalid size"), std::string::npos) << r.describe();
  r = puller.krill({"--max-layer-size", "64m", "pull", "-q", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(puller.image_ids().size(), 1u);
}

TEST(ShipAuth, LoginPushPullLogoutWithHtpasswd) {
  if (!have_registry() || !have_program("htpasswd"))
    GTEST_SKIP() << "needs docker-registry and htpasswd (apache2-utils)";
  TempDir secrets("htpasswd");
  const std::string htpasswd = secrets.path() + "/htpasswd";
  ASSERT_TRUE(write_htpasswd(htpasswd, "shipuser", "s3cret-pass"));
  RegistryOptions options;
  options.htpasswd_file = htpasswd;
  Registry registry(options);
  ASSERT_TRUE(registry.ok()) << registry.error();

  ShipEnv env("auth");
  std::string why;
  const std::string id = import_busybox(env, "localhost/ship-auth:1", &why);
  ASSERT_FALSE(id.empty()) << why;
  const std::string remote = registry.host() + "/ship/auth:1";

  // Push without credentials: refused.
  CommandResult r = env.krill({"push", "--tls-verify=false", "localhost/ship-auth:1", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  // Push with --creds works without touching the auth file.
  r = env.krill({"push", "--tls-verify=false", "--creds", "shipuser:s3cret-pass",
                 "localhost/ship-auth:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(path_exists(env.auth_file()));

  // Pull without login: a clear error and exit 125.
  ShipEnv puller("auth-pull");
  r = puller.krill({"pull", "--tls-verify=false", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  std::string lower = r.err;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(lower.find("unauthorized") != std::string::npos ||
              lower.find("authentication required") != std::string::npos)
      << r.describe();
  EXPECT_NE(lower.find("login"), std::string::npos) << "the error should tell the user to log in\n"
                                                    << r.describe();
  EXPECT_TRUE(puller.image_ids().empty());

  // Wrong password: login fails and writes nothing.
  r = puller.krill(
      {"login", "--tls-verify=false", "-u", "shipuser", "-p", "wrong", registry.host()});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(path_exists(puller.auth_file()));

  r = puller.krill(
      {"login", "--tls-verify=false", "-u", "shipuser", "-p", "s3cret-pass", registry.host()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("Login Succeeded"), std::string::npos) << r.describe();
  ASSERT_TRUE(path_exists(puller.auth_file()));
  json auth = parse_json(read_file(puller.auth_file()));
  ASSERT_TRUE(auth.is_object()) << read_file(puller.auth_file());
  ASSERT_TRUE(auth.contains("auths")) << auth.dump(2);
  ASSERT_TRUE(auth["auths"].contains(registry.host())) << auth.dump(2);
  EXPECT_EQ(auth["auths"][registry.host()].value("auth", ""), base64("shipuser:s3cret-pass"))
      << auth.dump(2);
  struct stat st {};
  ASSERT_EQ(::stat(puller.auth_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u) << "auth.json must not be readable by others";
  // Nothing written to the real HOME-based locations.
  EXPECT_FALSE(path_exists(puller.home() + "/.docker/config.json"));

  r = puller.krill({"pull", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(puller.image_ids(), std::vector<std::string>{id});
  r = puller.krill({"tag", remote, registry.host() + "/ship/auth:2"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = puller.krill({"push", "--tls-verify=false", registry.host() + "/ship/auth:2"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(
      registry_manifest_digest(registry, "ship/auth", "2", "shipuser:s3cret-pass").empty());

  r = puller.krill({"logout", registry.host()});
  ASSERT_TRUE(r.ok()) << r.describe();
  json after = parse_json(read_file(puller.auth_file()));
  EXPECT_FALSE(after.is_object() && after.contains("auths") &&
               after["auths"].contains(registry.host()))
      << after.dump(2);
  r = puller.krill({"rmi", "--all"});
  EXPECT_TRUE(r.ok()) << r.describe();
  r = puller.krill({"pull", "--tls-verify=false", remote});
  EXPECT_EQ(r.exit_code, 125) << "logged out: pull must fail again\n" << r.describe();

  // skopeo's --src-creds / --dest-creds on `image copy`, without any login: each side's own.
  const std::string copied = "docker://" + registry.host() + "/ship/auth-copy:1";
  r = puller.krill({"image", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "docker://" + remote, copied});
  EXPECT_EQ(r.exit_code, 125) << "no credentials: refused\n" << r.describe();
  r = puller.krill({"image", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "--src-creds", "shipuser:s3cret-pass", "--dest-creds", "shipuser:wrong",
                    "docker://" + remote, copied});
  EXPECT_EQ(r.exit_code, 125) << "wrong destination password: refused\n" << r.describe();
  r = puller.krill({"image", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "--src-creds", "shipuser:s3cret-pass", "--dest-creds", "shipuser:s3cret-pass",
                    "docker://" + remote, copied});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(registry_manifest_digest(registry, "ship/auth-copy", "1", "shipuser:s3cret-pass"),
            registry_manifest_digest(registry, "ship/auth", "1", "shipuser:s3cret-pass"));
  EXPECT_FALSE(path_exists(puller.auth_file()) &&
               parse_json(read_file(puller.auth_file()))["auths"].contains(registry.host()))
      << "--creds never write the auth file";
}

TEST(ShipTls, CertDirVerifiesAndNoVerifyWorks) {
  if (!have_registry() || !have_program("openssl"))
    GTEST_SKIP() << "needs docker-registry and openssl";
  TempDir pki_dir("pki");
  TestCa ca = make_test_ca(pki_dir.path());
  ASSERT_TRUE(ca.error.empty()) << ca.error;
  RegistryOptions options;
  options.tls_cert = ca.server_cert;
  options.tls_key = ca.server_key;
  Registry registry(options);
  ASSERT_TRUE(registry.ok()) << registry.error();

  ShipEnv env("tls");
  const std::string cert_dir = env.dir() + "/certs";
  std::filesystem::create_directories(cert_dir);
  std::filesystem::copy_file(ca.ca_cert, cert_dir + "/ca.crt");
  std::string why;
  const std::string id = import_busybox(env, "localhost/ship-tls:1", &why);
  ASSERT_FALSE(id.empty()) << why;
  const std::string remote = registry.host() + "/ship/tls:1";

  // Verified with the CA from --cert-dir.
  CommandResult r = env.krill({"push", "--cert-dir", cert_dir, "localhost/ship-tls:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  ShipEnv puller("tls-pull");
  r = puller.krill({"pull", "--cert-dir", cert_dir, remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(puller.image_ids(), std::vector<std::string>{id});

  // Without the CA: a certificate error with the hint, nothing stored.
  ShipEnv stranger("tls-no-ca");
  r = stranger.krill({"pull", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("certificate"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("--cert-dir"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("--tls-verify=false"), std::string::npos) << r.describe();
  EXPECT_TRUE(stranger.image_ids().empty());

  // --tls-verify=false: TLS without verification.
  r = stranger.krill({"pull", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(stranger.image_ids(), std::vector<std::string>{id});
  EXPECT_EQ(stranger.inspect(remote).value("Digest", ""),
            registry_manifest_digest(registry, "ship/tls", "1"));

  // Without --cert-dir the host's directory under /etc/containers/certs.d is read, as podman
  // reads it (this registry's port is ours alone; the directory goes at the end).
  if (geteuid() != 0) return;
  const std::string host_dir = "/etc/containers/certs.d/" + registry.host();
  const bool made_root = !path_exists("/etc/containers/certs.d");
  std::filesystem::create_directories(host_dir);
  struct Cleanup {
    std::string dir;
    bool root;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      if (root) std::filesystem::remove("/etc/containers/certs.d", ec);
    }
  } cleanup{host_dir, made_root};
  std::filesystem::copy_file(ca.ca_cert, host_dir + "/ca.crt");
  ShipEnv system_ca("tls-certs-d");
  r = system_ca.krill({"pull", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(system_ca.image_ids(), std::vector<std::string>{id});
}

}  // namespace
}  // namespace krill::it::ship
