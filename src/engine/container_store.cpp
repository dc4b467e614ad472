// The engine's database: SQLite in WAL mode, one IMMEDIATE transaction per change, prepared
// statements with bound parameters only.
#include "engine/container_store.h"

#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/file_io.h"

namespace krill::engine {

namespace {

// Bumped with every schema change; open() migrates older databases forward.
constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 10000;
constexpr int kWalCheckpointPages = 128;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS containers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  status TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  monitor_pid INTEGER NOT NULL DEFAULT 0,
  monitor_start_ticks INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  started_ns INTEGER NOT NULL DEFAULT 0,
  finished_ns INTEGER NOT NULL DEFAULT 0,
  restart_count INTEGER NOT NULL DEFAULT 0,
  oom_killed INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  boot_id TEXT NOT NULL DEFAULT '',
  stopped_by_user INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS volumes (
  name TEXT PRIMARY KEY,
  driver TEXT NOT NULL,
  mountpoint TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  labels TEXT NOT NULL,
  options TEXT NOT NULL,
  anonymous INTEGER NOT NULL DEFAULT 0,
  needs_copy_up INTEGER NOT NULL DEFAULT 1
);
PRAGMA user_version = 1;
)sql";

constexpr const char* kContainerColumns =
    "id, name, config, created_ns, status, pid, monitor_pid, monitor_start_ticks, exit_code, "
    "started_ns, finished_ns, restart_count, oom_killed, error, boot_id, stopped_by_user";

constexpr const char* kVolumeColumns =
    "name, driver, mountpoint, created_ns, labels, options, anonymous, needs_copy_up";

std::unexpected<Error> fail_with(std::string message, int err) {
  return std::unexpected<Error>(Error(std::move(message), err));
}

std::unexpected<Error> no_such_container(const std::string& name_or_id) {
  return fail_with("no container with name or ID \"" + name_or_id + "\" found: no such container",
                   ENOENT);
}

bool is_lower_hex(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string map_to_json(const std::map<std::string, std::string>& map) {
  return nlohmann::json(map).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::map<std::string, std::string> map_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::map<std::string, std::string> map;
  if (!j.is_object()) return map;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it->is_string()) map[it.key()] = it->get<std::string>();
  return map;
}

// The connection (ContainerStore::Db is one); the helpers below take it by this name.
struct SqliteDb {
  sqlite3* handle = nullptr;
  std::string path;
  int transaction_depth = 0;
  // Prepared statements by their SQL, reused while the connection lives: one `krill run` runs
  // the same few statements a dozen times, and preparing (parsing) them was a tenth of its
  // database time. `in_use` marks one handed out; a second user of the same SQL meanwhile
  // (a lookup inside an iteration) gets a statement of its own.
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, CachedStatement> statements;

  SqliteDb() = default;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb() {
    for (auto& [sql, cached] : statements) sqlite3_finalize(cached.stmt);
    if (handle) sqlite3_close_v2(handle);
  }

  std::unexpected<Error> error(std::string_view what) const {
    return fail(std::string(what) + ": " + path + ": " + sqlite3_errmsg(handle));
  }

  // Several statements without parameters in one string (the schema, pragmas).
  Result<void> exec(const char* sql, std::string_view what) {
    char* message = nullptr;
    int rc = sqlite3_exec(handle, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      return fail(std::string(what) + ": " + path + ": " + text);
    }
    return {};
  }

