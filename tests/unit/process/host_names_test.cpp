#include "runtime/process/host_names.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include "in_child.h"

namespace krill::process {
namespace {

using testing::run_in_child;

TEST(HostNames, SetsHostnameAndDomainnameInANewUtsNamespace) {
  EXPECT_EQ(run_in_child([] {
              if (::unshare(CLONE_NEWUTS) != 0) return std::string("unshare(CLONE_NEWUTS)");
              if (auto r = set_hostname("krill-test-host"); !r) return r.error().message();
              if (auto r = set_domainname("krill.example"); !r) return r.error().message();
              char host[65] = {}, domain[65] = {};
              ::gethostname(host, sizeof(host) - 1);
              ::getdomainname(domain, sizeof(domain) - 1);
              if (std::string(host) != "krill-test-host") return "hostname " + std::string(host);
              if (std::string(domain) != "krill.example") return "domain " + std::string(domain);
              return std::string();
            }),
            "");
}

TEST(HostNames, TooLongANameNamesTheValue) {
  EXPECT_EQ(run_in_child([] {
              if (::unshare(CLONE_NEWUTS) != 0) return std::string("unshare(CLONE_NEWUTS)");
              std::string name(65, 'x');
              auto r = set_hostname(name);
              if (r) return std::string("accepted 65 characters");
              if (r.error().message() != "set hostname to \"" + name + "\": Invalid argument")
                return "got: " + r.error().message();
              return std::string();
            }),
            "");
}

}  // namespace
}  // namespace krill::process
