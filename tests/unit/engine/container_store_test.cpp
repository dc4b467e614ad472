// The engine database: lookups, name rules, transactions, and many processes writing at once.
#include "engine/container_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <set>

#include "container_store_test_support.h"

namespace krill::engine {
namespace {

using store_test::padded_id;
using store_test::sample_record;
using store_test::ScratchDir;

class ContainerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto opened = ContainerStore::open(dir_.path());
    ASSERT_TRUE(opened) << opened.error().message();
    store_.emplace(std::move(*opened));
  }
  ContainerStore& store() { return *store_; }

  ScratchDir dir_;
  std::optional<ContainerStore> store_;
};

TEST_F(ContainerStoreTest, CreatesDatabaseFileUnderEngineDir) {
  struct stat st;
  EXPECT_EQ(stat((dir_.path() + "/engine/engine.db").c_str(), &st), 0);
}

TEST_F(ContainerStoreTest, FindsByFullIdPrefixAndName) {
  auto record = sample_record(padded_id("abc123"), "web");
  ASSERT_TRUE(store().insert(record));

  for (const std::string& key :
       {padded_id("abc123"), std::string("abc"), std::string("abc123"), std::string("web")}) {
    auto found = store().find(key);
    ASSERT_TRUE(found) << key << ": " << found.error().message();
    EXPECT_EQ(found->id, record.id);
    EXPECT_EQ(found->name, "web");
    EXPECT_EQ(found->config, record.config);
  }
}

TEST_F(ContainerStoreTest, MissingContainerHasPodmansMessage) {
  auto found = store().find("nope");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().message(),
            "no container with name or ID \"nope\" found: no such container");
  EXPECT_EQ(found.error().errno_value(), ENOENT);
  EXPECT_FALSE(store().find(""));
  EXPECT_FALSE(store().find("ABC"));  // upper case is not an id prefix
}

TEST_F(ContainerStoreTest, AmbiguousPrefixIsAnError) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("abc1"), "one")));
  ASSERT_TRUE(store().insert(sample_record(padded_id("abc2"), "two")));
  auto found = store().find("abc");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().message(), "abc: ambiguous id prefix");
  auto one = store().find("abc1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->name, "one");
}

TEST_F(ContainerStoreTest, NameBeatsIdPrefix) {
  // A container named like a prefix of another's id is found by its name (Docker's order).
  ASSERT_TRUE(store().insert(sample_record(padded_id("beef"), "first")));
  ASSERT_TRUE(store().insert(sample_record(padded_id("cafe"), "beef")));
  auto found = store().find("beef");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, padded_id("cafe"));
}

TEST_F(ContainerStoreTest, NameConflictNamesTheHolder) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "web")));
  auto second = store().insert(sample_record(padded_id("bb"), "web"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(),
            "the container name \"web\" is already in use by " + padded_id("aa") +
                ". You have to remove (or rename) that container to be able to reuse that name.");
  EXPECT_EQ(second.error().errno_value(), EEXIST);
  EXPECT_FALSE(store().find(padded_id("bb")));
}

TEST_F(ContainerStoreTest, DuplicateIdIsRefused) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  auto again = store().insert(sample_record(padded_id("aa"), "two"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("already in use"), std::string::npos);
  EXPECT_TRUE(store().name_in_use("one").value());
  EXPECT_FALSE(store().name_in_use("two").value());
}

TEST_F(ContainerStoreTest, EveryColumnRoundTrips) {
  auto record = sample_record(padded_id("ff"), "full", 123456789012345LL);
  record.status = ContainerStatus::kRunning;
  record.pid = 4242;
  record.monitor_pid = 4241;
  record.monitor_start_ticks = 0xfedcba9876543210ULL;  // above INT64_MAX
  record.exit_code = 137;
  record.started_ns = 5;
  record.finished_ns = 6;
  record.restart_count = 3;
  record.oom_killed = true;
  record.error = "monitor lost";
  record.boot_id = "0f0f0f0f-1111-2222-3333-444444444444";
  record.stopped_by_user = true;
  record.config.labels = {{"a", "b"}};
  ASSERT_TRUE(store().insert(record));
  auto found = store().find("full");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->created_ns, record.created_ns);
  EXPECT_EQ(found->status, ContainerStatus::kRunning);
  EXPECT_EQ(found->pid, 4242);
  EXPECT_EQ(found->monitor_pid, 4241);
  EXPECT_EQ(found->monitor_start_ticks, 0xfedcba9876543210ULL);
  EXPECT_EQ(found->exit_code, 137);
  EXPECT_EQ(found->started_ns, 5);
  EXPECT_EQ(found->finished_ns, 6);
  EXPECT_EQ(found->restart_count, 3);
  EXPECT_TRUE(found->oom_killed);
  EXPECT_EQ(found->error, "monitor lost");
  EXPECT_EQ(found->boot_id, record.boot_id);
  EXPECT_TRUE(found->stopped_by_user);
  EXPECT_EQ(found->config, record.config);
}

