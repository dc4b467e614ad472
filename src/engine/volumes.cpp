// Volumes of the "local" driver: directories under the store, rows in the engine database.
#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>
#include <utility>

#include "base/clock.h"
#include "base/file_io.h"
#include "base/unique_fd.h"

namespace krill::engine {

namespace {

std::unexpected<Error> fail_with(std::string message, int err) {
  return std::unexpected<Error>(Error(std::move(message), err));
}

std::unexpected<Error> no_such_volume(const std::string& name) {
  return fail_with("no volume with name \"" + name + "\" found: no such volume", ENOENT);
}

bool is_name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

Result<uint32_t> parse_id(const std::string& key, const std::string& text) {
  if (text.empty() || text.size() > 10)
    return fail_with("invalid " + key + " \"" + text + "\"", EINVAL);
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return fail_with("invalid " + key + " \"" + text + "\"", EINVAL);
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 0xfffffffeULL) return fail_with("invalid " + key + " \"" + text + "\"", EINVAL);
  return static_cast<uint32_t>(value);
}

Result<void> check_options(const std::map<std::string, std::string>& options) {
  static const std::set<std::string> kKnown = {"type", "device", "o",    "size",   "inodes",
                                               "uid",  "gid",    "copy", "nocopy", "noquota"};
  for (const auto& [key, value] : options) {
    if (!kKnown.contains(key))
      return fail_with("invalid mount option " + key + " for driver 'local': invalid argument",
                       EINVAL);
    if (key == "uid" || key == "gid") KRILL_CHECK(parse_id(key, value));
  }
  return {};
}

// A random suffix for temporary names next to a volume.
std::string random_suffix() { return new_container_id().substr(0, 16); }

bool directory_is_empty(const std::string& path, bool& empty) {
  DIR* dir = opendir(path.c_str());
  if (!dir) return false;
  empty = true;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  closedir(dir);
  return true;
}

// Apparent size of the regular files below dirfd (hard links counted once).
void add_tree_size(int dirfd, std::set<std::pair<dev_t, ino_t>>& seen, uint64_t& total) {
  int fd = dup(dirfd);
  if (fd < 0) return;
  DIR* dir = fdopendir(fd);
  if (!dir) {
    close(fd);
    return;
  }
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(dirfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
      total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      UniqueFd child(openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child) add_tree_size(child.get(), seen, total);
    }
  }
  closedir(dir);
}

uint64_t tree_size(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t total = 0;
  add_tree_size(fd.get(), seen, total);
  return total;
}

// ---- copy-up ----

struct CopyState {
  int destination_root;
  std::string source_root;                               // for messages
  std::map<std::pair<dev_t, ino_t>, std::string> links;  // hard links: first copy's path
  bool may_chown_fail;  // rootless: ids outside our range cannot be given away
  const SourceIdMaps* source_maps = nullptr;  // the source is seen through these maps
};

// The id to write for `id` as the source shows it: back through the source's map, if any.
unsigned long unmapped_id(const std::vector<IdMapRange>* map, unsigned long id) {
  return map ? inside_id(*map, id).value_or(id) : id;
}

Result<void> apply_owner(const CopyState& state, int dirfd, const char* name, const struct stat& st,
                         const std::string& path) {
  const auto uid = static_cast<uid_t>(
      unmapped_id(state.source_maps ? &state.source_maps->uids : nullptr, st.st_uid));
  const auto gid = static_cast<gid_t>(
      unmapped_id(state.source_maps ? &state.source_maps->gids : nullptr, st.st_gid));
  if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 &&
      !(state.may_chown_fail && (errno == EPERM || errno == EINVAL)))
    return fail_errno("chown " + path);
  return {};
}

Result<void> apply_times(int dirfd, const char* name, const struct stat& st,
                         const std::string& path) {
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno("set times of " + path);
  return {};
}

Result<void> copy_file_data(int from, int to, const std::string& path) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(from, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) return {};
    ssize_t written = 0;
    while (written < n) {
      ssize_t w = write(to, buffer + written, static_cast<size_t>(n - written));
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail_errno("write copy of " + path);
      }
      written += w;
    }
  }
}

Result<void> copy_children(CopyState& state, int from_dir, int to_dir, const std::string& rel);

