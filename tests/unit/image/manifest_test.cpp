#include "image/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "spec_dir.h"

namespace krill::image {
namespace {

namespace mt = media_types;

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');
const std::string kEmptyJsonDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

std::string oci_manifest() {
  return R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")" +
         kA + R"(", "size": 7023},
  "layers": [
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")" +
         kB + R"(", "size": 32654},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": ")" +
         kC + R"(", "size": 16724,
     "annotations": {"org.example.layer": "two"}}
  ],
  "annotations": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z"}
})";
}

// As `docker push` writes it (distribution manifest-v2-2.md).
std::string docker_manifest() {
  return R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": ")" +
         kA + R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 32654,
         "digest": ")" +
         kB + R"("
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 16724,
         "digest": ")" +
         kC + R"(",
         "urls": ["https://example.com/layer.tar.gz"]
      }
   ]
})";
}

std::string docker_manifest_list() {
  return R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7143,
     "digest": ")" +
         kA + R"(", "platform": {"architecture": "ppc64le", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7682,
     "digest": ")" +
         kB + R"(", "platform": {"architecture": "arm", "os": "linux", "variant": "v7",
     "features": ["sse4"]}}
  ]
})";
}

std::string docker_config() {
  return R"({"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"nobody",
"AttachStdin":false,"ExposedPorts":{"80/tcp":{},"443/tcp":{}},"Tty":false,"Env":["PATH=/usr/bin"],
"Cmd":["nginx","-g","daemon off;"],"Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/"],
"Interval":30000000000,"Timeout":5000000000,"Retries":3},"ArgsEscaped":true,"Image":"sha256:00",
"Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"maintainer":"x"},
"StopSignal":"SIGQUIT","Shell":["/bin/bash","-c"]},"container":"abc","container_config":{"Cmd":["x"]},
"created":"2024-01-02T03:04:05.123456789Z","docker_version":"20.10.7","history":[{"created":
"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "},{"created":
"2024-01-01T00:00:01Z","created_by":"/bin/sh -c #(nop)  CMD [\"nginx\"]","empty_layer":true}],
"os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
         kC + R"("]}})";
}

TEST(ParseManifest, Oci) {
  auto m = parse_manifest(oci_manifest(), "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->schema_version, 2);
  EXPECT_EQ(m->media_type, mt::kOciManifest);
  EXPECT_EQ(m->config.media_type, mt::kOciConfig);
  EXPECT_EQ(m->config.digest.str(), kA);
  EXPECT_EQ(m->config.size, 7023);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[1].media_type, mt::kOciLayerZstd);
  EXPECT_EQ(m->layers[1].annotations.at("org.example.layer"), "two");
  EXPECT_EQ(m->annotations.at("org.opencontainers.image.created"), "2024-01-02T03:04:05Z");
  EXPECT_FALSE(m->is_docker());
}

TEST(ParseManifest, Docker) {
  auto m =
      parse_manifest(docker_manifest(), "application/vnd.docker.distribution.manifest.v2+json");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_TRUE(m->is_docker());
  EXPECT_EQ(m->config.media_type, mt::kDockerConfig);
  EXPECT_EQ(m->layers[1].urls, std::vector<std::string>{"https://example.com/layer.tar.gz"});
}

TEST(ParseManifest, ContentTypeParametersAndAbsence) {
  EXPECT_TRUE(
      parse_manifest(oci_manifest(), "application/vnd.oci.image.manifest.v1+json; charset=utf-8"));
  EXPECT_TRUE(parse_manifest(docker_manifest()));
  // An OCI manifest without mediaType takes it from the content type, or detection.
  std::string no_type = R"({"schemaVersion":2,"config":{"mediaType":")" +
                        std::string(mt::kOciConfig) + R"(","digest":")" + kA +
                        R"(","size":1},"layers":[]})";
  auto detected = parse_manifest(no_type);
  ASSERT_TRUE(detected) << detected.error().message();
  EXPECT_EQ(detected->media_type, mt::kOciManifest);
}