  // One statement without parameters and rows (BEGIN, COMMIT, ROLLBACK), prepared once.
  Result<void> run_cached(const char* sql, std::string_view what);
};

// One prepared statement; parameters are bound, never spliced into the SQL.
class Statement {
 public:
  // From the connection's cache when that statement is free, else newly prepared (and then
  // finalized by this object).
  static Result<Statement> prepare(SqliteDb& db, const char* sql) {
    auto [it, added] = db.statements.try_emplace(sql);
    SqliteDb::CachedStatement& cached = it->second;
    if (!cached.in_use) {
      if (!cached.stmt &&
          sqlite3_prepare_v3(db.handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &cached.stmt,
                             nullptr) != SQLITE_OK) {
        db.statements.erase(it);
        return db.error("prepare statement");
      }
      cached.in_use = true;
      return Statement(db, cached.stmt, &cached);
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nullptr) != SQLITE_OK)
      return db.error("prepare statement");
    return Statement(db, stmt, nullptr);
  }
  Statement(Statement&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        cached_(std::exchange(other.cached_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (!stmt_) return;
    if (!cached_) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    cached_->in_use = false;
  }

  Statement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }

  // True when a row is ready, false when done.
  Result<bool> step(std::string_view what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->error(what);
  }
  Result<void> run(std::string_view what) {
    while (KRILL_TRY(step(what))) {
    }
    return {};
  }

  std::string text(int column) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  Statement(SqliteDb& db, sqlite3_stmt* stmt, SqliteDb::CachedStatement* cached)
      : db_(&db), stmt_(stmt), cached_(cached) {}
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  SqliteDb::CachedStatement* cached_;  // null for a statement of its own
};

Result<void> SqliteDb::run_cached(const char* sql, std::string_view what) {
  auto statement = Statement::prepare(*this, sql);
  if (!statement) return fail(std::string(what) + ": " + statement.error().message());
  return statement->run(what);
}

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed. Inside ContainerStore::transaction
// it joins the outer transaction (commit is then the outer one's).
class WriteTransaction {
 public:
  static Result<WriteTransaction> begin(SqliteDb& db) {
    bool owner = db.transaction_depth == 0;
    if (owner) KRILL_CHECK(db.run_cached("BEGIN IMMEDIATE", "begin transaction"));
    ++db.transaction_depth;
    return WriteTransaction(db, owner);
  }
  WriteTransaction(WriteTransaction&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)), owner_(other.owner_) {}
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  ~WriteTransaction() {
    if (!db_) return;
    --db_->transaction_depth;
    if (owner_) (void)db_->run_cached("ROLLBACK", "roll back");
  }

  Result<void> commit() {
    SqliteDb* db = std::exchange(db_, nullptr);
    --db->transaction_depth;
    if (!owner_) return {};
    auto committed = db->run_cached("COMMIT", "commit");
    if (!committed) {
      (void)db->run_cached("ROLLBACK", "roll back");
      return committed;
    }
    return {};
  }

 private:
  WriteTransaction(SqliteDb& db, bool owner) : db_(&db), owner_(owner) {}
  SqliteDb* db_;
  bool owner_;
};

Result<ContainerRecord> record_from_row(const Statement& row) {
  ContainerRecord r;
  r.id = row.text(0);
  r.name = row.text(1);
  auto config = container_config_from_json(row.text(2));
  if (!config) return std::unexpected(std::move(config.error()).context("container " + r.id));
  r.config = std::move(*config);
  r.created_ns = row.integer(3);
  r.status = KRILL_TRY(parse_status(row.text(4)));
  r.pid = static_cast<pid_t>(row.integer(5));
  r.monitor_pid = static_cast<pid_t>(row.integer(6));
  r.monitor_start_ticks = static_cast<uint64_t>(row.integer(7));
  r.exit_code = static_cast<int>(row.integer(8));
  r.started_ns = row.integer(9);
  r.finished_ns = row.integer(10);
  r.restart_count = static_cast<int>(row.integer(11));
  r.oom_killed = row.integer(12) != 0;
  r.error = row.text(13);
  r.boot_id = row.text(14);
  r.stopped_by_user = row.integer(15) != 0;
  return r;
}

// Binds the record to ?1..?16 in kContainerColumns order.
void bind_record(Statement& s, const ContainerRecord& r) {
  s.bind(1, r.id)
      .bind(2, r.name)
      .bind(3, container_config_to_json(r.config))
      .bind(4, r.created_ns)
      .bind(5, std::string_view(status_name(r.status)))
      .bind(6, static_cast<int64_t>(r.pid))
      .bind(7, static_cast<int64_t>(r.monitor_pid))
      .bind(8, static_cast<int64_t>(r.monitor_start_ticks))
      .bind(9, static_cast<int64_t>(r.exit_code))
      .bind(10, r.started_ns)
      .bind(11, r.finished_ns)
      .bind(12, static_cast<int64_t>(r.restart_count))
      .bind(13, static_cast<int64_t>(r.oom_killed))
      .bind(14, r.error)
      .bind(15, r.boot_id)
      .bind(16, static_cast<int64_t>(r.stopped_by_user));
}

VolumeRecord volume_from_row(const Statement& row) {
  VolumeRecord v;
  v.name = row.text(0);
  v.driver = row.text(1);
  v.mountpoint = row.text(2);
  v.created_ns = row.integer(3);
  v.labels = map_from_json(row.text(4));
  v.options = map_from_json(row.text(5));
  v.anonymous = row.integer(6) != 0;
  v.needs_copy_up = row.integer(7) != 0;
  return v;
}

void bind_volume(Statement& s, const VolumeRecord& v) {
  s.bind(1, v.name)
      .bind(2, v.driver)
      .bind(3, v.mountpoint)
      .bind(4, v.created_ns)
      .bind(5, map_to_json(v.labels))
      .bind(6, map_to_json(v.options))
      .bind(7, static_cast<int64_t>(v.anonymous))
      .bind(8, static_cast<int64_t>(v.needs_copy_up));
}