Result<void> copy_entry(CopyState& state, int from_dir, int to_dir, const char* name,
                        const std::string& rel) {
  std::string path = state.source_root + "/" + rel;
  struct stat st;
  if (fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("stat " + path);
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(to_dir, name, 0700) != 0) return fail_errno("mkdir copy of " + path);
    UniqueFd from(openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!from) return fail_errno("open " + path);
    UniqueFd to(openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!to) return fail_errno("open copy of " + path);
    KRILL_CHECK(copy_children(state, from.get(), to.get(), rel));
    KRILL_CHECK(apply_owner(state, to_dir, name, st, path));
    if (fchmod(to.get(), st.st_mode & 07777) != 0) return fail_errno("chmod copy of " + path);
    return apply_times(to_dir, name, st, path);
  }
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    auto [it, fresh] = state.links.try_emplace({st.st_dev, st.st_ino}, rel);
    if (!fresh) {
      if (linkat(state.destination_root, it->second.c_str(), to_dir, name, 0) != 0)
        return fail_errno("link copy of " + path);
      return {};
    }
  }
  if (S_ISREG(st.st_mode)) {
    UniqueFd from(openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!from) return fail_errno("open " + path);
    UniqueFd to(openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!to) return fail_errno("create copy of " + path);
    KRILL_CHECK(copy_file_data(from.get(), to.get(), path));
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
    ssize_t n = readlinkat(from_dir, name, target.data(), target.size());
    if (n < 0) return fail_errno("readlink " + path);
    target.resize(static_cast<size_t>(n));
    if (symlinkat(target.c_str(), to_dir, name) != 0) return fail_errno("symlink copy of " + path);
    KRILL_CHECK(apply_owner(state, to_dir, name, st, path));
    return apply_times(to_dir, name, st, path);
  } else {  // devices, fifos, sockets
    if (mknodat(to_dir, name, st.st_mode, st.st_rdev) != 0)
      return fail_errno("mknod copy of " + path);
  }
  KRILL_CHECK(apply_owner(state, to_dir, name, st, path));
  // After chown, which clears set-id bits.
  if (fchmodat(to_dir, name, st.st_mode & 07777, 0) != 0)
    return fail_errno("chmod copy of " + path);
  return apply_times(to_dir, name, st, path);
}

Result<void> copy_children(CopyState& state, int from_dir, int to_dir, const std::string& rel) {
  int fd = dup(from_dir);
  if (fd < 0) return fail_errno("dup");
  DIR* dir = fdopendir(fd);
  if (!dir) {
    close(fd);
    return fail_errno("read directory " + state.source_root + "/" + rel);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int read_errno = errno;
  closedir(dir);
  if (read_errno != 0)
    return fail_errno("read directory " + state.source_root + "/" + rel, read_errno);
  for (const auto& name : names) {
    std::string child_rel = rel.empty() ? name : rel + "/" + name;
    KRILL_CHECK(copy_entry(state, from_dir, to_dir, name.c_str(), child_rel));
  }
  return {};
}

// ---- filters ----

struct ParsedFilters {
  std::map<std::string, std::vector<std::string>> by_key;
};

Result<ParsedFilters> parse_filters(const std::vector<std::string>& filters,
                                    const std::set<std::string>& allowed) {
  ParsedFilters parsed;
  for (const auto& filter : filters) {
    auto eq = filter.find('=');
    std::string key = filter.substr(0, eq);
    if (!allowed.contains(key) || eq == std::string::npos)
      return fail_with("\"" + key + "\" is an invalid volume filter", EINVAL);
    parsed.by_key[key].push_back(filter.substr(eq + 1));
  }
  return parsed;
}

// "K" or "K=V" against a map.
bool map_matches(const std::map<std::string, std::string>& map, const std::string& want) {
  auto eq = want.find('=');
  auto it = map.find(want.substr(0, eq));
  if (it == map.end()) return false;
  return eq == std::string::npos || it->second == want.substr(eq + 1);
}

Result<int64_t> parse_until(const std::string& value) {
  // Unix seconds, or a Go-style duration back from now ("24h", "90m", "30s", "1h30m").
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos)
    return static_cast<int64_t>(std::stoll(value)) * 1000000000LL;
  int64_t total = 0;
  size_t i = 0;
  while (i < value.size()) {
    size_t start = i;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
    if (start == i || i == value.size())
      return fail_with("invalid until filter \"" + value + "\"", EINVAL);
    int64_t number = std::stoll(value.substr(start, i - start));
    char unit = value[i++];
    int64_t scale = unit == 'h' ? 3600 : unit == 'm' ? 60 : unit == 's' ? 1 : 0;
    if (scale == 0) return fail_with("invalid until filter \"" + value + "\"", EINVAL);
    total += number * scale;
  }
  if (value.empty()) return fail_with("invalid until filter \"\"", EINVAL);
  return now_ns() - total * 1000000000LL;
}