struct ErrorCase {
  std::string name;
  std::string json;
  std::string content_type;
  std::string expected;
};

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

class ManifestErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ManifestErrors, NameTheField) {
  auto m = parse_manifest(GetParam().json, GetParam().content_type);
  ASSERT_FALSE(m) << GetParam().name;
  EXPECT_NE(m.error().message().find(GetParam().expected), std::string::npos)
      << GetParam().name << ": " << m.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ManifestErrors,
    ::testing::Values(
        ErrorCase{"invalid json", "{\"schemaVersion\":", "", "parse image manifest: invalid JSON"},
        ErrorCase{"not an object", "[]", "", "expected a JSON object"},
        ErrorCase{"schema version",
                  replace(oci_manifest(), "\"schemaVersion\": 2", "\"schemaVersion\": 3"), "",
                  "schemaVersion: must be 2, got 3"},
        ErrorCase{"schema version missing", replace(oci_manifest(), "\"schemaVersion\": 2,", ""),
                  "", "schemaVersion: required"},
        ErrorCase{
            "config missing",
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})",
            "", "config: required"},
        ErrorCase{
            "layers missing",
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                kA + R"(","size":1}})",
            "", "layers: required"},
        ErrorCase{"layer digest", replace(oci_manifest(), kB, "sha256:xyz"), "",
                  "layers[0].digest: invalid digest"},
        ErrorCase{"layer size missing", replace(oci_manifest(), ", \"size\": 32654", ""), "",
                  "layers[0].size: required"},
        ErrorCase{"negative size", replace(oci_manifest(), "32654", "-1"), "",
                  "layers[0].size: must not be negative"},
        ErrorCase{"size type", replace(oci_manifest(), "32654", "\"big\""), "",
                  "layers[0].size: expected an integer, got string"},
        ErrorCase{"config media type missing",
                  replace(oci_manifest(),
                          "\"mediaType\": \"application/vnd.oci.image.config.v1+json\", ", ""),
                  "", "config.mediaType: required"},
        ErrorCase{"bad media type",
                  replace(oci_manifest(), "application/vnd.oci.image.layer.v1.tar+gzip", "tar"), "",
                  "layers[0].mediaType: \"tar\" is not a valid media type"},
        ErrorCase{"annotation type", replace(oci_manifest(), "\"two\"", "2"), "",
                  "layers[1].annotations[\"org.example.layer\"]: expected a string, got number"},
        ErrorCase{"content type mismatch", oci_manifest(), std::string(mt::kDockerManifest),
                  "does not match the content type"},
        ErrorCase{"index content type", oci_manifest(), std::string(mt::kOciIndex),
                  "does not match"},
        ErrorCase{"index document", docker_manifest_list(), "", "is not a manifest media type"},
        ErrorCase{"schema1",
                  R"({"schemaVersion":1,"name":"x","tag":"y","fsLayers":[],"signatures":[]})", "",
                  "Docker schema1 manifests"},
        ErrorCase{"unknown type", oci_manifest(), "application/json", "does not match"},
        ErrorCase{"empty config without artifactType",
                  replace(oci_manifest(), "application/vnd.oci.image.config.v1+json",
                          "application/vnd.oci.empty.v1+json"),
                  "", "artifactType: required"},
        ErrorCase{
            "docker config type",
            replace(docker_manifest(), "application/vnd.docker.container.image.v1+json",
                    "application/vnd.example.config"),
            "", "config.mediaType: \"application/vnd.example.config\" is not valid in a Docker"}));

TEST(ParseIndex, DockerList) {
  auto index = parse_index(docker_manifest_list(), mt::kDockerManifestList);
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_TRUE(index->is_docker());
  ASSERT_EQ(index->manifests.size(), 2u);
  ASSERT_TRUE(index->manifests[1].platform);
  EXPECT_EQ(index->manifests[1].platform->variant, "v7");
  EXPECT_EQ(index->manifests[1].platform->features, std::vector<std::string>{"sse4"});
}

