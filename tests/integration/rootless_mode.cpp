// The harness's rootless mode (rootless_mode.h).
#include "rootless_mode.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include "harness.h"
#include "test_user.h"

namespace krill::it {
namespace {

struct RootlessState {
  std::unique_ptr<TestUser> user;
  std::string error;
  UserIds ids;
  std::vector<std::string> prefix;
  std::string runtime;
  std::string probe;
};

std::mutex g_mutex;
std::unique_ptr<RootlessState> g_state;

void hand_over(const std::string& path, const UserIds& ids) {
  static thread_local const UserIds* owner = nullptr;
  owner = &ids;
  nftw(
      path.c_str(),
      [](const char* entry, const struct stat* st, int, struct FTW*) {
        if (st->st_uid == 0 || st->st_gid == 0)
          lchown(entry, st->st_uid == 0 ? owner->uid : static_cast<uid_t>(-1),
                 st->st_gid == 0 ? owner->gid : static_cast<gid_t>(-1));
        return 0;
      },
      32, FTW_PHYS | FTW_MOUNT);
}

// The user, its home in the scratch dir and its copy of the runtime (the build tree may sit in a
// folder the user cannot enter).
std::unique_ptr<RootlessState> set_up() {
  auto state = std::make_unique<RootlessState>();
  if (geteuid() != 0) {
    state->error = "rootless mode needs root to create the test user";
    return state;
  }
  for (const char* program : {"setpriv", "useradd", "newuidmap", "newgidmap"}) {
    if (!have_program(program)) {
      state->error = std::string("rootless mode needs ") + program;
      return state;
    }
  }
  state->user = std::make_unique<TestUser>();
  if (!state->user->error().empty()) {
    state->error = "test user: " + state->user->error();
    return state;
  }
  const TestUser& user = *state->user;
  state->ids = UserIds{.uid = user.uid(),
                       .gid = user.gid(),
                       .subuid_start = user.subordinate_start("/etc/subuid"),
                       .subgid_start = user.subordinate_start("/etc/subgid"),
                       .subordinate_count = std::min(user.subordinate_count("/etc/subuid"),
                                                     user.subordinate_count("/etc/subgid"))};
  const std::string home = test_dir() + "/home";
  std::filesystem::create_directories(home + "/xdg");
  std::filesystem::create_directories(home + "/bin");
  state->runtime = home + "/bin/" + std::filesystem::path(runtime_binary()).filename().string();
  std::error_code ec;
  std::filesystem::copy_file(runtime_binary(), state->runtime, ec);
  if (ec) {
    state->error = "copy " + runtime_binary() + ": " + ec.message();
    return state;
  }
  state->probe = home + "/bin/krill-probe";
  std::filesystem::copy_file(probe_binary(), state->probe, ec);
  if (ec) {
    state->error = "copy " + probe_binary() + ": " + ec.message();
    return state;
  }
  hand_over(home, state->ids);
  state->prefix = user.as_user(home, TestUser::Environment::kKeep);
  return state;
}

RootlessState& state() {
  std::lock_guard lock(g_mutex);
  if (!g_state) g_state = set_up();
  return *g_state;
}

}  // namespace

bool rootless_mode() {
  static const bool on = [] {
    const char* value = std::getenv("KRILL_IT_ROOTLESS");
    return value && std::strcmp(value, "1") == 0;
  }();
  return on;
}

std::string rootless_setup_error() { return state().error; }

const UserIds& rootless_ids() { return state().ids; }

const std::vector<std::string>& rootless_command_prefix() { return state().prefix; }

const std::string& rootless_runtime_binary() { return state().runtime; }

const std::string& rootless_probe_binary() { return state().probe; }

void hand_over_to_test_user(const std::string& path) { hand_over(path, rootless_ids()); }

void release_rootless_user() {
  std::lock_guard lock(g_mutex);
  g_state.reset();
}

uid_t container_root_host_uid() { return rootless_mode() ? rootless_ids().uid : 0; }

unsigned long host_gid_of(unsigned long gid) {
  if (!rootless_mode()) return gid;
  const UserIds& ids = rootless_ids();
  return gid == 0 ? ids.gid : ids.subgid_start + gid - 1;
}

MappableIds mappable_host_ids(unsigned long uid, unsigned long gid, unsigned long size) {
  if (!rootless_mode()) return {uid, gid, size};
  const UserIds& ids = rootless_ids();
  return {ids.subuid_start, ids.subgid_start, std::min(size, ids.subordinate_count)};
}

}  // namespace krill::it
