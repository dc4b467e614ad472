#include "runtime/cgroups/hierarchy.h"

#include <algorithm>
#include <set>

#include "runtime/cgroups/fs.h"

namespace krill::cgroups {

namespace {

// The v1 controllers the kernel knows; mount options that are not one of
// these (rw, relatime, clone_children, xattr, ...) are ignored.
const std::set<std::string>& known_v1_controllers() {
  static const std::set<std::string> names = {
      "cpu",   "cpuacct",    "cpuset",  "memory", "devices", "freezer", "net_cls", "net_prio",
      "blkio", "perf_event", "hugetlb", "pids",   "rdma",    "misc",    "debug"};
  return names;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
      if (is_octal(text[i + 1]) && is_octal(text[i + 2]) && is_octal(text[i + 3])) {
        out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                 (text[i + 3] - '0'));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

const char* to_string(Layout layout) {
  switch (layout) {
    case Layout::kV1:
      return "v1";
    case Layout::kV2:
      return "v2";
    case Layout::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

bool Hierarchy::has(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

Result<std::vector<Hierarchy>> parse_mountinfo(const std::string& mountinfo_text) {
  std::vector<Hierarchy> hierarchies;
  bool have_v2 = false;
  for (const auto& line : split(mountinfo_text, '\n')) {
    auto fields = split_whitespace(line);
    if (fields.size() < 7) continue;
    auto dash = std::find(fields.begin() + 6, fields.end(), "-");
    if (dash == fields.end() || fields.end() - dash < 3) continue;
    const std::string& fstype = *(dash + 1);
    const std::string& super_options = fields.end() - dash >= 4 ? *(dash + 3) : std::string();
    Hierarchy h;
    h.root = unescape_mountinfo(fields[3]);
    h.mountpoint = unescape_mountinfo(fields[4]);
    if (fstype == "cgroup2") {
      if (have_v2) continue;  // bind mounts of the same unified hierarchy
      have_v2 = true;
      h.v2 = true;
      hierarchies.push_back(std::move(h));
      continue;
    }
    if (fstype != "cgroup") continue;
    for (const auto& option : split(super_options, ',')) {
      if (known_v1_controllers().contains(option) || option.starts_with("name="))
        h.controllers.push_back(option);
    }
    if (h.controllers.empty()) continue;
    // /proc/self/cgroup lists a hierarchy's controllers in the kernel's order,
    // which is also the mount option order.
    for (const auto& c : h.controllers) {
      if (!h.controller_or_name.empty()) h.controller_or_name += ',';
      h.controller_or_name += c;
    }
    bool duplicate = std::any_of(hierarchies.begin(), hierarchies.end(), [&](const Hierarchy& o) {
      return !o.v2 && o.controller_or_name == h.controller_or_name;
    });
    if (!duplicate) hierarchies.push_back(std::move(h));
  }
  return hierarchies;
}

Result<std::vector<Hierarchy>> discover_hierarchies(const std::string& mountinfo_path) {
  std::string text = KRILL_TRY(read_file("", mountinfo_path));
  auto hierarchies = KRILL_TRY(parse_mountinfo(text));
  for (auto& h : hierarchies) {
    if (!h.v2) continue;
    if (auto controllers = read_file(h.mountpoint, "cgroup.controllers"))
      h.controllers = split_whitespace(*controllers);
  }
  return hierarchies;
}

Result<Layout> layout_of(const std::vector<Hierarchy>& hierarchies) {
  bool v1 = false, v2 = false;
  for (const auto& h : hierarchies) (h.v2 ? v2 : v1) = true;
  if (v1 && v2) return Layout::kHybrid;
  if (v2) return Layout::kV2;
  if (v1) return Layout::kV1;
  return fail("no cgroup hierarchy is mounted");
}

std::vector<ProcCgroup> parse_proc_cgroup(const std::string& text) {
  std::vector<ProcCgroup> entries;
  for (const auto& line : split(text, '\n')) {
    size_t first = line.find(':');
    if (first == std::string::npos) continue;
    size_t second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    entries.push_back({line.substr(first + 1, second - first - 1), line.substr(second + 1)});
  }
  return entries;
}

}  // namespace krill::cgroups
