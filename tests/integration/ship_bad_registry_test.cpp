// Ship (issue 3): a registry that misbehaves (tests/integration/ship_bad_registry.py) driven
// through `krill pull` and `krill image copy docker://... oci:...`. Bad answers — a manifest
// whose bytes do not match its digest, an unknown media type, invalid JSON, a blob with wrong
// bytes, truncated or of the wrong size, 401/403/404/429/500 — end with exit code 125, an error
// that names what is wrong, and nothing stored. Answers a client must get through — 500 twice,
// a redirect to blob storage, a stalled or truncated transfer — end with the right image.
#include "ship_bad_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

namespace fs = std::filesystem;

// The image the registry serves: a gzip busybox layer and an uncompressed one.
struct ServedImage {
  std::string manifest_digest, config_digest;
  std::vector<std::string> layers, diff_ids;

  bool has_layer(const std::string& digest) const {
    return std::find(layers.begin(), layers.end(), digest) != layers.end();
  }
  bool has_diff_id(const std::string& diff_id) const {
    return std::find(diff_ids.begin(), diff_ids.end(), diff_id) != diff_ids.end();
  }
};

// Every regular file below `root`, relative.
std::vector<std::string> files_below(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file()) out.push_back(fs::relative(it->path(), root).string());
  std::sort(out.begin(), out.end());
  return out;
}

// The running test's name, lowercase (a repository path component).
std::string test_name() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line + "\n";
  return out;
}

class ShipBadRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!path_exists("/usr/bin/python3")) return;
    image_dir_ = new TempDir("bad-registry-image");
    const std::string tar = make_busybox_tarball(image_dir_->path());
    const std::string small = image_dir_->path() + "/small.tar";
    write_file(small, make_tar({tar_file("etc/small", std::string(70000, 's'))}));
    const std::string layout = image_dir_->path() + "/layout";
    if (tar.empty()) return;
    image_.manifest_digest = write_oci_layout(layout, "1", {{tar, true}, {small, false}});
    if (image_.manifest_digest.empty()) return;
    json manifest =
        parse_json(read_file(layout + "/blobs/sha256/" + image_.manifest_digest.substr(7)));
    image_.config_digest = manifest["config"]["digest"];
    for (const auto& layer : manifest["layers"]) image_.layers.push_back(layer["digest"]);
    json config = parse_json(read_file(layout + "/blobs/sha256/" + image_.config_digest.substr(7)));
    for (const auto& diff_id : config["rootfs"]["diff_ids"]) image_.diff_ids.push_back(diff_id);
    registry_ = new BadRegistry(layout);
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    delete image_dir_;
    image_dir_ = nullptr;
  }
  void SetUp() override {
    if (!path_exists("/usr/bin/python3")) GTEST_SKIP() << "needs Debian's python3";
    ASSERT_FALSE(image_.manifest_digest.empty()) << "could not write the image's OCI layout";
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }

  // "HOST/MODE/<test name>/NAME" and a tag or digest.
  static std::string remote(const std::string& mode, const std::string& name,
                            const std::string& reference = ":1") {
    return registry_->host() + "/" + mode + "/" + test_name() + "/" + name + reference;
  }

  static CommandResult pull(const ShipEnv& env, const std::string& reference,
                            const std::string& creds = registry_->creds(),
                            CommandOptions options = {}) {
    return env.krill({"pull", "--tls-verify=false", "--creds", creds, reference}, options);
  }
  static std::string oci_destination(const ShipEnv& env) { return env.dir() + "/copied"; }
  static CommandResult copy(const ShipEnv& env, const std::string& reference,
                            const std::string& creds = registry_->creds(),
                            CommandOptions options = {}) {
    return env.krill({"image", "copy", "-q", "--src-tls-verify=false", "--src-creds", creds,
                      "docker://" + reference, "oci:" + oci_destination(env) + ":1"},
                     options);
  }

  // What a refused pull may leave in the store (as podman keeps the layers of a failed pull for
  // the next one): a verified blob of the served image (its config, a layer that arrived whole)
  // and a complete layer of it with its by-blob link. Never a temp file, a partial blob or a
  // partial layer.
  static bool allowed_leftover(const std::string& store, const std::string& file) {
    if (file.starts_with("blobs/sha256/")) {
      const std::string digest = "sha256:" + file.substr(13);
      return (digest == image_.config_digest || image_.has_layer(digest)) &&
             sha256_file(store + "/" + file) == digest;
    }
    if (file.starts_with("layers/by-blob/")) return image_.has_layer("sha256:" + file.substr(15));
    if (file.starts_with("layers/") && file.size() > 7 + 64) {
      const std::string hex = file.substr(7, 64);
      return image_.has_diff_id("sha256:" + hex) &&
             path_exists(store + "/layers/" + hex + "/layer.json");
    }
    return false;
  }

  // Nothing of the image visible in the store: no image, no temp file (compared first: opening
  // the store removes temp files) — the files of a store that never pulled, besides the
  // allowed leftovers — and `system check` clean. engine/ (containers, made by `system check`)
  // is left out.
  static ::testing::AssertionResult nothing_stored(const ShipEnv& env) {
    auto store_files = [](const std::string& store) {
      std::vector<std::string> files = files_below(store);
      std::erase_if(files, [&](const std::string& f) {
        return f.starts_with("engine/") || allowed_leftover(store, f);
      });
      return files;
    };
    std::vector<std::string> actual = store_files(env.store());
    ShipEnv fresh("bad-registry-fresh");
    if (CommandResult r = fresh.krill({"images"}); !r.ok())
      return ::testing::AssertionFailure() << r.describe();
    std::vector<std::string> expected = store_files(fresh.store());
    // A pull refused before it opened the store leaves none.
    if (!actual.empty() && actual != expected)
      return ::testing::AssertionFailure() << "the store holds files a fresh store does not:\n"
                                           << joined(actual) << "fresh store:\n"
                                           << joined(expected);
    if (!env.image_ids().empty())
      return ::testing::AssertionFailure() << "images stored: " << env.images().dump(2);
    CommandResult check = env.krill({"system", "check"});
    if (!check.ok())
      return ::testing::AssertionFailure() << "system check is not clean\n" << check.describe();
    return ::testing::AssertionSuccess();
  }

  // A pull and a copy of `reference` both refused: exit code 125, every one of `needles` on
  // stderr, nothing stored, no oci: index.
  static void expect_refused(const std::string& reference, const std::vector<std::string>& needles,
                             const std::string& creds = registry_->creds()) {
    ShipEnv env("bad-registry");
    for (int i = 0; i < 2; ++i) {
      SCOPED_TRACE(i == 0 ? "krill pull" : "krill image copy docker:// oci:");
      CommandResult r = i == 0 ? pull(env, reference, creds) : copy(env, reference, creds);
      EXPECT_EQ(r.exit_code, 125) << r.describe();
      for (const auto& needle : needles)
        EXPECT_NE(r.err.find(needle), std::string::npos)
            << "stderr does not say \"" << needle << "\"\n"
            << r.describe();
      // A blob's error names the blob: one of the layers (they are fetched in parallel).
      if (size_t at = r.err.find("pull blob "); at != std::string::npos) {
        std::string named = r.err.substr(at + 10, 71);
        EXPECT_NE(std::find(image_.layers.begin(), image_.layers.end(), named), image_.layers.end())
            << "the error names no layer\n"
            << r.describe();
      }
      EXPECT_TRUE(nothing_stored(env));
    }
    EXPECT_FALSE(path_exists(oci_destination(env) + "/index.json"))
        << "a refused copy wrote the oci: index";
  }

  // A pull and a copy of `reference` that succeed with the served image.
  static void expect_pulled(const std::string& reference, CommandOptions options = {}) {
    ShipEnv env("bad-registry-ok");
    CommandResult r = pull(env, reference, registry_->creds(), options);
    ASSERT_TRUE(r.ok()) << r.describe();
    std::vector<std::string> ids = env.image_ids();
    ASSERT_EQ(ids.size(), 1u) << env.images().dump(2);
    EXPECT_NE(image_.config_digest.find(ids[0]), std::string::npos)
        << "image id " << ids[0] << ", config " << image_.config_digest;
    CommandResult check = env.krill({"system", "check"});
    EXPECT_TRUE(check.ok()) << check.describe();
    r = copy(env, reference, registry_->creds(), options);
    ASSERT_TRUE(r.ok()) << r.describe();
    json index = parse_json(read_file(oci_destination(env) + "/index.json"));
    ASSERT_TRUE(index.is_object()) << read_file(oci_destination(env) + "/index.json");
    EXPECT_EQ(index["manifests"][0]["digest"], image_.manifest_digest) << index.dump(2);
  }

  // The requests the registry got whose path contains `part`.
  static std::vector<json> requests_for(const std::string& part) {
    std::vector<json> out;
    for (auto& request : registry_->requests())
      if (request.value("path", "").find(part) != std::string::npos) out.push_back(request);
    return out;
  }

  static TempDir* image_dir_;
  static ServedImage image_;
  static BadRegistry* registry_;
};
TempDir* ShipBadRegistry::image_dir_ = nullptr;
ServedImage ShipBadRegistry::image_;
BadRegistry* ShipBadRegistry::registry_ = nullptr;

TEST_F(ShipBadRegistry, TheImageAsServedIsPulled) { expect_pulled(remote("ok", "app")); }

TEST_F(ShipBadRegistry, ManifestDigestMismatchIsRefused) {
  // By tag: the bytes do not hash to the Docker-Content-Digest the registry sends.
  expect_refused(remote("manifest-digest", "tag"), {"digest mismatch", image_.manifest_digest});
  // By digest: they do not hash to the digest asked for.
  expect_refused(remote("manifest-digest", "digest", "@" + image_.manifest_digest),
                 {"digest mismatch", image_.manifest_digest});
}

TEST_F(ShipBadRegistry, ManifestOfUnknownMediaTypeIsRefused) {
  expect_refused(remote("manifest-media-type", "app"),
                 {"unsupported manifest type application/vnd.krill.test.unknown.v1+json"});
}