// The id of the container named `name`, if any.
Result<std::optional<std::string>> id_for_name(SqliteDb& db, const std::string& name) {
  auto s = KRILL_TRY(Statement::prepare(db, "SELECT id FROM containers WHERE name = ?1"));
  s.bind(1, name);
  if (!KRILL_TRY(s.step("look up container name"))) return std::nullopt;
  return s.text(0);
}

Result<void> check_name_free(SqliteDb& db, const std::string& name, const std::string& own_id) {
  auto holder = KRILL_TRY(id_for_name(db, name));
  if (holder && *holder != own_id)
    return fail_with("the container name \"" + name + "\" is already in use by " + *holder +
                         ". You have to remove (or rename) that container to be able to reuse "
                         "that name.",
                     EEXIST);
  return {};
}

Result<std::optional<ContainerRecord>> select_one(SqliteDb& db, const char* where,
                                                  const std::string& key) {
  std::string sql = std::string("SELECT ") + kContainerColumns + " FROM containers WHERE " + where;
  auto s = KRILL_TRY(Statement::prepare(db, sql.c_str()));
  s.bind(1, key);
  if (!KRILL_TRY(s.step("read container"))) return std::nullopt;
  return KRILL_TRY(record_from_row(s));
}

Result<void> write_record(SqliteDb& db, const ContainerRecord& r) {
  KRILL_CHECK(check_name_free(db, r.name, r.id));
  auto s = KRILL_TRY(Statement::prepare(
      db,
      "UPDATE containers SET name = ?2, config = ?3, created_ns = ?4, status = ?5, pid = ?6, "
      "monitor_pid = ?7, monitor_start_ticks = ?8, exit_code = ?9, started_ns = ?10, "
      "finished_ns = ?11, restart_count = ?12, oom_killed = ?13, error = ?14, boot_id = ?15, "
      "stopped_by_user = ?16 WHERE id = ?1"));
  bind_record(s, r);
  KRILL_CHECK(s.run("update container " + r.id));
  if (sqlite3_changes(db.handle) == 0)
    return fail_with("update container " + r.id + ": no such container", ENOENT);
  return {};
}

// PRAGMA journal_mode=WAL takes a lock that the busy handler does not always wait for (a
// database being created by another process): retry for the busy timeout.
Result<void> enable_wal(SqliteDb& db) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    auto done = db.exec("PRAGMA journal_mode = WAL", "enable WAL");
    if (done) return {};
    int rc = sqlite3_errcode(db.handle);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline)
      return done;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<void> migrate(SqliteDb& db) {
  auto read_version = [&]() -> Result<int> {
    auto s = KRILL_TRY(Statement::prepare(db, "PRAGMA user_version"));
    KRILL_TRY(s.step("read schema version"));
    return static_cast<int>(s.integer(0));
  };
  int version = KRILL_TRY(read_version());
  if (version == kSchemaVersion) return {};
  if (version > kSchemaVersion)
    return fail("engine database " + db.path + " has schema version " + std::to_string(version) +
                ", newer than this krill understands (" + std::to_string(kSchemaVersion) + ")");
  auto tx = KRILL_TRY(WriteTransaction::begin(db));
  version = KRILL_TRY(read_version());  // another process may have migrated meanwhile
  if (version == 0) KRILL_CHECK(db.exec(kSchemaV1, "create schema"));
  // Future migrations: if (version < 2) { ALTER TABLE ...; PRAGMA user_version = 2; }
  return tx.commit();
}

}  // namespace

struct ContainerStore::Db : SqliteDb {};

ContainerStore::ContainerStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
ContainerStore::ContainerStore(ContainerStore&&) noexcept = default;
ContainerStore& ContainerStore::operator=(ContainerStore&&) noexcept = default;
ContainerStore::~ContainerStore() = default;

