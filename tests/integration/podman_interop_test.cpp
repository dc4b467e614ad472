// Interoperability: podman drives the runtime under test (the runc CLI contract engines rely on),
// and the runtime's `state` / `list --format json` output has runc's field names and types.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include "harness.h"

namespace krill::it {
namespace {

constexpr const char* kRunc = "/usr/sbin/runc";

// podman with a private store under a temp dir, so the host's images and containers are never
// touched. Network "none": no traffic leaves the namespaces podman makes.
class Podman {
 public:
  // podman's cgroupfs manager puts conmon in /libpod_parent/conmon; the guard removes those
  // cgroups afterwards if this test made them.
  Podman() : dir_("podman"), conmon_cgroups_("/libpod_parent/conmon") {}
  CommandResult operator()(std::vector<std::string> args,
                           std::chrono::seconds timeout = std::chrono::seconds(120)) {
    std::vector<std::string> argv = {"podman",
                                     "--root",
                                     dir_.path() + "/root",
                                     "--runroot",
                                     dir_.path() + "/runroot",
                                     "--tmpdir",
                                     dir_.path() + "/tmp",
                                     "--storage-driver",
                                     "vfs",
                                     "--cgroup-manager",
                                     "cgroupfs",
                                     "--events-backend",
                                     "file"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOptions options;
    options.timeout = timeout;
    options.env = {"CONTAINERS_CONF=/dev/null", "XDG_RUNTIME_DIR=" + dir_.path() + "/xdg"};
    return run_command(argv, options);
  }
  const std::string& dir() const { return dir_.path(); }
  ~Podman() {
    // Leave nothing mounted or running inside the private store.
    (*this)({"rm", "--all", "--force"});
    (*this)({"system", "reset", "--force"});
  }

 private:
  TempDir dir_;
  CgroupGuard conmon_cgroups_;
};

// A busybox rootfs tar from busybox-static, imported into the private store.
TEST(PodmanInterop, RunEchoWithUlimits) {
  if (!have_program("podman")) GTEST_SKIP() << "podman is not installed (apt-get install podman)";
  Podman podman;
  std::string rootfs = podman.dir() + "/image-rootfs";
  std::filesystem::create_directories(rootfs + "/bin");
  std::filesystem::copy_file(kBusybox, rootfs + "/bin/busybox");
  for (const char* applet : {"sh", "echo", "cat", "true", "id"})
    std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet);
  std::string tar = podman.dir() + "/busybox.tar";
  CommandResult r = run_command({"tar", "-C", rootfs, "-cf", tar, "."});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = podman({"import", tar, "localhost/kit-busybox:latest"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = podman({"--runtime", runtime_binary(), "run", "--rm", "--network", "none", "--ulimit",
              "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "localhost/kit-busybox:latest",
              "echo", "hi"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "hi\n") << r.describe();
}

std::map<std::string, json::value_t> field_types(const json& object) {
  std::map<std::string, json::value_t> out;
  for (const auto& [key, value] : object.items()) {
    json::value_t t = value.type();
    if (t == json::value_t::number_unsigned) t = json::value_t::number_integer;
    out[key] = t;
  }
  return out;
}

// runtime.md State (field names) and runc's `list --format json`: same names and JSON types as
// runc for the same bundle.
TEST(PodmanInterop, StateAndListMatchRunc) {
  if (!have_program(kRunc)) GTEST_SKIP() << "runc is not installed for the comparison";
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["annotations"] = {{"org.krill.test", "1"}};
  Container ours(bundle);
  ASSERT_TRUE(ours.create().ok()) << ours.error_output();

  TempDir runc_root("runc-root");
  std::string runc_id = unique_id("runc");
  std::vector<std::string> runc = {kRunc, "--root", runc_root.path()};
  auto runc_cmd = [&](std::vector<std::string> args, CommandOptions options = {}) {
    std::vector<std::string> argv = runc;
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, options);
  };
  struct RuncGuard {
    std::function<void()> cleanup;
    ~RuncGuard() { cleanup(); }
  } guard{[&] { runc_cmd({"delete", "--force", runc_id}); }};
  CommandResult r = runc_cmd(
      {"create", "--bundle", bundle.path(), runc_id},
      {.stdout_path = bundle.path() + "/runc.out", .stderr_path = bundle.path() + "/runc.err"});
  ASSERT_TRUE(r.ok()) << r.describe();

  json our_state = ours.state_json();
  json runc_state = parse_json(runc_cmd({"state", runc_id}).out);
  ASSERT_TRUE(our_state.is_object() && runc_state.is_object());
  EXPECT_EQ(field_types(our_state), field_types(runc_state))
      << "ours: " << our_state.dump() << "\nrunc: " << runc_state.dump();

  json our_list = parse_json(runtime({"list", "--format", "json"}).out);
  json runc_list = parse_json(runc_cmd({"list", "--format", "json"}).out);
  ASSERT_TRUE(our_list.is_array() && runc_list.is_array() && !runc_list.empty());
  json our_entry;
  for (const auto& e : our_list)
    if (e.value("id", "") == ours.id()) our_entry = e;
  ASSERT_TRUE(our_entry.is_object()) << our_list.dump();
  EXPECT_EQ(field_types(our_entry), field_types(runc_list[0]))
      << "ours: " << our_entry.dump() << "\nrunc: " << runc_list[0].dump();
}

}  // namespace
}  // namespace krill::it
