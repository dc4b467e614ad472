#include "image/reference.h"

#include <gtest/gtest.h>

#include "image/registries_conf.h"

namespace krill::image {
namespace {

const std::string kSha = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

struct NormalisationCase {
  std::string input;
  std::string full;      // str()
  std::string familiar;  // familiar()
  bool unqualified;
};

class ReferenceNormalisation : public ::testing::TestWithParam<NormalisationCase> {};

TEST_P(ReferenceNormalisation, MatchesDocker) {
  const NormalisationCase& c = GetParam();
  Result<Reference> ref = parse_reference(c.input);
  ASSERT_TRUE(ref) << c.input << ": " << ref.error().message();
  EXPECT_EQ(ref->str(), c.full) << c.input;
  EXPECT_EQ(ref->familiar(), c.familiar) << c.input;
  EXPECT_EQ(ref->is_unqualified, c.unqualified) << c.input;
}

// After distribution/reference normalize_test.go (TestParseNormalizedNamed and
// TestParseRepositoryInfo), with the default tag added.
INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceNormalisation,
    ::testing::Values(
        NormalisationCase{"busybox", "docker.io/library/busybox:latest", "busybox:latest", true},
        NormalisationCase{"debian", "docker.io/library/debian:latest", "debian:latest", true},
        NormalisationCase{"library/debian", "docker.io/library/debian:latest", "debian:latest",
                          true},
        NormalisationCase{"docker/docker", "docker.io/docker/docker:latest", "docker/docker:latest",
                          true},
        NormalisationCase{"user/app", "docker.io/user/app:latest", "user/app:latest", true},
        NormalisationCase{"docker.io/debian", "docker.io/library/debian:latest", "debian:latest",
                          false},
        NormalisationCase{"docker.io/library/debian", "docker.io/library/debian:latest",
                          "debian:latest", false},
        NormalisationCase{"index.docker.io/debian", "docker.io/library/debian:latest",
                          "debian:latest", false},
        NormalisationCase{"index.docker.io/docker/docker", "docker.io/docker/docker:latest",
                          "docker/docker:latest", false},
        NormalisationCase{"docker.io/library/a/b", "docker.io/library/a/b:latest",
                          "library/a/b:latest", false},
        NormalisationCase{"localhost:5000/a/b:tag", "localhost:5000/a/b:tag",
                          "localhost:5000/a/b:tag", false},
        NormalisationCase{"localhost/bar", "localhost/bar:latest", "localhost/bar:latest", false},
        NormalisationCase{"localhost", "docker.io/library/localhost:latest", "localhost:latest",
                          true},
        NormalisationCase{"localhost:5000", "docker.io/library/localhost:5000", "localhost:5000",
                          true},
        NormalisationCase{"127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest",
                          "127.0.0.1:5000/docker/docker:latest", false},
        NormalisationCase{"192.168.0.1", "docker.io/library/192.168.0.1:latest",
                          "192.168.0.1:latest", true},
        NormalisationCase{"192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80",
                          true},
        NormalisationCase{"192.168.0.1:8/debian", "192.168.0.1:8/debian:latest",
                          "192.168.0.1:8/debian:latest", false},
        NormalisationCase{"foo.com:8080/bar", "foo.com:8080/bar:latest", "foo.com:8080/bar:latest",
                          false},
        NormalisationCase{"Foo.com/bar", "Foo.com/bar:latest", "Foo.com/bar:latest", false},
        NormalisationCase{"[::1]:5000/a", "[::1]:5000/a:latest", "[::1]:5000/a:latest", false},
        NormalisationCase{"quay.io/a/b-c__d.e:v1.2-rc_3", "quay.io/a/b-c__d.e:v1.2-rc_3",
                          "quay.io/a/b-c__d.e:v1.2-rc_3", false},
        NormalisationCase{"busybox@" + kSha, "docker.io/library/busybox@" + kSha, "busybox@" + kSha,
                          true},
        NormalisationCase{"busybox:1.36@" + kSha, "docker.io/library/busybox:1.36@" + kSha,
                          "busybox:1.36@" + kSha, true},
        NormalisationCase{"localhost:5000/a@" + kSha, "localhost:5000/a@" + kSha,
                          "localhost:5000/a@" + kSha, false}));

TEST(Reference, Parts) {
  Reference ref = *parse_reference("localhost:5000/a/b:tag");
  EXPECT_EQ(ref.domain, "localhost:5000");
  EXPECT_EQ(ref.path, "a/b");
  EXPECT_EQ(ref.tag, "tag");
  EXPECT_EQ(ref.digest, "");
  EXPECT_EQ(ref.repository(), "localhost:5000/a/b");
  EXPECT_EQ(ref.familiar_name(), "localhost:5000/a/b");

  Reference d = *parse_reference("busybox@" + kSha);
  EXPECT_EQ(d.tag, "");  // no default tag next to a digest
  EXPECT_EQ(d.digest, kSha);
  EXPECT_TRUE(d.has_digest());
}

TEST(Reference, LongestValidTag) {
  std::string tag(128, 'a');
  EXPECT_TRUE(parse_reference("busybox:" + tag));
  EXPECT_FALSE(parse_reference("busybox:" + tag + "a"));
}

struct ErrorCase {
  std::string input;
  std::string message_part;
};

class ReferenceErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ReferenceErrors, Rejected) {
  const ErrorCase& c = GetParam();
  Result<Reference> ref = parse_reference(c.input);
  ASSERT_FALSE(ref) << c.input << " parsed as " << ref->str();
  EXPECT_NE(ref.error().message().find(c.message_part), std::string::npos)
      << c.input << ": " << ref.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceErrors,
    ::testing::Values(
        ErrorCase{"", "at least one component"},
        ErrorCase{"https://github.com/docker/docker", "invalid"},
        ErrorCase{"docker/Docker", "must be lowercase"},
        ErrorCase{"docker.io/docker/Docker", "must be lowercase"},
        ErrorCase{"Uppercase", "must be lowercase"},
        ErrorCase{"-docker", "invalid repository name"},
        ErrorCase{"-docker/docker", "invalid repository name"},
        ErrorCase{"-docker.io/docker/docker", "invalid registry"},
        ErrorCase{"docker///docker", "invalid repository name"},
        ErrorCase{"docker.io/docker///docker", "invalid repository name"},
        ErrorCase{"a__-b", "invalid repository name"}, ErrorCase{"a..b", "invalid repository name"},
        ErrorCase{"a/", "invalid repository name"}, ErrorCase{"busybox:", "invalid tag"},
        ErrorCase{"busybox:-tag", "invalid tag"},
        ErrorCase{"busybox:" + std::string(129, 'a'), "longer than 128"},
        ErrorCase{"busybox@sha256:abc", "at least 32"},
        ErrorCase{"busybox@sha256:" + std::string(64, 'A'), "lowercase"},
        ErrorCase{"busybox@sha256:" + std::string(63, 'a'), "64"},
        ErrorCase{"busybox@md5:" + std::string(32, 'a'), "unsupported digest algorithm"},
        ErrorCase{"busybox@", "digest"},
        ErrorCase{"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
                  "64-byte hexadecimal"},
        ErrorCase{"a/" + std::string(250, 'b'), "longer than 255"}));