TEST(ParseIndex, Errors) {
  auto missing_platform = parse_index(replace(
      docker_manifest_list(), R"(, "platform": {"architecture": "ppc64le", "os": "linux"})", ""));
  ASSERT_FALSE(missing_platform);
  EXPECT_NE(missing_platform.error().message().find("manifests[0].platform: required"),
            std::string::npos)
      << missing_platform.error().message();
  auto no_os = parse_index(replace(docker_manifest_list(), R"(, "os": "linux"})", "}"));
  ASSERT_FALSE(no_os);
  EXPECT_NE(no_os.error().message().find("manifests[0].platform.os: required"), std::string::npos)
      << no_os.error().message();
  auto manifests =
      parse_index(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"})");
  ASSERT_FALSE(manifests);
  EXPECT_NE(manifests.error().message().find("parse image index: manifests: required"),
            std::string::npos);
  EXPECT_FALSE(parse_index(oci_manifest()));
  EXPECT_TRUE(parse_index(R"({"schemaVersion":2,"manifests":[]})"));  // may be empty
}

TEST(ParseImageConfig, DockerConfig) {
  auto c = parse_image_config(docker_config());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->created, "2024-01-02T03:04:05.123456789Z");
  ASSERT_TRUE(c->config);
  const ContainerConfig& x = *c->config;
  EXPECT_EQ(x.user, "nobody");
  EXPECT_EQ(x.exposed_ports, (std::vector<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(x.env, std::vector<std::string>{"PATH=/usr/bin"});
  EXPECT_FALSE(x.entrypoint);  // null
  ASSERT_TRUE(x.cmd);
  EXPECT_EQ(x.cmd->size(), 3u);
  EXPECT_TRUE(x.volumes.empty());
  EXPECT_EQ(x.labels.at("maintainer"), "x");
  EXPECT_EQ(x.stop_signal, "SIGQUIT");
  EXPECT_TRUE(x.args_escaped);
  EXPECT_EQ(x.shell, (std::vector<std::string>{"/bin/bash", "-c"}));
  ASSERT_TRUE(x.healthcheck);
  EXPECT_EQ(x.healthcheck->test,
            (std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/"}));
  EXPECT_EQ(x.healthcheck->interval, 30000000000);
  EXPECT_EQ(x.healthcheck->retries, 3);
  ASSERT_EQ(c->rootfs.diff_ids.size(), 1u);
  EXPECT_EQ(c->rootfs.diff_ids[0].str(), kC);
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_EQ(c->extra.at("docker_version"), "\"20.10.7\"");
  EXPECT_EQ(c->extra.at("container_config"), "{\"Cmd\":[\"x\"]}");
  EXPECT_EQ(c->platform().str(), "linux/amd64");
}

TEST(ParseImageConfig, Errors) {
  auto expect_error = [](const std::string& json, const std::string& part) {
    auto c = parse_image_config(json);
    ASSERT_FALSE(c) << json;
    EXPECT_NE(c.error().message().find(part), std::string::npos) << c.error().message();
  };
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  expect_error(R"({"os":"linux",)" + rootfs + "}", "parse image config: architecture: required");
  expect_error(R"({"architecture":"amd64",)" + rootfs + "}", "os: required");
  expect_error(R"({"architecture":"amd64","os":"linux"})", "rootfs: required");
  expect_error(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})",
               "rootfs.diff_ids: required");
  expect_error(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"tar","diff_ids":[]}})",
               "rootfs.type: must be \"layers\"");
  expect_error(
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["x"]}})",
      "rootfs.diff_ids[0]: invalid digest");
  expect_error(R"({"architecture":"amd64","os":"linux",)" + rootfs + R"(,"config":{"Env":"A=1"}})",
               "config.Env: expected an array of strings, got string");
  expect_error(R"({"architecture":"amd64","os":"linux",)" + rootfs + R"(,"config":{"Cmd":[1]}})",
               "config.Cmd[0]: expected a string, got number");
  expect_error(R"({"architecture":"amd64","os":"linux",)" + rootfs +
                   R"(,"history":[{"empty_layer":"yes"}]})",
               "history[0].empty_layer: expected a boolean, got string");
}

