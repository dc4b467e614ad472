// The config.json a rootless runtime gets in the harness's rootless mode (rootless_mode.h): the
// test's config, put in a user namespace of the test user the way `krill-runtime spec
// --rootless` does, with the subordinate ids mapped too so that tests needing more than one id
// (process.user, file owners, devpts gid=5) run unchanged.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

namespace krill::it {

// The ids an unprivileged user may map (newuidmap/newgidmap check /etc/subuid and /etc/subgid).
struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  unsigned long subuid_start = 0;
  unsigned long subgid_start = 0;
  unsigned long subordinate_count = 0;
};

// What a rootless engine would give the runtime for `config`:
// - a config that already has a user namespace is left as the test made it (it chose its
//   mappings or joins one);
// - one joining a namespace of another process (/proc/PID/ns/TYPE) joins that process's user
//   namespace too: only that namespace's root may enter the rest;
// - else a new user namespace maps container 0 to the user and 1..count to the subordinate ids,
//   unless mappings are already set;
// - without a pid namespace of its own the container cannot mount proc (the kernel wants
//   CAP_SYS_ADMIN over the host's pid namespace): /proc is the host's, bound, as podman has it;
// - without an ipc namespace of its own it cannot mount mqueue: the runtime binds the host's
//   /dev/mqueue instead, and where the host has none (`host_has_mqueue`) the mount is dropped.
nlohmann::json rootless_config(nlohmann::json config, const UserIds& ids, bool host_has_mqueue);

}  // namespace krill::it
