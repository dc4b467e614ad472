#include "image/registries_conf.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace krill::image {
namespace {

namespace fs = std::filesystem;

const std::string kSha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

RegistriesConf parse_ok(std::string_view text) {
  Result<RegistriesConf> conf = parse_registries_conf(text, "test.conf");
  EXPECT_TRUE(conf) << conf.error().message();
  return conf ? *conf : RegistriesConf{};
}

std::string parse_error(std::string_view text) {
  Result<RegistriesConf> conf = parse_registries_conf(text, "test.conf");
  EXPECT_FALSE(conf) << text;
  return conf ? "" : conf.error().message();
}

Reference parsed(std::string_view text) { return *parse_reference(text); }

TEST(RegistriesConf, FullExample) {
  RegistriesConf conf = parse_ok(R"(# A registries.conf in the style of the man page.
unqualified-search-registries = ["registry.fedoraproject.org", 'quay.io',
  "docker.io",   # trailing comma allowed
]
short-name-mode = "enforcing"
credential-helpers = ["containers-auth.json"]

[[registry]]
prefix = "example.com/foo"
location = "internal.registry.mirror/bar"
insecure = false
blocked = false

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "registry.insecure.example:5000"
insecure = true

[[registry]]
prefix = "*.blocked.example"
blocked = true

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"containers/buildah" = "quay.io/containers/buildah"
)");
  EXPECT_EQ(conf.unqualified_search_registries,
            (std::vector<std::string>{"registry.fedoraproject.org", "quay.io", "docker.io"}));
  EXPECT_EQ(conf.short_name_mode, ShortNameMode::kEnforcing);
  EXPECT_EQ(conf.credential_helpers, std::vector<std::string>{"containers-auth.json"});
  ASSERT_EQ(conf.registries.size(), 3u);
  const RegistryEntry& foo = conf.registries[0];
  EXPECT_EQ(foo.prefix, "example.com/foo");
  EXPECT_EQ(foo.location, "internal.registry.mirror/bar");
  ASSERT_EQ(foo.mirrors.size(), 2u);
  EXPECT_EQ(foo.mirrors[0].location, "example-mirror-0.local/mirror-for-foo");
  EXPECT_FALSE(foo.mirrors[0].insecure);
  EXPECT_EQ(foo.mirrors[1].pull_from_mirror, PullFromMirror::kDigestOnly);
  EXPECT_TRUE(foo.mirrors[1].insecure);
  EXPECT_EQ(conf.registries[1].prefix, "registry.insecure.example:5000");  // defaults to location
  EXPECT_TRUE(conf.registries[2].is_wildcard());
  EXPECT_EQ(conf.registries[2].location, "");
  EXPECT_EQ(conf.aliases.at("fedora"), "registry.fedoraproject.org/fedora");
  EXPECT_EQ(conf.aliases.at("containers/buildah"), "quay.io/containers/buildah");
  EXPECT_TRUE(conf.warnings.empty());

  // Rewriting: mirrors first (the digest-only one skipped for a tag), then the location.
  std::vector<Endpoint> tagged = conf.pull_endpoints(parsed("example.com/foo/myimage:latest"));
  ASSERT_EQ(tagged.size(), 2u);
  EXPECT_EQ(tagged[0].reference.str(), "example-mirror-0.local/mirror-for-foo/myimage:latest");
  EXPECT_TRUE(tagged[0].is_mirror);
  EXPECT_EQ(tagged[1].reference.str(), "internal.registry.mirror/bar/myimage:latest");
  EXPECT_FALSE(tagged[1].is_mirror);

  std::vector<Endpoint> by_digest = conf.pull_endpoints(parsed("example.com/foo@" + kSha));
  ASSERT_EQ(by_digest.size(), 3u);
  EXPECT_EQ(by_digest[1].reference.str(), "example-mirror-1.local/mirrors/foo@" + kSha);
  EXPECT_TRUE(by_digest[1].insecure);
  EXPECT_EQ(by_digest[2].reference.str(), "internal.registry.mirror/bar@" + kSha);

  // The prefix matches only at a path boundary.
  EXPECT_EQ(conf.find(parsed("example.com/foobar")), nullptr);
  std::vector<Endpoint> other = conf.pull_endpoints(parsed("example.com/foobar:1"));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].reference.str(), "example.com/foobar:1");

  EXPECT_TRUE(conf.is_blocked(parsed("a.blocked.example/x")));
  EXPECT_TRUE(conf.is_blocked(parsed("a.b.blocked.example:5000/x:y")));
  EXPECT_FALSE(conf.is_blocked(parsed("blocked.example/x")));
  EXPECT_FALSE(conf.is_blocked(parsed("quay.io/x")));

  EXPECT_TRUE(conf.is_insecure("registry.insecure.example:5000"));
  EXPECT_TRUE(conf.is_insecure("example-mirror-1.local"));
  EXPECT_FALSE(conf.is_insecure("example-mirror-0.local"));
  EXPECT_FALSE(conf.is_insecure("quay.io"));
}

