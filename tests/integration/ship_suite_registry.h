// A docker-registry shared by the tests of one suite: a fixture derives from
// WithSuiteRegistry<Base> (Base: ::testing::Test or a TestWithParam) and reads registry_, which
// is null when Debian's docker-registry is not installed. It is started before the suite's
// first test and killed after its last (Registry cleans up after itself).
#pragma once

#include <gtest/gtest.h>

#include "ship_harness.h"

namespace krill::it::ship {

template <typename Base = ::testing::Test>
class WithSuiteRegistry : public Base {
 protected:
  static void SetUpTestSuite() {
    if (path_exists("/usr/bin/docker-registry")) registry_ = new Registry();
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  inline static Registry* registry_ = nullptr;
};

}  // namespace krill::it::ship
