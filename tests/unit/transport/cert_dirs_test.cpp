#include "transport/cert_dirs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace krill::transport {
namespace {

TEST(CertDirs, RootsInPodmansOrder) {
  EXPECT_EQ(default_cert_roots("/home/u", true),
            (std::vector<std::string>{"/home/u/.config/containers/certs.d",
                                      "/etc/containers/certs.d", "/etc/docker/certs.d"}));
  EXPECT_EQ(default_cert_roots("/root", false),
            (std::vector<std::string>{"/etc/containers/certs.d", "/etc/docker/certs.d"}));
}

TEST(CertDirs, TheFirstExistingHostDirectoryWins) {
  char templ[] = "/tmp/krill-certs-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const std::string base = templ;
  const std::vector<std::string> roots = {base + "/user", base + "/containers", base + "/docker"};
  EXPECT_EQ(per_host_cert_dir(roots, "reg:5000"), "");
  std::filesystem::create_directories(base + "/docker/reg:5000");
  EXPECT_EQ(per_host_cert_dir(roots, "reg:5000"), base + "/docker/reg:5000");
  std::filesystem::create_directories(base + "/containers/reg:5000");
  EXPECT_EQ(per_host_cert_dir(roots, "reg:5000"), base + "/containers/reg:5000");
  EXPECT_EQ(per_host_cert_dir(roots, "other:5000"), "");
  // A host that is not a plain name never walks out of the roots.
  EXPECT_EQ(per_host_cert_dir(roots, ".."), "");
  EXPECT_EQ(per_host_cert_dir(roots, "../docker/reg:5000"), "");
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace krill::transport