Result<bool> passes(const VolumeRecord& volume, const ParsedFilters& filters,
                    const std::vector<std::string>& users) {
  for (const auto& [key, values] : filters.by_key) {
    if (key == "label") {  // every label filter must match (Docker)
      for (const auto& v : values)
        if (!map_matches(volume.labels, v)) return false;
      continue;
    }
    if (key == "label!") {
      for (const auto& v : values)
        if (map_matches(volume.labels, v)) return false;
      continue;
    }
    bool any = false;
    for (const auto& v : values) {
      if (key == "name") {
        try {
          any = std::regex_search(volume.name, std::regex(v));
        } catch (const std::regex_error&) {
          return fail_with("invalid name filter \"" + v + "\": not a regular expression", EINVAL);
        }
      } else if (key == "driver") {
        any = volume.driver == v;
      } else if (key == "scope") {
        any = v == "local";
      } else if (key == "opt") {
        any = map_matches(volume.options, v);
      } else if (key == "dangling") {
        bool want_dangling;
        if (v == "true" || v == "1")
          want_dangling = true;
        else if (v == "false" || v == "0")
          want_dangling = false;
        else
          return fail_with("invalid dangling filter \"" + v + "\": true or false", EINVAL);
        any = users.empty() == want_dangling;
      } else if (key == "until") {
        any = volume.created_ns < KRILL_TRY(parse_until(v));
      }
      if (any) break;
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

bool is_valid_volume_name(std::string_view name) {
  if (name.size() < 2) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!is_name_char(name[i], i == 0)) return false;
  return true;
}

VolumeManager::VolumeManager(ContainerStore& store, std::string store_root)
    : store_(store), store_root_(std::move(store_root)) {}

Result<VolumeRecord> VolumeManager::create(const VolumeCreateRequest& request) {
  VolumeRecord volume;
  volume.anonymous = request.name.empty();
  volume.name = volume.anonymous ? new_container_id() : request.name;
  std::string what = "create volume " + volume.name;
  if (!is_valid_volume_name(volume.name))
    return fail_with(what + ": volume name \"" + volume.name +
                         "\" is invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two "
                         "characters at least); to mount a host directory give an absolute path",
                     EINVAL);
  volume.driver = request.driver.empty() ? "local" : request.driver;
  if (volume.driver != "local")
    return fail_with(what + ": no volume plugin with name " + volume.driver +
                         " available (krill has the \"local\" driver only)",
                     EINVAL);
  auto checked = check_options(request.options);
  if (!checked) return std::unexpected(std::move(checked.error()).context(what));
  volume.labels = request.labels;
  volume.options = request.options;
  volume.needs_copy_up = !request.options.contains("nocopy");
  volume.created_ns = now_ns();
  std::string dir = volume_dir(volume.name);
  volume.mountpoint = dir + "/_data";

  bool made_dir = false;
  auto done = store_.transaction([&]() -> Result<void> {
    if (KRILL_TRY(store_.find_volume(volume.name)))
      return fail_with("volume with name " + volume.name + " already exists: volume already exists",
                       EEXIST);
    KRILL_CHECK(mkdir_all(volumes_dir(), 0700));
    // No row but a directory: left by a crash; the row is what makes a volume.
    KRILL_CHECK(remove_all(dir));
    if (mkdir(dir.c_str(), 0700) != 0) return fail_errno("mkdir " + dir);
    made_dir = true;
    if (mkdir(volume.mountpoint.c_str(), 0755) != 0)
      return fail_errno("mkdir " + volume.mountpoint);
    if (chmod(volume.mountpoint.c_str(), 0755) != 0)
      return fail_errno("chmod " + volume.mountpoint);
    if (volume.options.contains("uid") || volume.options.contains("gid")) {
      uid_t uid = volume.options.contains("uid")
                      ? KRILL_TRY(parse_id("uid", volume.options.at("uid")))
                      : static_cast<uid_t>(-1);
      gid_t gid = volume.options.contains("gid")
                      ? KRILL_TRY(parse_id("gid", volume.options.at("gid")))
                      : static_cast<gid_t>(-1);
      if (chown(volume.mountpoint.c_str(), uid, gid) != 0)
        return fail_errno("chown " + volume.mountpoint);
    }
    return store_.insert_volume(volume);
  });
  if (!done) {
    if (made_dir) (void)remove_all(dir);
    if (done.error().errno_value() == EEXIST) return std::unexpected(std::move(done.error()));
    return std::unexpected(std::move(done.error()).context(what));
  }
  return volume;
}

Result<VolumeRecord> VolumeManager::inspect(const std::string& name) const {
  auto found = KRILL_TRY(store_.find_volume(name));
  if (!found) return no_such_volume(name);
  return std::move(*found);
}

Result<std::vector<VolumeRecord>> VolumeManager::list(
    const std::vector<std::string>& filters) const {
  auto parsed = KRILL_TRY(parse_filters(
      filters, {"name", "label", "label!", "driver", "scope", "opt", "dangling", "until"}));
  bool need_users = parsed.by_key.contains("dangling");
  std::vector<VolumeRecord> shown;
  for (auto& volume : KRILL_TRY(store_.list_volumes())) {
    std::vector<std::string> users;
    if (need_users) users = KRILL_TRY(store_.volume_users(volume.name));
    if (KRILL_TRY(passes(volume, parsed, users))) shown.push_back(std::move(volume));
  }
  return shown;
}

Result<void> VolumeManager::remove(const std::string& name, bool force) {
  std::string dir = volume_dir(name);
  std::string trash;
  auto done = store_.transaction([&]() -> Result<void> {
    if (!KRILL_TRY(store_.find_volume(name))) return no_such_volume(name);
    if (!force) {
      auto users = KRILL_TRY(store_.volume_users(name));
      if (!users.empty()) {
        std::string list;
        for (const auto& id : users) list += (list.empty() ? "" : ", ") + id;
        return fail_with("volume " + name + " is being used by the following container(s): " +
                             list + ": volume is being used",
                         EBUSY);
      }
    }
    // Out of the way first, so that the row and the directory go together; the files are
    // deleted after the commit.
    std::string candidate = volumes_dir() + "/.removing-" + name + "-" + random_suffix();
    if (::rename(dir.c_str(), candidate.c_str()) == 0) {
      trash = candidate;
    } else if (errno != ENOENT) {
      return fail_errno("rename " + dir + " to " + candidate);
    }
    return store_.remove_volume(name);
  });
  if (!done) {
    if (!trash.empty()) (void)::rename(trash.c_str(), dir.c_str());
    return std::unexpected(std::move(done.error()));
  }
  if (!trash.empty()) KRILL_CHECK_CTX(remove_all(trash), "remove volume " + name);
  return {};
}

Result<VolumePruneReport> VolumeManager::prune(const std::vector<std::string>& filters) {
  auto parsed = KRILL_TRY(parse_filters(filters, {"label", "label!", "until"}));
  remove_leftovers();
  VolumePruneReport report;
  for (const auto& volume : KRILL_TRY(store_.list_volumes())) {
    auto users = KRILL_TRY(store_.volume_users(volume.name));
    if (!users.empty() || !KRILL_TRY(passes(volume, parsed, users))) continue;
    uint64_t size = tree_size(volume.mountpoint);
    auto removed = remove(volume.name, /*force=*/false);
    if (!removed) {
      int err = removed.error().errno_value();
      if (err == EBUSY || err == ENOENT) continue;  // taken or removed meanwhile
      return std::unexpected(std::move(removed.error()));
    }
    report.removed.push_back(volume.name);
    report.reclaimed_bytes += size;
  }
  return report;
}

void VolumeManager::remove_leftovers() {
  // ".removing-*": a remove that crashed after its commit (a crashed copy-up's ".copyup-*"
  // goes with its volume). Best effort: another process may be finishing one right now.
  std::string dir = volumes_dir();
  DIR* entries = opendir(dir.c_str());
  if (!entries) return;
  std::vector<std::string> stale;
  while (dirent* entry = readdir(entries)) {
    std::string_view name = entry->d_name;
    if (name.starts_with(".removing-")) stale.push_back(dir + "/" + std::string(name));
  }
  closedir(entries);
  for (const auto& path : stale) (void)remove_all(path);
}

Result<bool> VolumeManager::populate_from(const std::string& name, const std::string& source_dir,
                                          const SourceIdMaps* source_maps) {
  std::string what = "copy " + source_dir + " into volume " + name;
  auto volume = KRILL_TRY(inspect(name));
  if (!volume.needs_copy_up) return false;
  auto mark_done = [&]() -> Result<void> {
    return store_.transaction([&]() -> Result<void> {
      auto current = KRILL_TRY(store_.find_volume(name));
      if (!current) return no_such_volume(name);
      current->needs_copy_up = false;
      return store_.update_volume(*current);
    });
  };
  struct stat source_st {};
  if (lstat(source_dir.c_str(), &source_st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR)
      return std::unexpected(Error::from_errno("stat " + source_dir).context(what));
    KRILL_CHECK(mark_done());  // nothing in the image there
    return false;
  }
  if (!S_ISDIR(source_st.st_mode)) {
    KRILL_CHECK(mark_done());
    return false;
  }
  bool empty = false;
  if (!directory_is_empty(volume.mountpoint, empty)) return fail_errno("read " + volume.mountpoint);
  if (!empty) {
    KRILL_CHECK(mark_done());
    return false;
  }

  // Copied beside _data, then renamed over it (the empty directory) in one step.
  std::string staging = volume_dir(name) + "/.copyup-" + random_suffix();
  struct StagingGuard {
    std::string path;
    ~StagingGuard() {
      if (!path.empty()) (void)remove_all(path);
    }
  } guard{staging};
  if (mkdir(staging.c_str(), 0700) != 0)
    return std::unexpected(Error::from_errno("mkdir " + staging).context(what));
  UniqueFd from(open(source_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from) return std::unexpected(Error::from_errno("open " + source_dir).context(what));
  UniqueFd to(open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!to) return std::unexpected(Error::from_errno("open " + staging).context(what));
  CopyState state{to.get(), source_dir, {}, geteuid() != 0, source_maps};
  auto copied = copy_children(state, from.get(), to.get(), "");
  if (!copied) return std::unexpected(std::move(copied.error()).context(what));
  // The volume's root takes the owner and mode of the image's directory (Docker).
  const auto root_uid =
      static_cast<uid_t>(unmapped_id(source_maps ? &source_maps->uids : nullptr, source_st.st_uid));
  const auto root_gid =
      static_cast<gid_t>(unmapped_id(source_maps ? &source_maps->gids : nullptr, source_st.st_gid));
  if (fchown(to.get(), root_uid, root_gid) != 0 && !(state.may_chown_fail && errno == EPERM))
    return std::unexpected(Error::from_errno("chown " + staging).context(what));
  if (fchmod(to.get(), source_st.st_mode & 07777) != 0)
    return std::unexpected(Error::from_errno("chmod " + staging).context(what));

  bool replaced = false;
  auto done = store_.transaction([&]() -> Result<void> {
    auto current = KRILL_TRY(store_.find_volume(name));
    if (!current) return no_such_volume(name);
    if (!current->needs_copy_up) return {};  // another process was first
    if (::rename(staging.c_str(), volume.mountpoint.c_str()) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST) {  // written to meanwhile: keep what is there
        current->needs_copy_up = false;
        return store_.update_volume(*current);
      }
      return fail_errno("rename " + staging + " to " + volume.mountpoint);
    }
    replaced = true;
    current->needs_copy_up = false;
    return store_.update_volume(*current);
  });
  if (replaced) guard.path.clear();
  if (!done) return std::unexpected(std::move(done.error()).context(what));
  return replaced;
}

}  // namespace krill::engine