TEST_F(ContainerStoreTest, UpdateReplacesAndNeedsAnExistingRow) {
  auto record = sample_record(padded_id("aa"), "one");
  ASSERT_TRUE(store().insert(record));
  record.status = ContainerStatus::kExited;
  record.exit_code = 3;
  ASSERT_TRUE(store().update(record));
  EXPECT_EQ(store().find("one")->exit_code, 3);
  auto missing = store().update(sample_record(padded_id("bb"), "two"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST_F(ContainerStoreTest, ModifyWritesTheChange) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  auto written = store().modify(padded_id("aa"), [](ContainerRecord& r) -> Result<void> {
    r.status = ContainerStatus::kRunning;
    r.pid = 99;
    return {};
  });
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->pid, 99);
  EXPECT_EQ(store().find("one")->status, ContainerStatus::kRunning);
}

TEST_F(ContainerStoreTest, ModifyRollsBackOnError) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  auto written = store().modify(padded_id("aa"), [](ContainerRecord& r) -> Result<void> {
    r.status = ContainerStatus::kRunning;
    return fail("container is paused");
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message(), "container is paused");
  EXPECT_EQ(store().find("one")->status, ContainerStatus::kCreated);
  // The store is usable afterwards (no transaction left open).
  EXPECT_TRUE(store().insert(sample_record(padded_id("bb"), "two")));
}

TEST_F(ContainerStoreTest, ModifyRefusesIdChangeAndNameConflict) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  ASSERT_TRUE(store().insert(sample_record(padded_id("bb"), "two")));
  EXPECT_FALSE(store().modify(padded_id("aa"), [](ContainerRecord& r) -> Result<void> {
    r.id = padded_id("cc");
    return {};
  }));
  EXPECT_FALSE(store().modify(padded_id("aa"), [](ContainerRecord& r) -> Result<void> {
    r.name = "two";
    return {};
  }));
  EXPECT_EQ(store().find(padded_id("aa"))->name, "one");
  EXPECT_FALSE(
      store().modify(padded_id("dd"), [](ContainerRecord&) -> Result<void> { return {}; }));
}

// Statements are prepared once per connection and reused; a lookup made while the same
// statement is still being read (inside modify's read, or in a loop over many calls) gets its
// own and sees the same data.
TEST_F(ContainerStoreTest, ReusedStatementsNestAndRepeat) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  ASSERT_TRUE(store().insert(sample_record(padded_id("bb"), "two")));
  auto written = store().modify(padded_id("aa"), [&](ContainerRecord& r) -> Result<void> {
    auto other = KRILL_TRY(store().find(padded_id("bb")));
    r.pid = other.name == "two" ? 7 : -1;
    return {};
  });
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->pid, 7);
  for (int i = 0; i < 200; ++i) {
    auto found = store().find(i % 2 ? "one" : "two");
    ASSERT_TRUE(found) << found.error().message();
    ASSERT_EQ(found->name, i % 2 ? "one" : "two");
  }
  EXPECT_FALSE(store().find("three"));
  EXPECT_TRUE(store().insert(sample_record(padded_id("cc"), "three")));
  EXPECT_EQ(store().list()->size(), 3u);
  // A failed statement leaves its cached copy usable.
  EXPECT_FALSE(store().insert(sample_record(padded_id("dd"), "three")));
  EXPECT_TRUE(store().insert(sample_record(padded_id("dd"), "four")));
}

TEST_F(ContainerStoreTest, TransactionRollsBackEverything) {
  auto done = store().transaction([&]() -> Result<void> {
    KRILL_CHECK(store().insert(sample_record(padded_id("aa"), "one")));
    KRILL_CHECK(store().insert(sample_record(padded_id("bb"), "two")));
    return fail("changed my mind");
  });
  ASSERT_FALSE(done);
  EXPECT_TRUE(store().list()->empty());
  ASSERT_TRUE(store().transaction([&]() -> Result<void> {
    KRILL_CHECK(store().insert(sample_record(padded_id("aa"), "one")));
    return store().rename(padded_id("aa"), "uno");
  }));
  EXPECT_EQ(store().find("uno")->id, padded_id("aa"));
}

TEST_F(ContainerStoreTest, RemoveDeletesTheRow) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  ASSERT_TRUE(store().remove(padded_id("aa")));
  EXPECT_FALSE(store().find("one"));
  EXPECT_FALSE(store().name_in_use("one").value());
  auto again = store().remove(padded_id("aa"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), ENOENT);
}

TEST_F(ContainerStoreTest, Rename) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  ASSERT_TRUE(store().insert(sample_record(padded_id("bb"), "two")));
  ASSERT_TRUE(store().rename(padded_id("aa"), "uno"));
  EXPECT_EQ(store().find("uno")->id, padded_id("aa"));
  EXPECT_FALSE(store().find("one"));
  auto taken = store().rename(padded_id("aa"), "two");
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message().find("is already in use by " + padded_id("bb")),
            std::string::npos);
  EXPECT_TRUE(store().rename(padded_id("aa"), "uno"));  // its own name
  EXPECT_FALSE(store().rename(padded_id("cc"), "three"));
}

