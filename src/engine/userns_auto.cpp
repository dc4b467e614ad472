#include "engine/userns_auto.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace krill::engine {

bool is_auto_userns(std::string_view mode) { return mode == "auto" || mode.starts_with("auto:"); }

Result<unsigned long> auto_userns_size(std::string_view mode) {
  if (mode == "auto") return kAutoUsernsDefaultSize;
  if (!mode.starts_with("auto:")) return fail("--userns " + std::string(mode) + ": not auto");
  std::string_view options = mode.substr(5);
  unsigned long size = kAutoUsernsDefaultSize;
  while (!options.empty()) {
    size_t comma = options.find(',');
    std::string_view option = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    if (!option.starts_with("size="))
      return fail("--userns " + std::string(mode) + ": unknown option \"" + std::string(option) +
                  "\" (auto takes size=N)");
    std::string_view number = option.substr(5);
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), size);
    if (ec != std::errc() || end != number.data() + number.size() || size == 0 ||
        size > 0xffffffffUL)
      return fail("--userns " + std::string(mode) + ": size \"" + std::string(number) +
                  "\" is not a number of ids between 1 and 4294967295");
  }
  return size;
}

Result<std::vector<IdMapRange>> allocate_auto_ids(const std::vector<SubordinateIds>& available,
                                                  const std::vector<IdMapRange>& taken,
                                                  unsigned long size, const std::string& file) {
  if (available.empty())
    return fail(std::string("--userns=auto: no subordinate ids for \"") + kAutoUsernsOwner +
                "\" in " + file + ": add a range for it, e.g. \"" + kAutoUsernsOwner +
                ":2147483647:2147483648\" (podman's layout)");
  std::vector<IdMapRange> sorted = taken;
  std::sort(sorted.begin(), sorted.end(),
            [](const IdMapRange& a, const IdMapRange& b) { return a.outside < b.outside; });
  constexpr unsigned long kIdLimit = 1UL << 32;  // ids are 32 bits; 2^32-1 is "no id"
  for (const auto& range : available) {
    if (range.start >= kIdLimit - 1 || range.count >= kIdLimit) continue;
    unsigned long start = range.start;
    const unsigned long end = std::min(range.start + range.count, kIdLimit - 1);
    for (const auto& used : sorted) {
      if (start + size <= used.outside) break;  // fits before this one
      start = std::max(start, used.outside + used.count);
    }
    if (start + size <= end) return std::vector<IdMapRange>{{0, start, size}};
  }
  return fail("--userns=auto: no block of " + std::to_string(size) + " free ids left in the \"" +
              kAutoUsernsOwner + "\" ranges of " + file +
              ": remove containers, use a smaller size=, or give it more ids");
}

Result<void> open_paths_to_container_root(const std::vector<std::string>& shared_dirs,
                                          const std::vector<std::string>& own_dirs,
                                          const std::vector<std::string>& owned_files,
                                          const std::vector<IdMapRange>& uid_map,
                                          const std::vector<IdMapRange>& gid_map) {
  const auto uid = outside_id(uid_map, 0), gid = outside_id(gid_map, 0);
  if (!uid || !gid) return fail("--userns=auto: the id maps have no root");
  auto add_search = [](const std::string& dir, mode_t bits) -> Result<void> {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return fail_errno("--userns=auto: stat " + dir);
    const mode_t wanted = (st.st_mode | bits) & 07777;
    if ((st.st_mode & 07777) != wanted && ::chmod(dir.c_str(), wanted) != 0)
      return fail_errno("--userns=auto: let the container's root search " + dir);
    return {};
  };
  // The directories above the store are the user's: said, not changed.
  if (!shared_dirs.empty()) {
    for (std::string dir = shared_dirs.front(); dir.size() > 1;) {
      dir.resize(dir.rfind('/') == 0 ? 1 : dir.rfind('/'));
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0)
        return fail("--userns=auto: the container's root (host uid " + std::to_string(*uid) +
                    ") cannot reach the store through " + dir +
                    ": it is not searchable by others (chmod o+x " + dir +
                    ", or use a --root below searchable directories)");
    }
  }
  for (const auto& dir : shared_dirs) KRILL_CHECK(add_search(dir, S_IXOTH));
  for (const auto& dir : own_dirs) {
    if (::chown(dir.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(*gid)) != 0)
      return fail_errno("--userns=auto: give " + dir + " to the container root's group");
    KRILL_CHECK(add_search(dir, S_IXGRP));
  }
  for (const auto& file : owned_files) {
    if (::chown(file.c_str(), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid)) != 0 &&
        errno != ENOENT)
      return fail_errno("--userns=auto: give " + file + " to the container's root");
  }
  return {};
}

}  // namespace krill::engine
