// The harness's rootless mode: with KRILL_IT_ROOTLESS=1 every runtime command of the runtime
// tests runs as the unprivileged test user (test_user.h) with subordinate ids, the bundles and
// scratch files are handed over to that user, and each config.json gets the user namespace a
// rootless runtime needs (rootless_config.h). ctest runs the runtime tests both ways (the
// "rootless." prefix is this mode).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "rootless_config.h"

namespace krill::it {

// KRILL_IT_ROOTLESS is set to 1 (read once).
bool rootless_mode();

// Rootless mode only: creates the test user on first use and says why that failed ("" if not).
std::string rootless_setup_error();
// The test user's ids (rootless mode, after a successful setup).
const UserIds& rootless_ids();
// argv prefix running a command as the test user (HOME and XDG_RUNTIME_DIR in the scratch dir;
// the rest of the environment kept, so the harness's markers reach the runtime).
const std::vector<std::string>& rootless_command_prefix();
// Path of the runtime binary as the test user runs it (a copy the user can reach).
const std::string& rootless_runtime_binary();
// The probe copied next to it, for hooks the runtime runs as the user (the build tree may sit
// in a directory the user cannot enter, such as one made by mktemp -d).
const std::string& rootless_probe_binary();
// Gives the test user the files and directories below `path` (and `path`) that root owns, not
// crossing mounts: what root made for a test is the user's in rootless mode.
void hand_over_to_test_user(const std::string& path);
// Ends rootless mode's use of the test user (removed by the last user of it on the machine).
void release_rootless_user();

// The host uid of a container's root when the test gives no mappings: 0 as root, the test
// user's uid rootless.
uid_t container_root_host_uid();

// The host gid of container gid `gid` under the default mappings (rootless_config.h): itself
// as root.
unsigned long host_gid_of(unsigned long gid);

// Host ids a test may map in a user namespace of its own: `uid`/`gid` as root, the test user's
// subordinate ids rootless (size: how many follow).
struct MappableIds {
  unsigned long uid_start;
  unsigned long gid_start;
  unsigned long size;
};
MappableIds mappable_host_ids(unsigned long uid, unsigned long gid, unsigned long size);

}  // namespace krill::it

// The one way a runtime test says it cannot run rootless; `reason` names the kernel or spec rule.
#define KRILL_SKIP_IF_ROOTLESS(reason) \
  if (::krill::it::rootless_mode()) GTEST_SKIP() << "rootless: " << reason
