#include "runtime/state_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "base/file_io.h"

namespace krill::runtime {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-state-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    base_ = templ;
    auto store = StateStore::open(base_ + "/root");
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
  }
  void TearDown() override { ASSERT_TRUE(remove_all(base_)); }

  StateStore& store() { return *store_; }

  std::string base_;
  std::optional<StateStore> store_;
};

ContainerRecord sample_record(const std::string& id) {
  ContainerRecord r;
  r.id = id;
  r.bundle = "/srv/bundles/" + id;
  r.rootfs = "/srv/bundles/" + id + "/rootfs";
  r.init_pid = 4242;
  r.init_start_time = 123456789012ULL;
  r.created = "2024-05-01T12:03:04.123456789Z";
  r.cgroups_path = "/sys/fs/cgroup/krill/" + id;
  r.rootless = true;
  r.systemd_cgroup = false;
  r.annotations = {{"org.example/key", "value \"quoted\""}, {"empty", ""}};
  r.namespace_paths = {{"user", "/proc/4242/ns/user"},
                       {"pid", "/proc/4242/ns/pid"},
                       {"network", "/var/run/netns/blue"}};
  r.paused = true;
  r.config_json = "{\"ociVersion\":\"1.3.0\",\"process\":{\"args\":[\"sh\"]}}\n";
  r.rdt_group = "/sys/fs/resctrl/c1";
  r.rdt_created_group = true;
  r.rdt_monitor_group = "/sys/fs/resctrl/c1/mon_groups/c1";
  r.spec_facts = ContainerRecord::SpecFacts{
      .poststart_hooks = false, .poststop_hooks = true, .own_pid_namespace = true};
  return r;
}

struct IdCase {
  const char* id;
  bool valid;
};

TEST(ValidateContainerId, FollowsRunc) {
  const IdCase cases[] = {
      {"c1", true},      {"my_container", true}, {"a+b", true},  {"a-b.c", true}, {"...", true},
      {".hidden", true}, {"UPPER9", true},       {"", false},    {".", false},    {"..", false},
      {"a/b", false},    {"../x", false},        {"a b", false}, {"a,b", false},  {"a:b", false},
      {"é", false},      {"a\nb", false},        {"a@b", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(validate_container_id(c.id).has_value(), c.valid) << "id: \"" << c.id << "\"";
  }
  EXPECT_TRUE(validate_container_id(std::string(255, 'x')));
  EXPECT_FALSE(validate_container_id(std::string(256, 'x')));
}

TEST(ValidateContainerId, Messages) {
  EXPECT_EQ(validate_container_id("a/b").error().message(),
            "invalid container id \"a/b\": only letters, digits, '_', '+', '-' and '.' are "
            "allowed");
  EXPECT_EQ(validate_container_id("..").error().message(),
            "invalid container id \"..\": it is not a valid file name");
  EXPECT_EQ(validate_container_id("").error().message(), "invalid container id \"\": it is empty");
  EXPECT_EQ(validate_container_id("a\nb").error().message().substr(0, 29),
            "invalid container id \"a\\x0ab\"");
}

TEST(ContainerRecordJson, RoundTrip) {
  const ContainerRecord r = sample_record("c1");
  auto back = record_from_json(record_to_json(r));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->namespace_paths[2].first, "network");  // order kept
}

TEST(ContainerRecordJson, DefaultsAndErrors) {
  auto minimal = record_from_json(R"({"id":"x","unknown":[1,2]})");
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->id, "x");
  EXPECT_EQ(minimal->init_pid, 0);
  EXPECT_FALSE(minimal->paused);
  EXPECT_FALSE(minimal->spec_facts) << "an old state file: start and delete parse the config";

  auto not_json = record_from_json("{nope");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message().rfind("parse container state: ", 0), 0u);
  EXPECT_FALSE(record_from_json(R"({"bundle":"/b"})"));  // no id
  EXPECT_FALSE(record_from_json(R"({"id":7})"));
}