TEST_F(ContainerStoreTest, ListIsOldestFirst) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "newest", 300)));
  ASSERT_TRUE(store().insert(sample_record(padded_id("bb"), "oldest", 100)));
  ASSERT_TRUE(store().insert(sample_record(padded_id("cc"), "middle-1", 200)));
  ASSERT_TRUE(store().insert(sample_record(padded_id("dd"), "middle-2", 200)));
  auto all = store().list();
  ASSERT_TRUE(all);
  std::vector<std::string> names;
  for (const auto& r : *all) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"oldest", "middle-1", "middle-2", "newest"}));
}

TEST_F(ContainerStoreTest, ReopenKeepsData) {
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));
  store_.reset();
  auto reopened = ContainerStore::open(dir_.path());
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(reopened->find("one"));
}

TEST_F(ContainerStoreTest, RefusesNewerSchema) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/engine/engine.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto opened = ContainerStore::open(dir_.path());
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message().find("schema version 99"), std::string::npos);
}

TEST_F(ContainerStoreTest, UsesWalAndSchemaVersion) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/engine/engine.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(ContainerStoreTest, NamesWithQuotesAreData) {
  // Bound parameters: SQL in a name is just a name.
  std::string evil = "x'); DROP TABLE containers; --";
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), evil)));
  EXPECT_EQ(store().find(evil)->id, padded_id("aa"));
  EXPECT_EQ(store().list()->size(), 1u);
}

TEST_F(ContainerStoreTest, DatabaseFdsAreCloseOnExec) {
  // The engine forks monitors and runtimes: the database must not leak into them.
  ASSERT_TRUE(store().insert(sample_record(padded_id("aa"), "one")));  // WAL files open too
  int checked = 0;
  for (int fd = 0; fd < 1024; ++fd) {
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (std::string(target).find(dir_.path() + "/engine/engine.db") != 0) continue;
    ++checked;
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << target;
  }
  EXPECT_GE(checked, 1);
}

// 8 processes, each inserting and modifying 50 records, and all incrementing one shared counter:
// every write lands, none is lost.
TEST(ContainerStoreConcurrency, ManyProcessesWriteWithoutLoss) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  constexpr int kProcesses = 8;
  constexpr int kRecords = 50;
  {
    auto store = ContainerStore::open(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->insert(sample_record(padded_id("c0c0"), "counter")));
  }  // closed before forking: a connection must not cross fork()
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      {
        auto store = ContainerStore::open(dir.path());
        if (!store) {
          std::cerr << "child " << p << ": " << store.error().message() << "\n";
          _exit(2);
        }
        for (int i = 0; i < kRecords && status == 0; ++i) {
          std::string id = new_container_id();
          auto inserted =
              store->insert(sample_record(id, "c" + std::to_string(p) + "-" + std::to_string(i)));
          auto modified = inserted ? store->modify(id,
                                                   [](ContainerRecord& r) -> Result<void> {
                                                     r.restart_count += 1;
                                                     r.status = ContainerStatus::kExited;
                                                     return {};
                                                   })
                                   : Result<ContainerRecord>(std::unexpected(inserted.error()));
          auto counted = modified ? store->modify(padded_id("c0c0"),
                                                  [](ContainerRecord& r) -> Result<void> {
                                                    r.restart_count += 1;
                                                    return {};
                                                  })
                                  : modified;
          if (!counted) {
            std::cerr << "child " << p << ": " << counted.error().message() << "\n";
            status = 1;
          }
        }
      }
      _exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  auto store = ContainerStore::open(dir.path());
  ASSERT_TRUE(store);
  auto all = store->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u + kProcesses * kRecords);
  std::set<std::string> names;
  for (const auto& r : *all) {
    names.insert(r.name);
    if (r.name != "counter") {
      EXPECT_EQ(r.restart_count, 1) << r.name;
      EXPECT_EQ(r.status, ContainerStatus::kExited) << r.name;
    }
  }
  EXPECT_EQ(names.size(), all->size());
  EXPECT_EQ(store->find("counter")->restart_count, kProcesses * kRecords);
}

TEST(ContainerRecordStatus, NamesRoundTrip) {
  for (auto status :
       {ContainerStatus::kCreated, ContainerStatus::kRunning, ContainerStatus::kPaused,
        ContainerStatus::kStopping, ContainerStatus::kExited, ContainerStatus::kRemoving}) {
    auto parsed = parse_status(status_name(status));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, status);
  }
  EXPECT_STREQ(status_name(ContainerStatus::kExited), "exited");
  EXPECT_FALSE(parse_status("dead"));
  EXPECT_FALSE(parse_status(""));
}

}  // namespace
}  // namespace krill::engine