TEST_F(ShipBadRegistry, ManifestThatIsNotJsonIsRefused) {
  expect_refused(remote("manifest-invalid-json", "app"), {"invalid JSON"});
}

TEST_F(ShipBadRegistry, BlobWithWrongBytesIsRefused) {
  expect_refused(remote("blob-wrong-bytes", "app"),
                 {"digest mismatch: content hashes to", "pull blob"});
}

TEST_F(ShipBadRegistry, BlobOfWrongSizeIsRefused) {
  expect_refused(remote("blob-wrong-size", "app"), {"size mismatch", "pull blob"});
}

TEST_F(ShipBadRegistry, TruncatedBlobIsRefusedAfterRetries) {
  expect_refused(remote("blob-truncated", "app"),
                 {"truncated body", "pull blob", "after 4 attempts"});
  // Each attempt after the first asked for the rest only.
  bool resumed = false;
  for (const auto& request : requests_for("/" + test_name() + "/"))
    resumed |= request["range"].is_string();
  EXPECT_TRUE(resumed) << "no Range request after the connection was closed";
}

TEST_F(ShipBadRegistry, TruncatedBlobIsResumed) {
  expect_pulled(remote("blob-truncated-once", "app"));
  bool resumed = false;
  for (const auto& request : requests_for("/" + test_name() + "/"))
    resumed |= request["range"].is_string() && request["status"] == 206;
  EXPECT_TRUE(resumed) << "the rest of the blob was not asked for with Range";
}

TEST_F(ShipBadRegistry, WrongCredentialsAreRefusedWith401) {
  expect_refused(remote("ok", "app"), {"401", "authentication failed"}, "krill-user:wrong");
}

TEST_F(ShipBadRegistry, ForbiddenIsRefusedWith403) {
  expect_refused(remote("status-403", "app"), {"403", "DENIED"});
}

TEST_F(ShipBadRegistry, MissingIsRefusedWith404) {
  expect_refused(remote("status-404", "app"), {"404", "manifest unknown"});
}

TEST_F(ShipBadRegistry, ServerErrorIsRefusedAfterRetries) {
  expect_refused(remote("status-500", "app"), {"500", "after 4 attempts"});
}

TEST_F(ShipBadRegistry, TooManyRequestsIsRefusedAfterRetries) {
  expect_refused(remote("status-429", "app"), {"429", "after 4 attempts"});
}

TEST_F(ShipBadRegistry, TooManyRequestsWaitsAsRetryAfterSays) {
  // Retry-After: 2 between each of the 4 attempts: at least 6 s per command (without it the
  // backoff waits 0.5 + 1 + 2 s).
  auto start = std::chrono::steady_clock::now();
  expect_refused(remote("status-429-retry-after", "app"), {"429", "after 4 attempts"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::seconds(12));
}

TEST_F(ShipBadRegistry, ServerErrorTwiceThenTheRetrySucceeds) {
  expect_pulled(remote("status-500-twice", "app"));
  int errors = 0;
  for (const auto& request : requests_for("/" + test_name() + "/"))
    errors += request["status"] == 500;
  EXPECT_GE(errors, 4) << "the manifest and each blob fail twice";
}

TEST_F(ShipBadRegistry, BlobRedirectIsFollowed) {
  expect_pulled(remote("blob-redirect", "app"));
  EXPECT_FALSE(requests_for("/storage/" + image_.layers[0]).empty());
}

TEST_F(ShipBadRegistry, BlobRedirectToAnotherOriginGetsNoCredentials) {
  expect_pulled(remote("blob-redirect-storage", "app"));
  std::vector<json> storage = requests_for("/storage/");
  int to_storage = 0;
  for (const auto& request : storage) {
    if (request["port"] != registry_->storage_port()) continue;
    ++to_storage;
    EXPECT_FALSE(request["authorization"].get<bool>())
        << "credentials sent to another origin: " << request.dump();
  }
  EXPECT_GT(to_storage, 0) << "nothing was fetched from the storage port";
  // The registry itself got them.
  bool authorized = false;
  for (const auto& request : requests_for("/" + test_name() + "/"))
    authorized |= request["authorization"].get<bool>();
  EXPECT_TRUE(authorized);
}

TEST_F(ShipBadRegistry, StalledBlobTimesOutAndIsResumed) {
  // The registry stalls for 30 s in the middle of each layer the first time; with a 2 s stall
  // timeout the client gives up on that transfer and resumes it.
  CommandOptions options;
  options.env = {"KRILL_REGISTRY_STALL_TIMEOUT=2"};
  auto start = std::chrono::steady_clock::now();
  expect_pulled(remote("blob-stall-once", "app"), options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
      << "the stall timeout did not fire";
  bool resumed = false;
  for (const auto& request : requests_for("/" + test_name() + "/"))
    resumed |= request["range"].is_string() && request["status"] == 206;
  EXPECT_TRUE(resumed);
}

}  // namespace
}  // namespace krill::it::ship
