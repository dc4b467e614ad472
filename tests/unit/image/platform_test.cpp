#include "image/platform.h"

#include <gtest/gtest.h>

#include "image/manifest.h"

namespace krill::image {
namespace {

TEST(Platform, ForMachine) {
  EXPECT_EQ(platform_for_machine("x86_64").str(), "linux/amd64");
  EXPECT_EQ(platform_for_machine("aarch64").str(), "linux/arm64/v8");
  EXPECT_EQ(platform_for_machine("armv7l").str(), "linux/arm/v7");
  EXPECT_EQ(platform_for_machine("armv6l").str(), "linux/arm/v6");
  EXPECT_EQ(platform_for_machine("armv5tel").str(), "linux/arm/v5");
  EXPECT_EQ(platform_for_machine("i686").str(), "linux/386");
  EXPECT_EQ(platform_for_machine("ppc64le").str(), "linux/ppc64le");
  EXPECT_EQ(platform_for_machine("s390x").str(), "linux/s390x");
  EXPECT_EQ(platform_for_machine("riscv64").str(), "linux/riscv64");
  EXPECT_EQ(platform_for_machine("loongarch64").str(), "linux/loong64");
  EXPECT_EQ(platform_for_machine("mips64el").str(), "linux/mips64le");
}

TEST(Platform, HostIsLinux) {
  Platform host = host_platform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
}

TEST(Platform, Parse) {
  EXPECT_EQ(parse_platform("linux/arm64/v8")->str(), "linux/arm64/v8");
  EXPECT_EQ(parse_platform("linux/arm64")->str(), "linux/arm64/v8");
  EXPECT_EQ(parse_platform("linux/aarch64")->str(), "linux/arm64/v8");
  EXPECT_EQ(parse_platform("linux/arm")->str(), "linux/arm/v7");
  EXPECT_EQ(parse_platform("linux/arm/6")->str(), "linux/arm/v6");
  EXPECT_EQ(parse_platform("linux/armhf")->str(), "linux/arm/v7");
  EXPECT_EQ(parse_platform("Linux/X86_64")->str(), "linux/amd64");
  EXPECT_EQ(parse_platform("linux/amd64/v1")->str(), "linux/amd64");
  EXPECT_EQ(parse_platform("linux/amd64/v3")->str(), "linux/amd64/v3");
  EXPECT_EQ(parse_platform("windows/amd64")->str(), "windows/amd64");
  EXPECT_EQ(parse_platform("arm64")->str(), "linux/arm64/v8");
  EXPECT_EQ(parse_platform("linux")->architecture, host_platform().architecture);
  for (const char* bad :
       {"", "linux/", "/amd64", "linux/amd64/v8/x", "plan10/amd64", "linux/z80", "nonsense"}) {
    auto p = parse_platform(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().message().find("invalid platform"), std::string::npos);
  }
}

TEST(Platform, Matches) {
  Platform arm64 = *parse_platform("linux/arm64");
  EXPECT_TRUE(platform_matches(arm64, Platform{.architecture = "arm64", .os = "linux"}));
  EXPECT_TRUE(platform_matches(arm64, *parse_platform("linux/arm64/v8")));
  EXPECT_TRUE(platform_matches(arm64, *parse_platform("linux/arm/v7")));
  EXPECT_FALSE(platform_matches(arm64, *parse_platform("linux/amd64")));
  EXPECT_FALSE(platform_matches(arm64, *parse_platform("windows/arm64")));
  Platform armv6 = *parse_platform("linux/arm/v6");
  EXPECT_TRUE(platform_matches(armv6, *parse_platform("linux/arm/v5")));
  EXPECT_FALSE(platform_matches(armv6, *parse_platform("linux/arm/v7")));
  // An arm entry without variant means v7.
  EXPECT_FALSE(platform_matches(armv6, Platform{.architecture = "arm", .os = "linux"}));
  Platform amd64v3 = *parse_platform("linux/amd64/v3");
  EXPECT_TRUE(platform_matches(amd64v3, *parse_platform("linux/amd64/v2")));
  EXPECT_TRUE(platform_matches(amd64v3, *parse_platform("linux/amd64")));
  EXPECT_FALSE(platform_matches(*parse_platform("linux/amd64"), *parse_platform("linux/amd64/v2")));
  EXPECT_TRUE(platform_matches(*parse_platform("linux/amd64"), *parse_platform("linux/386")));
}

Descriptor entry(char fill, const std::string& platform) {
  Descriptor d;
  d.media_type = std::string(media_types::kOciManifest);
  d.digest = *Digest::parse("sha256:" + std::string(64, fill));
  d.size = 1;
  if (!platform.empty()) {
    Platform p;
    size_t a = platform.find('/');
    size_t b = platform.find('/', a + 1);
    p.os = platform.substr(0, a);
    p.architecture = platform.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) p.variant = platform.substr(b + 1);
    d.platform = p;
  }
  return d;
}

TEST(SelectManifest, Rules) {
  ImageIndex index;
  index.manifests = {entry('0', ""),
                     entry('1', "linux/amd64"),
                     entry('2', "linux/arm/v6"),
                     entry('3', "linux/arm/v7"),
                     entry('4', "linux/arm64"),
                     entry('5', "linux/arm64/v8"),
                     entry('6', "windows/amd64"),
                     entry('7', "linux/s390x")};
  auto pick = [&](const std::string& p) -> char {
    const Descriptor* d = select_manifest(index, *parse_platform(p));
    return d == nullptr ? '-' : d->digest.hex()[0];
  };
  EXPECT_EQ(pick("linux/amd64"), '1');
  EXPECT_EQ(pick("windows/amd64"), '6');
  EXPECT_EQ(pick("linux/arm64/v8"), '4');  // arm64 and arm64/v8 are the same; first wins
  EXPECT_EQ(pick("linux/arm/v7"), '3');
  EXPECT_EQ(pick("linux/arm/v6"), '2');
  EXPECT_EQ(pick("linux/arm/v5"), '-');
  EXPECT_EQ(pick("linux/s390x"), '7');
  EXPECT_EQ(pick("linux/ppc64le"), '-');

  // Fallbacks: an arm64 host takes arm/v7 when there is no arm64 image, and the
  // exact variant beats an older one regardless of order.
  ImageIndex armonly;
  armonly.manifests = {entry('a', "linux/arm/v6"), entry('b', "linux/arm/v7"),
                       entry('c', "linux/amd64")};
  EXPECT_EQ(select_manifest(armonly, *parse_platform("linux/arm64"))->digest.hex()[0], 'b');
  EXPECT_EQ(select_manifest(armonly, *parse_platform("linux/arm/v7"))->digest.hex()[0], 'b');
  // An amd64/v3 host prefers the v3 build, then v2, then plain amd64.
  ImageIndex levels;
  levels.manifests = {entry('a', "linux/amd64"), entry('b', "linux/amd64/v2"),
                      entry('c', "linux/amd64/v3")};
  EXPECT_EQ(select_manifest(levels, *parse_platform("linux/amd64/v3"))->digest.hex()[0], 'c');
  EXPECT_EQ(select_manifest(levels, *parse_platform("linux/amd64/v2"))->digest.hex()[0], 'b');
  EXPECT_EQ(select_manifest(levels, *parse_platform("linux/amd64"))->digest.hex()[0], 'a');
}

}  // namespace
}  // namespace krill::image
