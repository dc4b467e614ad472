#include "transport/auth_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "registry_server.h"

namespace krill::transport {
namespace {

using testing::TempDir;

TEST(Base64, RoundTrip) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("user:pa:ss"), "dXNlcjpwYTpzcw==");
  EXPECT_EQ(*base64_decode("dXNlcjpwYTpzcw=="), "user:pa:ss");
  EXPECT_EQ(*base64_decode("dXNlcjpwYTpzcw"), "user:pa:ss");  // unpadded
  EXPECT_EQ(*base64_decode("Zm9v\n"), "foo");
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  EXPECT_EQ(*base64_decode(base64_encode(binary)), binary);
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Z"));
}

TEST(AuthFile, StoreLookupRemoveRoundTrip) {
  TempDir dir;
  const std::string path = dir.path() + "/sub/containers/auth.json";
  ASSERT_TRUE(store_credentials(path, "localhost:5000", {"alice", "s3cr:t", ""}));
  ASSERT_TRUE(store_credentials(path, "quay.io", {"bob", "pw", ""}));

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto doc = nlohmann::json::parse(*read_file(path));
  EXPECT_EQ(doc["auths"]["localhost:5000"]["auth"], base64_encode("alice:s3cr:t"));

  auto creds = lookup_credentials("localhost:5000", {path});
  ASSERT_TRUE(creds) << creds.error().message();
  ASSERT_TRUE(*creds);
  EXPECT_EQ((*creds)->username, "alice");
  EXPECT_EQ((*creds)->password, "s3cr:t");

  // Replacing keeps the other entries.
  ASSERT_TRUE(store_credentials(path, "localhost:5000", {"alice", "new", ""}));
  EXPECT_EQ((*lookup_credentials("localhost:5000", {path}))->password, "new");
  EXPECT_EQ((*lookup_credentials("quay.io", {path}))->username, "bob");

  auto removed = remove_credentials(path, "localhost:5000");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*lookup_credentials("localhost:5000", {path}));
  EXPECT_FALSE(*remove_credentials(path, "localhost:5000"));
  EXPECT_TRUE(*lookup_credentials("quay.io", {path}));
}

TEST(AuthFile, DockerConfigFallbackAndKeyForms) {
  TempDir dir;
  const std::string podman = dir.path() + "/auth.json";
  const std::string docker = dir.path() + "/config.json";
  ASSERT_TRUE(write_file_atomic(
      podman, R"({"auths":{"quay.io":{"auth":")" + base64_encode("q:1") + R"("}}})"));
  ASSERT_TRUE(write_file_atomic(
      docker, R"({"auths":{"https://index.docker.io/v1/":{"auth":")" + base64_encode("d:2") +
                  R"("},"http://myreg:5000":{"auth":")" + base64_encode("m:3") +
                  R"("},"tok.example":{"identitytoken":"refresh"}},"credsStore":"desktop"})"));
  std::vector<std::string> files = {dir.path() + "/missing.json", podman, docker};
  EXPECT_EQ((*lookup_credentials("quay.io", files))->username, "q");
  EXPECT_EQ((*lookup_credentials("docker.io", files))->username, "d");
  EXPECT_EQ((*lookup_credentials("registry-1.docker.io", files))->password, "2");
  EXPECT_EQ((*lookup_credentials("myreg:5000", files))->username, "m");
  EXPECT_EQ((*lookup_credentials("tok.example", files))->identity_token, "refresh");
  EXPECT_FALSE(*lookup_credentials("other.example", files));
}

TEST(AuthFile, ErrorsNameTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/auth.json";
  ASSERT_TRUE(write_file_atomic(path, "{not json"));
  auto r = lookup_credentials("x", {path});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find(path), std::string::npos) << r.error().message();
  ASSERT_TRUE(write_file_atomic(path, R"({"auths":{"x":{"auth":"bm9jb2xvbg=="}}})"));
  r = lookup_credentials("x", {path});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("user:password"), std::string::npos) << r.error().message();
}

TEST(AuthFile, DefaultFilesFollowTheEnvironment) {
  const char* old_auth = std::getenv("REGISTRY_AUTH_FILE");
  std::string saved = old_auth ? old_auth : "";
  ::setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
  auto files = default_auth_files();
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0], "/x/auth.json");
  EXPECT_EQ(default_auth_file_for_writing(), "/x/auth.json");
  EXPECT_TRUE(files.back().ends_with("config.json"));
  if (old_auth)
    ::setenv("REGISTRY_AUTH_FILE", saved.c_str(), 1);
  else
    ::unsetenv("REGISTRY_AUTH_FILE");
}

}  // namespace
}  // namespace krill::transport