TEST_F(StateStoreTest, OpenMakesAbsolutePrivateRoot) {
  struct stat st {};
  ASSERT_EQ(::stat(store().root().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(store().root(), base_ + "/root");
  EXPECT_EQ(store().container_dir("c1"), base_ + "/root/c1");
}

TEST_F(StateStoreTest, SaveLoadRoundTrip) {
  ASSERT_TRUE(store().create_dir("c1"));
  const ContainerRecord r = sample_record("c1");
  ASSERT_TRUE(store().save(r));
  auto loaded = store().load("c1");
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(*loaded, r);

  ContainerRecord changed = r;
  changed.paused = false;
  ASSERT_TRUE(store().save(changed));
  EXPECT_EQ(*store().load("c1"), changed);

  struct stat st {};
  ASSERT_EQ(::stat((store().container_dir("c1") + "/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(store().container_dir("c1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0711u);
}

TEST_F(StateStoreTest, LoadMissing) {
  auto missing = store().load("ghost");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "container \"ghost\" does not exist");
  ASSERT_TRUE(store().create_dir("half"));
  EXPECT_EQ(store().load("half").error().message(), "container \"half\" does not exist");
  EXPECT_FALSE(store().load("../etc"));
}

TEST_F(StateStoreTest, CreateDirTwiceFails) {
  ASSERT_TRUE(store().create_dir("c1"));
  auto again = store().create_dir("c1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), "container with id exists: c1");
  auto bad = store().create_dir("a/b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("invalid container id \"a/b\"", 0), 0u);
}

TEST_F(StateStoreTest, ListIgnoresHalfCreatedAndForeignEntries) {
  for (const char* id : {"zeta", "alpha", "mid"}) {
    ASSERT_TRUE(store().create_dir(id));
    ASSERT_TRUE(store().save(sample_record(id)));
  }
  ASSERT_TRUE(store().create_dir("half"));  // no state.json yet
  ASSERT_TRUE(write_file_atomic(store().root() + "/stray-file", "x"));
  ASSERT_EQ(::mkdir((store().root() + "/bad name").c_str(), 0700), 0);
  auto ids = store().list_ids();
  ASSERT_TRUE(ids) << ids.error().message();
  EXPECT_EQ(*ids, (std::vector<std::string>{"alpha", "mid", "zeta"}));
}

TEST_F(StateStoreTest, RemoveDirRemovesEverything) {
  ASSERT_TRUE(store().create_dir("c1"));
  ASSERT_TRUE(store().save(sample_record("c1")));
  const std::string fifo = store().container_dir("c1") + "/exec.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_TRUE(mkdir_all(store().container_dir("c1") + "/sub/dir", 0700));
  ASSERT_TRUE(store().remove_dir("c1"));
  EXPECT_NE(::access(store().container_dir("c1").c_str(), F_OK), 0);
  EXPECT_TRUE(store().remove_dir("c1"));  // already gone
  EXPECT_EQ(*store().list_ids(), std::vector<std::string>{});
  // The id can be used again.
  EXPECT_TRUE(store().create_dir("c1"));
}

TEST_F(StateStoreTest, LockOfMissingContainer) {
  auto lock = store().lock("ghost");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().message(), "container \"ghost\" does not exist");
}

// Runs `body` in a forked child and returns its exit status.
template <typename F>
int in_child(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST_F(StateStoreTest, LockExcludesAnotherProcess) {
  ASSERT_TRUE(store().create_dir("c1"));
  {
    auto lock = store().lock("c1");
    ASSERT_TRUE(lock) << lock.error().message();
    // Another process cannot take it: 1 = would block.
    EXPECT_EQ(in_child([&] {
                auto other = store().try_lock("c1");
                if (!other) return 3;
                return other->has_value() ? 0 : 1;
              }),
              1);
    // Nor with a raw POSIX lock on the file.
    EXPECT_EQ(in_child([&] {
                int fd = ::open((store().container_dir("c1") + "/lock").c_str(), O_RDWR);
                struct flock fl {};
                fl.l_type = F_WRLCK;
                return ::fcntl(fd, F_SETLK, &fl) < 0 && (errno == EAGAIN || errno == EACCES) ? 1
                                                                                             : 0;
              }),
              1);
  }
  // Released on destruction.
  EXPECT_EQ(in_child([&] {
              auto other = store().try_lock("c1");
              return other && other->has_value() ? 0 : 1;
            }),
            0);
}

TEST_F(StateStoreTest, LockIsNotInheritedByForkedChildren) {
  ASSERT_TRUE(store().create_dir("c1"));
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t holder = ::fork();
  if (holder == 0) {
    // Takes the lock, forks a long-lived child (like a container init), exits.
    auto lock = store().lock("c1");
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::sleep(5);
      ::_exit(0);
    }
    (void)!::write(ready[1], &grandchild, sizeof(grandchild));
    ::_exit(lock ? 0 : 1);
  }
  pid_t grandchild = 0;
  ASSERT_EQ(::read(ready[0], &grandchild, sizeof(grandchild)),
            static_cast<ssize_t>(sizeof(grandchild)));
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
  ::close(ready[0]);
  ::close(ready[1]);
  auto lock = store().try_lock("c1");
  ::kill(grandchild, SIGKILL);
  ASSERT_TRUE(lock);
  EXPECT_TRUE(lock->has_value()) << "the grandchild kept the lock";
}

TEST_F(StateStoreTest, WaiterSeesRemovalByTheHolder) {
  ASSERT_TRUE(store().create_dir("c1"));
  ASSERT_TRUE(store().save(sample_record("c1")));
  int sync_pipe[2];
  ASSERT_EQ(::pipe(sync_pipe), 0);
  pid_t holder = ::fork();
  if (holder == 0) {
    auto lock = store().lock("c1");
    char c = 'L';
    (void)!::write(sync_pipe[1], &c, 1);
    ::usleep(300 * 1000);  // the parent is now blocked in lock()
    auto removed = store().remove_dir("c1");
    ::_exit(lock && removed ? 0 : 1);
  }
  char c;
  ASSERT_EQ(::read(sync_pipe[0], &c, 1), 1);
  auto lock = store().lock("c1");  // blocks until the holder exits
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(sync_pipe[0]);
  ::close(sync_pipe[1]);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().message(), "container \"c1\" does not exist");
}

TEST(DefaultStateRoot, RootUsesRun) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  // In the initial user namespace root always gets /run/krill.
  auto map = read_file("/proc/self/uid_map");
  if (!map || map->find("4294967295") == std::string::npos) GTEST_SKIP();
  EXPECT_EQ(default_state_root(), "/run/krill");
}

TEST_F(StateStoreTest, OwnerIsTheUserOfTheContainerDirectory) {
  ASSERT_TRUE(store().create_dir("c1"));
  struct stat st {};
  ASSERT_EQ(::stat(store().container_dir("c1").c_str(), &st), 0);
  EXPECT_EQ(store().owner("c1"), user_name_for_uid(st.st_uid));
  EXPECT_EQ(store().owner("gone"), "");
}

TEST(UserNameForUid, KnownAndUnknown) {
  EXPECT_EQ(user_name_for_uid(0), "root");
  EXPECT_EQ(user_name_for_uid(3999999999u), "#3999999999");
}

}  // namespace
}  // namespace krill::runtime