TEST(ResolveShortName, SearchRegistriesInOrder) {
  RegistriesConf conf;
  conf.unqualified_search_registries = {"registry.fedoraproject.org", "quay.io", "docker.io"};
  auto candidates = resolve_short_name("busybox:1.36", conf);
  ASSERT_TRUE(candidates) << candidates.error().message();
  ASSERT_EQ(candidates->size(), 3u);
  EXPECT_EQ((*candidates)[0].str(), "registry.fedoraproject.org/busybox:1.36");
  EXPECT_EQ((*candidates)[1].str(), "quay.io/busybox:1.36");
  EXPECT_EQ((*candidates)[2].str(), "docker.io/library/busybox:1.36");
}

TEST(ResolveShortName, EmptyListMeansDockerHub) {
  RegistriesConf conf;
  auto candidates = resolve_short_name("user/app", conf);
  ASSERT_TRUE(candidates);
  ASSERT_EQ(candidates->size(), 1u);
  EXPECT_EQ((*candidates)[0].str(), "docker.io/user/app:latest");
}

TEST(ResolveShortName, QualifiedNameIsUsedAsIs) {
  RegistriesConf conf;
  conf.unqualified_search_registries = {"quay.io"};
  auto candidates = resolve_short_name("localhost:5000/a/b:tag", conf);
  ASSERT_TRUE(candidates);
  ASSERT_EQ(candidates->size(), 1u);
  EXPECT_EQ((*candidates)[0].str(), "localhost:5000/a/b:tag");
  auto hub = resolve_short_name("docker.io/busybox", conf);
  ASSERT_TRUE(hub);
  ASSERT_EQ(hub->size(), 1u);
  EXPECT_EQ((*hub)[0].str(), "docker.io/library/busybox:latest");
}

TEST(ResolveShortName, AliasWins) {
  RegistriesConf conf;
  conf.unqualified_search_registries = {"quay.io"};
  conf.aliases["fedora"] = "registry.fedoraproject.org/fedora";
  auto plain = resolve_short_name("fedora", conf);
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->size(), 1u);
  EXPECT_EQ((*plain)[0].str(), "registry.fedoraproject.org/fedora:latest");
  auto tagged = resolve_short_name("fedora:39", conf);
  ASSERT_TRUE(tagged);
  EXPECT_EQ((*tagged)[0].str(), "registry.fedoraproject.org/fedora:39");
}

TEST(ResolveShortName, InvalidNameFails) {
  RegistriesConf conf;
  EXPECT_FALSE(resolve_short_name("Busybox", conf));
}

}  // namespace
}  // namespace krill::image