TEST(RoundTrip, ManifestIsCanonicalAndStable) {
  auto m = parse_manifest(oci_manifest());
  ASSERT_TRUE(m);
  std::string json = to_json(*m);
  EXPECT_EQ(json.find(' '), std::string::npos);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_TRUE(json.starts_with(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      kA + R"(","size":7023},"layers":[)"))
      << json;
  auto again = parse_manifest(json);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *m);
  EXPECT_EQ(to_json(*again), json);
}

TEST(RoundTrip, IndexAndConfig) {
  auto index = parse_index(docker_manifest_list());
  ASSERT_TRUE(index);
  auto index2 = parse_index(to_json(*index));
  ASSERT_TRUE(index2) << index2.error().message();
  EXPECT_EQ(*index2, *index);

  auto c = parse_image_config(docker_config());
  ASSERT_TRUE(c);
  std::string json = to_json(*c);
  auto c2 = parse_image_config(json);
  ASSERT_TRUE(c2) << c2.error().message();
  EXPECT_EQ(*c2, *c);
  EXPECT_EQ(to_json(*c2), json);
  EXPECT_NE(json.find(R"("ExposedPorts":{"443/tcp":{},"80/tcp":{}})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("docker_version":"20.10.7")"), std::string::npos);
}

TEST(Convert, DockerToOciAndBack) {
  auto docker = parse_manifest(docker_manifest());
  ASSERT_TRUE(docker);
  auto oci = to_oci(*docker);
  ASSERT_TRUE(oci) << oci.error().message();
  EXPECT_EQ(oci->media_type, mt::kOciManifest);
  EXPECT_EQ(oci->config.media_type, mt::kOciConfig);
  EXPECT_EQ(oci->layers[0].media_type, mt::kOciLayerGzip);
  EXPECT_EQ(oci->layers[1].media_type, mt::kOciLayerNondistributableGzip);
  EXPECT_EQ(oci->layers[0].digest, docker->layers[0].digest);
  auto back = to_docker(*oci);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *docker);
  EXPECT_EQ(*to_oci(*oci), *oci);  // idempotent
}

TEST(Convert, OciToDockerLimits) {
  auto oci = parse_manifest(oci_manifest());
  ASSERT_TRUE(oci);
  auto zstd = to_docker(*oci);
  ASSERT_FALSE(zstd);
  EXPECT_NE(zstd.error().message().find("layers[1]"), std::string::npos) << zstd.error().message();
  EXPECT_NE(zstd.error().message().find("zstd"), std::string::npos);

  ImageManifest gzip_only = *oci;
  gzip_only.layers.pop_back();
  gzip_only.layers.push_back(gzip_only.layers[0]);
  gzip_only.layers.back().media_type = std::string(mt::kOciLayer);
  auto docker = to_docker(gzip_only);
  ASSERT_TRUE(docker) << docker.error().message();
  EXPECT_EQ(docker->layers[1].media_type, mt::kDockerLayer);
  EXPECT_TRUE(docker->annotations.empty());

  ImageManifest artifact = gzip_only;
  artifact.artifact_type = "application/vnd.example+type";
  EXPECT_FALSE(to_docker(artifact));
  ImageManifest unknown = gzip_only;
  unknown.layers[0].media_type = "application/vnd.example.data";
  EXPECT_FALSE(to_docker(unknown));
  EXPECT_TRUE(to_oci(unknown));  // an OCI manifest is kept as is, artifact layers included
  ImageManifest docker_unknown = *to_docker(gzip_only);
  docker_unknown.layers[0].media_type = "application/vnd.example.data";
  EXPECT_FALSE(to_oci(docker_unknown));
}

TEST(Convert, Index) {
  auto list = parse_index(docker_manifest_list());
  ASSERT_TRUE(list);
  auto oci = to_oci(*list);
  ASSERT_TRUE(oci);
  EXPECT_EQ(oci->media_type, mt::kOciIndex);
  EXPECT_EQ(oci->manifests[0].media_type, mt::kOciManifest);
  auto back = to_docker(*oci);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *list);
}

