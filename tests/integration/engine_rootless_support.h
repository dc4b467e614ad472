// The rootless engine tests' fixture: a RootlessSession (the test user, its home, krill copies)
// with the busybox image imported into the user's store.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine_test_support.h"
#include "rootless_session.h"

namespace krill::it {

class EngineRootless : public ::testing::Test {
 public:
  static constexpr const char* kImage = "localhost/rootless-box:1";

 protected:
  // What the host needs before the user's first command (which makes its namespace).
  virtual void PrepareHost() {}
  void SetUp() override {
    if (!session_.skip_reason().empty()) GTEST_SKIP() << session_.skip_reason();
    ASSERT_TRUE(session_.error().empty()) << session_.error();
    PrepareHost();
    if (HasFatalFailure() || IsSkipped()) return;
    const std::string tar = session_.home() + "/rootfs.tar";
    std::filesystem::copy_file(busybox_rootfs_tar(), tar);
    session_.give(tar);
    auto imported = session_.krill({"import", "-q", tar, kImage});
    ASSERT_TRUE(imported.ok()) << imported.describe();
  }
  CommandResult krill(const std::vector<std::string>& args,
                      CommandOptions options = {.timeout = std::chrono::seconds(120)}) const {
    return session_.krill(args, std::move(options));
  }
  // Container ids of the user (`ps -a -q`).
  std::string all_ids() const { return krill({"ps", "-a", "-q"}).out; }

  RootlessSession session_;
};

}  // namespace krill::it
