// The integration tests' main: each test process moves into a network namespace of its own
// before any test runs, so no container, bridge, firewall rule or server that a test makes can
// reach or change the host's network — traffic stays on this namespace's loopback and between
// the test's own containers.
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

bool bring_loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (::unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr,
                 "krill integration tests: unshare(CLONE_NEWNET): %s: they run as root, each in "
                 "a network namespace of its own\n",
                 std::strerror(errno));
    return 1;
  }
  if (!bring_loopback_up()) {
    std::fprintf(stderr,
                 "krill integration tests: cannot bring up lo in the test's network "
                 "namespace: %s\n",
                 std::strerror(errno));
    return 1;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