Result<ContainerStore> ContainerStore::open(const std::string& store_root) {
  std::string dir = store_root + "/engine";
  KRILL_CHECK_CTX(mkdir_all(dir, 0700), "open engine database");
  auto db = std::make_unique<Db>();
  db->path = dir + "/engine.db";
  int rc =
      sqlite3_open_v2(db->path.c_str(), &db->handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc);
    return fail("open engine database " + db->path + ": " + message);
  }
  sqlite3_busy_timeout(db->handle, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db->handle, 0);
  // Each krill command is the database's only connection most of the time. By default SQLite
  // deletes the WAL when the last connection closes, after checkpointing it into the database:
  // every command then made a new WAL (an fsync of the directory) and checkpointed on exit (two
  // fsyncs), a few milliseconds of every `krill run`. The WAL stays instead. But a command that
  // opens the database alone rebuilds the WAL index by reading every frame of the WAL (SQLite's
  // recovery): with the default checkpoint at 1000 pages that was up to 4 MiB and 1.4 ms per
  // command. A checkpoint every 128 pages bounds it at 0.5 MiB; a `run --rm` writes ~15 pages.
  int persist_wal = 1;
  (void)sqlite3_file_control(db->handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
  (void)sqlite3_db_config(db->handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  (void)sqlite3_wal_autocheckpoint(db->handle, kWalCheckpointPages);
  KRILL_CHECK(enable_wal(*db));
  KRILL_CHECK(db->exec("PRAGMA synchronous = NORMAL", "set synchronous"));
  KRILL_CHECK(db->exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
  KRILL_CHECK(migrate(*db));
  return ContainerStore(std::move(db));
}

Result<void> ContainerStore::transaction(const std::function<Result<void>()>& body) {
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  KRILL_CHECK(body());
  return tx.commit();
}

Result<void> ContainerStore::insert(const ContainerRecord& record) {
  if (record.id.empty()) return fail("insert container: empty id");
  if (record.name.empty()) return fail("insert container " + record.id + ": empty name");
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  KRILL_CHECK(check_name_free(*db_, record.name, record.id));
  if (KRILL_TRY(select_one(*db_, "id = ?1", record.id)))
    return fail_with("insert container: the id " + record.id + " is already in use", EEXIST);
  std::string sql = std::string("INSERT INTO containers (") + kContainerColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                    "?16)";
  auto s = KRILL_TRY(Statement::prepare(*db_, sql.c_str()));
  bind_record(s, record);
  KRILL_CHECK(s.run("insert container " + record.id));
  return tx.commit();
}

Result<void> ContainerStore::update(const ContainerRecord& record) {
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  KRILL_CHECK(write_record(*db_, record));
  return tx.commit();
}

Result<ContainerRecord> ContainerStore::modify(
    const std::string& id, const std::function<Result<void>(ContainerRecord&)>& change) {
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  auto found = KRILL_TRY(select_one(*db_, "id = ?1", id));
  if (!found) return no_such_container(id);
  ContainerRecord record = std::move(*found);
  KRILL_CHECK(change(record));
  if (record.id != id) return fail("modify container " + id + ": the id cannot change");
  KRILL_CHECK(write_record(*db_, record));
  KRILL_CHECK(tx.commit());
  return record;
}

Result<void> ContainerStore::remove(const std::string& id) {
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  auto s = KRILL_TRY(Statement::prepare(*db_, "DELETE FROM containers WHERE id = ?1"));
  s.bind(1, id);
  KRILL_CHECK(s.run("remove container " + id));
  if (sqlite3_changes(db_->handle) == 0) return no_such_container(id);
  return tx.commit();
}

Result<ContainerRecord> ContainerStore::find(const std::string& name_or_id) const {
  if (name_or_id.empty()) return no_such_container(name_or_id);
  // Docker's order: full id, then name, then a unique id prefix.
  if (auto r = KRILL_TRY(select_one(*db_, "id = ?1", name_or_id))) return std::move(*r);
  if (auto r = KRILL_TRY(select_one(*db_, "name = ?1", name_or_id))) return std::move(*r);
  if (!is_lower_hex(name_or_id)) return no_such_container(name_or_id);
  // Ids are lower-case hex, so every id starting with the prefix sorts in [prefix, prefix+"g").
  std::string sql = std::string("SELECT ") + kContainerColumns +
                    " FROM containers WHERE id >= ?1 AND id < ?2 LIMIT 2";
  auto s = KRILL_TRY(Statement::prepare(*db_, sql.c_str()));
  s.bind(1, name_or_id).bind(2, name_or_id + "g");
  if (!KRILL_TRY(s.step("find container"))) return no_such_container(name_or_id);
  auto record = KRILL_TRY(record_from_row(s));
  if (KRILL_TRY(s.step("find container")))
    return fail_with(name_or_id + ": ambiguous id prefix", EINVAL);
  return record;
}

Result<std::vector<ContainerRecord>> ContainerStore::list() const {
  std::string sql =
      std::string("SELECT ") + kContainerColumns + " FROM containers ORDER BY created_ns, seq";
  // Room for all of them first: a growing vector copies its records (their move may throw).
  auto count = KRILL_TRY(Statement::prepare(*db_, "SELECT COUNT(*) FROM containers"));
  std::vector<ContainerRecord> records;
  if (KRILL_TRY(count.step("count containers")))
    records.reserve(static_cast<size_t>(count.integer(0)));
  auto s = KRILL_TRY(Statement::prepare(*db_, sql.c_str()));
  while (KRILL_TRY(s.step("list containers"))) records.push_back(KRILL_TRY(record_from_row(s)));
  return records;
}

Result<bool> ContainerStore::name_in_use(const std::string& name) const {
  return KRILL_TRY(id_for_name(*db_, name)).has_value();
}

Result<void> ContainerStore::rename(const std::string& id, const std::string& new_name) {
  if (new_name.empty()) return fail("rename container " + id + ": empty name");
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  if (!KRILL_TRY(select_one(*db_, "id = ?1", id))) return no_such_container(id);
  KRILL_CHECK(check_name_free(*db_, new_name, id));
  auto s = KRILL_TRY(Statement::prepare(*db_, "UPDATE containers SET name = ?2 WHERE id = ?1"));
  s.bind(1, id).bind(2, new_name);
  KRILL_CHECK(s.run("rename container " + id));
  return tx.commit();
}

Result<void> ContainerStore::insert_volume(const VolumeRecord& volume) {
  if (volume.name.empty()) return fail("insert volume: empty name");
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  if (KRILL_TRY(find_volume(volume.name)))
    return fail_with("volume with name " + volume.name + " already exists: volume already exists",
                     EEXIST);
  std::string sql = std::string("INSERT INTO volumes (") + kVolumeColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  auto s = KRILL_TRY(Statement::prepare(*db_, sql.c_str()));
  bind_volume(s, volume);
  KRILL_CHECK(s.run("insert volume " + volume.name));
  return tx.commit();
}

Result<void> ContainerStore::update_volume(const VolumeRecord& volume) {
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  auto s = KRILL_TRY(Statement::prepare(
      *db_,
      "UPDATE volumes SET driver = ?2, mountpoint = ?3, created_ns = ?4, labels = ?5, "
      "options = ?6, anonymous = ?7, needs_copy_up = ?8 WHERE name = ?1"));
  bind_volume(s, volume);
  KRILL_CHECK(s.run("update volume " + volume.name));
  if (sqlite3_changes(db_->handle) == 0)
    return fail_with("no volume with name \"" + volume.name + "\" found: no such volume", ENOENT);
  return tx.commit();
}

Result<std::optional<VolumeRecord>> ContainerStore::find_volume(const std::string& name) const {
  std::string sql = std::string("SELECT ") + kVolumeColumns + " FROM volumes WHERE name = ?1";
  auto s = KRILL_TRY(Statement::prepare(*db_, sql.c_str()));
  s.bind(1, name);
  if (!KRILL_TRY(s.step("read volume " + name))) return std::nullopt;
  return volume_from_row(s);
}

Result<std::vector<VolumeRecord>> ContainerStore::list_volumes() const {
  std::string sql = std::string("SELECT ") + kVolumeColumns + " FROM volumes ORDER BY name";
  auto s = KRILL_TRY(Statement::prepare(*db_, sql.c_str()));
  std::vector<VolumeRecord> volumes;
  while (KRILL_TRY(s.step("list volumes"))) volumes.push_back(volume_from_row(s));
  return volumes;
}

Result<void> ContainerStore::remove_volume(const std::string& name) {
  auto tx = KRILL_TRY(WriteTransaction::begin(*db_));
  auto s = KRILL_TRY(Statement::prepare(*db_, "DELETE FROM volumes WHERE name = ?1"));
  s.bind(1, name);
  KRILL_CHECK(s.run("remove volume " + name));
  if (sqlite3_changes(db_->handle) == 0)
    return fail_with("no volume with name \"" + name + "\" found: no such volume", ENOENT);
  return tx.commit();
}

Result<std::vector<std::string>> ContainerStore::volume_users(const std::string& name) const {
  // instr() narrows the rows to parse; the mounts decide.
  auto s = KRILL_TRY(Statement::prepare(
      *db_, "SELECT id, config FROM containers WHERE instr(config, ?1) > 0 ORDER BY seq"));
  s.bind(1, name);
  std::vector<std::string> users;
  while (KRILL_TRY(s.step("find users of volume " + name))) {
    auto config = KRILL_TRY(container_config_from_json(s.text(1)));
    for (const auto& mount : config.mounts) {
      if (mount.type == "volume" && mount.source == name) {
        users.push_back(s.text(0));
        break;
      }
    }
  }
  return users;
}

}  // namespace krill::engine