TEST(RegistriesConf, LongestPrefixWins) {
  RegistriesConf conf = parse_ok(R"(
[[registry]]
prefix = "*.example.com"
blocked = true
[[registry]]
prefix = "registry.example.com"
location = "r1.local"
[[registry]]
prefix = "registry.example.com/team"
location = "r2.local/t"
[[registry]]
prefix = "registry.example.com/team/app:v1"
location = "r3.local/pinned"
)");
  EXPECT_EQ(conf.find(parsed("other.example.com/x"))->prefix, "*.example.com");
  EXPECT_EQ(conf.find(parsed("registry.example.com/x"))->prefix, "registry.example.com");
  EXPECT_EQ(conf.find(parsed("registry.example.com/team/app"))->prefix,
            "registry.example.com/team");
  EXPECT_EQ(conf.find(parsed("registry.example.com/team/app:v1"))->prefix,
            "registry.example.com/team/app:v1");
  EXPECT_EQ(conf.pull_endpoints(parsed("registry.example.com/team/app:v2"))[0].reference.str(),
            "r2.local/t/app:v2");
  EXPECT_EQ(conf.pull_endpoints(parsed("registry.example.com/team/app:v1"))[0].reference.str(),
            "r3.local/pinned:latest");
  EXPECT_EQ(conf.find(parsed("example.com/x")), nullptr);
  // A wildcard entry without location pulls from the registry named.
  std::vector<Endpoint> wild = conf.pull_endpoints(parsed("a.example.com/x:1"));
  ASSERT_EQ(wild.size(), 1u);
  EXPECT_EQ(wild[0].reference.str(), "a.example.com/x:1");
}

TEST(RegistriesConf, MirrorByDigestOnlyAndTagOnly) {
  RegistriesConf conf = parse_ok(R"(
[[registry]]
location = "docker.io"
mirror-by-digest-only = true
mirror = [{ location = "m1.local" }]

[[registry]]
location = "quay.io"
[[registry.mirror]]
location = "m2.local"
pull-from-mirror = "tag-only"
)");
  EXPECT_EQ(conf.pull_endpoints(parsed("busybox")).size(), 1u);
  auto by_digest = conf.pull_endpoints(parsed("busybox@" + kSha));
  ASSERT_EQ(by_digest.size(), 2u);
  EXPECT_EQ(by_digest[0].reference.str(), "m1.local/library/busybox@" + kSha);
  EXPECT_EQ(conf.pull_endpoints(parsed("quay.io/a/b:1")).size(), 2u);
  EXPECT_EQ(conf.pull_endpoints(parsed("quay.io/a/b@" + kSha)).size(), 1u);
}

TEST(RegistriesConf, V1Format) {
  RegistriesConf conf = parse_ok(R"(
[registries.search]
registries = ['docker.io', "quay.io"]
[registries.insecure]
registries = ["localhost:5000"]
[registries.block]
registries = ["bad.example"]
)");
  EXPECT_EQ(conf.unqualified_search_registries, (std::vector<std::string>{"docker.io", "quay.io"}));
  EXPECT_TRUE(conf.is_insecure("localhost:5000"));
  EXPECT_TRUE(conf.is_blocked(parsed("bad.example/x")));
  EXPECT_NE(
      parse_error("unqualified-search-registries = []\n[registries.search]\nregistries = []\n")
          .find("mixing"),
      std::string::npos);
}

