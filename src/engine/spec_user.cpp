// USER resolution through the image's /etc/passwd and /etc/group, the way runc's
// GetExecUserPath does it for Docker, and scoped path lookup inside a root file system.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "base/user_namespace.h"
#include "engine/spec_builder.h"
#include "engine/spec_internal.h"

namespace krill::engine {

Result<std::optional<SharedUserNamespace>> current_shared_user_namespace() {
  if (in_initial_user_namespace()) return std::nullopt;
  SharedUserNamespace shared;
  shared.uids = KRILL_TRY(parse_id_map(KRILL_TRY(read_file("/proc/self/uid_map"))));
  shared.gids = KRILL_TRY(parse_id_map(KRILL_TRY(read_file("/proc/self/gid_map"))));
  auto setgroups = read_file("/proc/self/setgroups");
  shared.setgroups_allowed = setgroups && setgroups->starts_with("allow");
  return shared;
}

namespace spec_detail {

namespace {

std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::string path_in_rootfs(const std::string& rootfs, const std::string& path) {
  std::vector<std::string> resolved;  // components below rootfs, all free of symlinks
  std::vector<std::string> pending = path_components(path);
  std::reverse(pending.begin(), pending.end());
  int links = 0;
  auto joined = [&] {
    std::string out = rootfs;
    for (const auto& part : resolved) out += "/" + part;
    return out;
  };
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(part);
    std::string candidate = joined();
    char target[4096];
    ssize_t length = ::readlink(candidate.c_str(), target, sizeof target - 1);
    if (length < 0) continue;  // not a link (or missing): keep it as it is
    if (++links > 255) break;  // a loop: give up resolving, the read will fail or find nothing
    resolved.pop_back();
    std::string_view link(target, static_cast<size_t>(length));
    if (!link.empty() && link.front() == '/') resolved.clear();
    std::vector<std::string> more = path_components(link);
    for (auto it = more.rbegin(); it != more.rend(); ++it) pending.push_back(*it);
  }
  return joined();
}

Result<std::string> read_small_regular_file(const std::string& path) {
  constexpr off_t kMaxSize = 16 << 20;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return std::string();
    return fail_errno("open " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("stat " + path);
  if (!S_ISREG(st.st_mode)) return std::string();
  if (st.st_size > kMaxSize) return fail("read " + path + ": larger than 16 MiB");
  std::string data;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (static_cast<off_t>(data.size()) > kMaxSize)
      return fail("read " + path + ": larger than 16 MiB");
  }
  return data;
}

}  // namespace spec_detail

namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

bool parse_id(std::string_view text, uint32_t& id) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > std::numeric_limits<uint32_t>::max()) return false;
  id = static_cast<uint32_t>(value);
  return true;
}

// Lines that do not parse (comments, NIS "+" entries, junk) are skipped, as libc does.
std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> entries;
  for (std::string_view line : split(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> fields = split(line, ':');
    if (fields.size() < 4) continue;
    PasswdEntry entry;
    entry.name = std::string(fields[0]);
    if (!parse_id(fields[2], entry.uid) || !parse_id(fields[3], entry.gid)) continue;
    if (fields.size() > 5) entry.home = std::string(fields[5]);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> entries;
  for (std::string_view line : split(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> fields = split(line, ':');
    if (fields.size() < 3) continue;
    GroupEntry entry;
    entry.name = std::string(fields[0]);
    if (!parse_id(fields[2], entry.gid)) continue;
    if (fields.size() > 3)
      for (std::string_view member : split(fields[3], ','))
        if (!member.empty()) entry.members.emplace_back(member);
    entries.push_back(std::move(entry));
  }
  return entries;
}

void add_unique(std::vector<uint32_t>& ids, uint32_t id) {
  for (uint32_t existing : ids)
    if (existing == id) return;
  ids.push_back(id);
}

}  // namespace

Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user,
                                  const std::vector<std::string>& group_add) {
  std::string passwd_text = KRILL_TRY(
      spec_detail::read_small_regular_file(spec_detail::path_in_rootfs(rootfs, "/etc/passwd")));
  std::string group_text = KRILL_TRY(
      spec_detail::read_small_regular_file(spec_detail::path_in_rootfs(rootfs, "/etc/group")));
  std::vector<PasswdEntry> users = parse_passwd(passwd_text);
  std::vector<GroupEntry> groups = parse_group(group_text);

  std::string_view spec = user;
  size_t colon = spec.find(':');
  std::string_view user_part = spec.substr(0, colon);
  std::string_view group_part =
      colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (colon != std::string_view::npos && group_part.empty())
    return fail("invalid user " + std::string("\"") + user + "\": empty group");

  ResolvedUser resolved;  // runc's defaults: uid 0, gid 0, home "/"
  std::string matched_name;
  uint32_t numeric = 0;
  bool user_is_numeric = parse_id(user_part, numeric);
  const PasswdEntry* entry = nullptr;
  if (user_part.empty()) {
    // No user: root, with root's passwd entry when there is one.
    for (const auto& candidate : users)
      if (candidate.uid == 0) {
        entry = &candidate;
        break;
      }
  } else {
    for (const auto& candidate : users) {
      if (candidate.name == user_part || (user_is_numeric && candidate.uid == numeric)) {
        entry = &candidate;
        break;
      }
    }
    if (!entry && !user_is_numeric)
      return fail("unable to find user " + std::string(user_part) +
                  ": no matching entries in passwd file");
  }
  if (entry) {
    resolved.uid = entry->uid;
    resolved.gid = entry->gid;
    if (!entry->home.empty()) resolved.home = entry->home;
    matched_name = entry->name;
  } else {
    resolved.uid = numeric;  // a numeric uid needs no entry; its group stays 0
  }

  std::vector<uint32_t> supplementary;
  if (!group_part.empty()) {
    uint32_t gid = 0;
    bool group_is_numeric = parse_id(group_part, gid);
    const GroupEntry* group = nullptr;
    for (const auto& candidate : groups)
      if (candidate.name == group_part || (group_is_numeric && candidate.gid == gid)) {
        group = &candidate;
        break;
      }
    if (!group && !group_is_numeric)
      return fail("unable to find group " + std::string(group_part) +
                  ": no matching entries in group file");
    resolved.gid = group ? group->gid : gid;
  } else if (!matched_name.empty()) {
    for (const auto& group : groups)
      for (const auto& member : group.members)
        if (member == matched_name) add_unique(supplementary, group.gid);
  }

  // --group-add: names must be in the image's group file, numbers need not.
  for (const auto& name : group_add) {
    uint32_t gid = 0;
    bool is_numeric = parse_id(name, gid);
    const GroupEntry* group = nullptr;
    for (const auto& candidate : groups)
      if (candidate.name == name) {
        group = &candidate;
        break;
      }
    if (!group && !is_numeric)
      return fail("unable to find group " + name + ": no matching entries in group file");
    add_unique(supplementary, group ? group->gid : gid);
  }

  // The primary group first, as Docker and containerd set it since CVE-2023-25173: a process
  // must not keep supplementary groups it was not given.
  add_unique(resolved.additional_gids, resolved.gid);
  for (uint32_t gid : supplementary) add_unique(resolved.additional_gids, gid);
  return resolved;
}

}  // namespace krill::engine