TEST(DetectMediaType, ByFieldAndShape) {
  EXPECT_EQ(*detect_media_type(docker_manifest()), mt::kDockerManifest);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":2,"manifests":[]})"), mt::kOciIndex);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":2,"config":{},"layers":[]})"), mt::kOciManifest);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":1,"fsLayers":[]})"), mt::kDockerManifestSchema1);
  EXPECT_EQ(*detect_media_type(R"({"schemaVersion":1,"fsLayers":[],"signatures":[]})"),
            mt::kDockerManifestSchema1Signed);
  EXPECT_FALSE(detect_media_type(R"({"schemaVersion":2})"));
  EXPECT_FALSE(detect_media_type("nope"));
}

TEST(Descriptor, DataIsVerified) {
  std::string good = R"({"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
                     kEmptyJsonDigest + R"(","size":2,"data":"e30="})";
  auto d = parse_descriptor(good);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d->data, "e30=");
  EXPECT_EQ(to_json(*d), good);
  auto wrong_size = parse_descriptor(replace(good, "\"size\":2", "\"size\":3"));
  ASSERT_FALSE(wrong_size);
  EXPECT_NE(wrong_size.error().message().find("data: decodes to 2 bytes but size is 3"),
            std::string::npos);
  auto wrong_content = parse_descriptor(replace(good, "e30=", "W10="));
  ASSERT_FALSE(wrong_content);
  EXPECT_NE(wrong_content.error().message().find("data: content has digest"), std::string::npos)
      << wrong_content.error().message();
  EXPECT_FALSE(parse_descriptor(replace(good, "e30=", "e3*=")));
}

// The JSON examples in the image-spec's markdown, dispatched by their mediatype.
std::filesystem::path spec_dir() { return krill::spec_files::oci_spec_dir() / "image-spec"; }

TEST(SpecExamples, ParseAndRoundTrip) {
  KRILL_SKIP_WITHOUT_SPECS(spec_dir() / "manifest.md");
  int parsed = 0;
  for (const char* name : {"manifest.md", "image-index.md", "config.md", "descriptor.md"}) {
    std::ifstream in(spec_dir() / name);
    std::stringstream text;
    text << in.rdbuf();
    std::string line, block, type;
    bool inside = false;
    std::istringstream lines(text.str());
    while (std::getline(lines, line)) {
      size_t fence = line.find("```");
      if (!inside && fence != std::string::npos && line.find("```json", fence) == fence) {
        size_t at = line.find("mediatype=");
        type = at == std::string::npos ? "" : line.substr(at + 10);
        if (size_t enc = type.find("%2B"); enc != std::string::npos) type.replace(enc, 3, "+");
        inside = true;
        block.clear();
      } else if (inside && fence != std::string::npos) {
        inside = false;
        SCOPED_TRACE(std::string(name) + " " + type + "\n" + block);
        if (type == mt::kOciManifest) {
          auto m = parse_manifest(block, type);
          ASSERT_TRUE(m) << m.error().message();
          EXPECT_EQ(*parse_manifest(to_json(*m)), *m);
        } else if (type == mt::kOciIndex) {
          auto i = parse_index(block, type);
          ASSERT_TRUE(i) << i.error().message();
          EXPECT_EQ(*parse_index(to_json(*i)), *i);
        } else if (type == mt::kOciConfig) {
          auto c = parse_image_config(block);
          ASSERT_TRUE(c) << c.error().message();
          EXPECT_EQ(*parse_image_config(to_json(*c)), *c);
        } else if (type == mt::kOciDescriptor) {
          auto d = parse_descriptor(block);
          ASSERT_TRUE(d) << d.error().message();
        } else {
          continue;
        }
        ++parsed;
      } else if (inside) {
        block += line + "\n";
      }
    }
  }
  EXPECT_GE(parsed, 11);
}

}  // namespace
}  // namespace krill::image