TEST(RegistriesConf, UnknownKeysWarn) {
  RegistriesConf conf =
      parse_ok("something-new = true\n[[registry]]\nlocation = \"a.io\"\nfuture = 1\n");
  ASSERT_EQ(conf.warnings.size(), 2u);
  EXPECT_EQ(conf.warnings[0], "test.conf:1: unknown key \"something-new\" ignored");
  EXPECT_EQ(conf.warnings[1], "test.conf:4: unknown key \"future\" in [[registry]] ignored");
}

struct ErrorCase {
  std::string text;
  std::string expected;  // substring, including the line number
};

class RegistriesConfErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RegistriesConfErrors, LineNumbered) {
  std::string message = parse_error(GetParam().text);
  EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistriesConfErrors,
    ::testing::Values(
        ErrorCase{"\n\nunqualified-search-registries = \"docker.io\"\n",
                  "test.conf:3: \"unqualified-search-registries\" must be an array"},
        ErrorCase{"a = [1,\n2,\n", "test.conf:1: unterminated array"},
        ErrorCase{"x = \"abc\n", "test.conf:1: unterminated string"},
        ErrorCase{"\nx = 1.5\n", "test.conf:2: unsupported value \"1.5\""},
        ErrorCase{"x = \"\"\"multi\"\"\"\n", "test.conf:1: multi-line strings"},
        ErrorCase{"x = true\nx = false\n",
                  "test.conf:2: duplicate key \"x\" (first defined on line 1)"},
        ErrorCase{"[aliases]\n[aliases]\n", "test.conf:2: [aliases] is already defined on line 1"},
        ErrorCase{"x = tru\n", "test.conf:1: unsupported value \"tru\""},
        ErrorCase{"x = \"a\" y = 1\n", "test.conf:1: expected the end of the line"},
        ErrorCase{"x =\n", "test.conf:1: missing value"},
        ErrorCase{"[registry\n", "test.conf:1: expected ']'"},
        ErrorCase{"x = \"\\q\"\n", "test.conf:1: invalid escape \\q"},
        ErrorCase{"short-name-mode = \"strict\"\n",
                  "test.conf:1: invalid short-name-mode \"strict\""},
        ErrorCase{"[[registry]]\ninsecure = true\n",
                  "test.conf:1: [[registry]] needs a prefix or a location"},
        ErrorCase{"[[registry]]\nlocation = \"https://a.io\"\n",
                  "test.conf:2: invalid location \"https://a.io\": URI schemes are not supported"},
        ErrorCase{"[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n",
                  "test.conf:3: \"insecure\" must be a boolean, not a string"},
        ErrorCase{"[[registry]]\nprefix = \"*.a.io/ns\"\nlocation = \"b.io\"\n",
                  "test.conf:1: invalid prefix \"*.a.io/ns\""},
        ErrorCase{"[[registry]]\nlocation = \"a.io\"\n[[registry]]\nlocation = \"a.io\"\n",
                  "test.conf:3: registry prefix \"a.io\" is defined multiple times"},
        ErrorCase{"[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n",
                  "test.conf:3: [[registry.mirror]] needs a location"},
        ErrorCase{"[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\n"
                  "pull-from-mirror = \"sometimes\"\n",
                  "test.conf:5: unsupported pull-from-mirror \"sometimes\""},
        ErrorCase{"[[registry]]\nlocation = \"a.io\"\nmirror-by-digest-only = true\n"
                  "[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"tag-only\"\n",
                  "test.conf:4: cannot set mirror-by-digest-only"},
        ErrorCase{"[[registry]]\nlocation = \"a.io\"\npull-from-mirror = \"all\"\n",
                  "test.conf:3: pull-from-mirror must not be set for a non-mirror registry"},
        ErrorCase{"[aliases]\n\"quay.io/x\" = \"quay.io/x\"\n",
                  "test.conf:2: alias \"quay.io/x\" must be a short name"},
        ErrorCase{"[aliases]\nfedora = \"fedora\"\n",
                  "test.conf:2: alias \"fedora\": \"fedora\" must be a fully-qualified reference"},
        ErrorCase{"unqualified-search-registries = [\"quay.io/ns\"]\n",
                  "test.conf:1: invalid unqualified-search-registries entry \"quay.io/ns\""}));

TEST(TomlSubset, Features) {
  // A byte-order mark, CRLF line ends, \u escapes, literal strings and dotted keys.
  RegistriesConf conf = parse_ok(
      "\xEF\xBB\xBF# comment only\r\nshort-name-mode = 'disabled'\r\n"
      "aliases.\"x\" = \"quay.io/\\u0078\"\r\n");
  EXPECT_EQ(conf.short_name_mode, ShortNameMode::kDisabled);
  EXPECT_EQ(conf.aliases.at("x"), "quay.io/x");
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "krill-regconf-XXXXXX").string();
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel) << text;
  }

 private:
  fs::path path_;
};

TEST(LoadRegistriesConf, DropInsMergeInOrder) {
  TempDir dir;
  dir.write("registries.conf", R"(
unqualified-search-registries = ["quay.io", "docker.io"]
short-name-mode = "permissive"
[[registry]]
location = "a.io"
insecure = true
[[registry]]
location = "b.io"
[aliases]
x = "quay.io/x"
y = "quay.io/y"
)");
  dir.write("registries.conf.d/20-second.conf", R"(
[[registry]]
location = "a.io"
blocked = true
[aliases]
y = "docker.io/other/y"
)");
  dir.write("registries.conf.d/10-first.conf", "unqualified-search-registries = [\"ghcr.io\"]\n");
  dir.write("registries.conf.d/ignored.txt", "not toml at all [[[");
  auto conf = load_registries_conf({(dir.path() / "registries.conf").string(),
                                    (dir.path() / "registries.conf.d").string(),
                                    (dir.path() / "missing.d").string()});
  ASSERT_TRUE(conf) << conf.error().message();
  EXPECT_EQ(conf->unqualified_search_registries, std::vector<std::string>{"ghcr.io"});
  EXPECT_EQ(conf->short_name_mode, ShortNameMode::kPermissive);
  ASSERT_EQ(conf->registries.size(), 2u);
  EXPECT_EQ(conf->registries[0].location, "a.io");
  EXPECT_TRUE(conf->registries[0].blocked);
  EXPECT_FALSE(conf->registries[0].insecure);  // the drop-in entry replaced it whole
  EXPECT_EQ(conf->aliases.at("x"), "quay.io/x");
  EXPECT_EQ(conf->aliases.at("y"), "docker.io/other/y");
}

TEST(LoadRegistriesConf, ErrorsNameTheFile) {
  TempDir dir;
  dir.write("d/01.conf", "\n\nbad = \n");
  auto conf = load_registries_conf({(dir.path() / "d").string()});
  ASSERT_FALSE(conf);
  EXPECT_NE(conf.error().message().find("01.conf:3: missing value"), std::string::npos)
      << conf.error().message();
}

TEST(LoadRegistriesConf, DefaultPaths) {
  TempDir dir;
  auto system = default_registries_conf_paths(dir.path().string());
  ASSERT_EQ(system.size(), 3u);
  EXPECT_EQ(system[0], "/etc/containers/registries.conf");
  EXPECT_EQ(system[1], "/etc/containers/registries.conf.d");
  EXPECT_EQ(system[2], (dir.path() / ".config/containers/registries.conf.d").string());
  dir.write(".config/containers/registries.conf", "");
  auto user = default_registries_conf_paths(dir.path().string());
  EXPECT_EQ(user[0], (dir.path() / ".config/containers/registries.conf").string());
  EXPECT_EQ(default_registries_conf_paths("/h", "/x.conf"), std::vector<std::string>{"/x.conf"});
}

}  // namespace
}  // namespace krill::image
