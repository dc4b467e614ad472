#include "runtime/intel_rdt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "base/file_io.h"
#include "base/unique_fd.h"

namespace krill::runtime {
namespace {

constexpr const char* kField = "linux.intelRdt";

// mountinfo escapes blanks and backslashes as \ooo.
std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string trim(std::string text) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && blank(text[start])) ++start;
  return text.substr(start);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (auto trimmed = trim(line); !trimmed.empty()) lines.push_back(std::move(trimmed));
  return lines;
}

// "L3:0=7f0;1=1f" -> {"L3", {"0": "7f0", "1": "1f"}}; values normalised (lower case, no
// leading zeros) so that the kernel's spelling of the same mask compares equal.
struct SchemaLine {
  std::string resource;
  std::map<std::string, std::string> domains;
};

std::string normalise(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t zeros = 0;
  while (zeros + 1 < value.size() && value[zeros] == '0') ++zeros;
  return value.substr(zeros);
}

Result<SchemaLine> parse_schema_line(const std::string& line) {
  const size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    return fail("schema line \"" + line + "\" has no RESOURCE: prefix");
  SchemaLine parsed;
  parsed.resource = trim(line.substr(0, colon));
  std::istringstream domains(line.substr(colon + 1));
  std::string entry;
  while (std::getline(domains, entry, ';')) {
    entry = trim(entry);
    if (entry.empty()) continue;
    const size_t equals = entry.find('=');
    if (equals == std::string::npos)
      return fail("schema line \"" + line + "\": domain \"" + entry + "\" has no '='");
    parsed.domains[trim(entry.substr(0, equals))] = normalise(trim(entry.substr(equals + 1)));
  }
  return parsed;
}

// The existing group's schemata must already say what `wanted` says for every domain it names.
Result<void> check_schema_matches(const std::string& group, const std::string& wanted,
                                  const std::string& field) {
  const std::string current = KRILL_TRY(read_file(group + "/schemata"));
  for (const auto& wanted_line : lines_of(wanted)) {
    auto want = parse_schema_line(wanted_line);
    if (!want) return std::unexpected(std::move(want.error()).context(field));
    std::map<std::string, std::string> have;  // the group's domains of this resource
    for (const auto& line : lines_of(current))
      if (auto parsed = parse_schema_line(line); parsed && parsed->resource == want->resource)
        have = parsed->domains;
    for (const auto& [domain, value] : want->domains) {
      auto found = have.find(domain);
      if (found == have.end() || found->second != value)
        return fail(field + ": \"" + wanted_line +
                    "\" does not match the schemata of the existing group " + group + " (" +
                    trim(current) + ")");
    }
  }
  return {};
}

// The kernel's explanation of the last failed write (info/last_cmd_status), when it has one.
std::string last_command_status(const std::string& root) {
  auto status = read_file(root + "/info/last_cmd_status");
  if (!status) return "";
  std::string text = trim(*status);
  return text.empty() || text == "ok" ? "" : " (" + text + ")";
}

// One write(2) per line: the kernel parses each write as schemata lines / one pid.
Result<void> write_line(const std::string& path, const std::string& line, const std::string& root) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return fail_errno("open " + path);
  const std::string text = line + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    return std::unexpected(Error(
        "write \"" + line + "\" to " + path + ": " + std::strerror(err) + last_command_status(root),
        err));
  }
  return {};
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<void> check_group_name(const std::string& name, const std::string& field) {
  if (name == "/") return {};
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\n') != std::string::npos)
    return fail(field + ": invalid resctrl group name \"" + name + "\"");
  return {};
}

// Removes what a failed apply made, unless dismissed.
struct Undo {
  RdtPlacement* placement;
  bool dismissed = false;
  ~Undo() {
    if (!dismissed) (void)remove_intel_rdt(*placement);
  }
};

}  // namespace

Result<std::string> find_resctrl_root(const std::string& mountinfo_path) {
  auto text = read_file(mountinfo_path);
  if (!text) return std::unexpected(std::move(text.error()).context(kField));
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream after(line.substr(separator + 3));
    std::string fstype;
    after >> fstype;
    if (fstype != "resctrl") continue;
    std::istringstream before(line.substr(0, separator));
    std::string field, mount_point;
    for (int i = 0; i < 5 && before >> field; ++i)
      if (i == 4) mount_point = unescape(field);
    if (!mount_point.empty()) return mount_point;
  }
  return fail(std::string(kField) + ": intelRdt requested but resctrl is not mounted");
}

Result<RdtPlacement> apply_intel_rdt(const std::string& root, const oci::IntelRdt& rdt,
                                     const std::string& id, pid_t pid) {
  const std::string field = kField;
  if (!rdt.mem_bw_schema.empty() && !rdt.mem_bw_schema.starts_with("MB:"))
    return fail(field + ".memBwSchema: must start with \"MB:\"");
  for (const auto* value : {&rdt.l3_cache_schema, &rdt.mem_bw_schema})
    if (value->find('\n') != std::string::npos)
      return fail(field + (value == &rdt.l3_cache_schema ? ".l3CacheSchema" : ".memBwSchema") +
                  ": must not contain a newline");
  if (!rdt.clos_id.empty()) KRILL_CHECK(check_group_name(rdt.clos_id, field + ".closID"));
  if (!is_directory(root)) return fail(field + ": resctrl root " + root + " is not a directory");

  std::vector<std::string> lines;  // the order the spec wants: L3, MB, then schemata
  if (!rdt.l3_cache_schema.empty()) lines.push_back(rdt.l3_cache_schema);
  if (!rdt.mem_bw_schema.empty()) lines.push_back(rdt.mem_bw_schema);
  for (const auto& line : rdt.schemata) lines.push_back(line);
  const bool has_schema = !lines.empty();

  RdtPlacement placement;
  Undo undo{&placement};
  if (rdt.clos_id == "/") {
    placement.group = root;
  } else {
    const std::string name = rdt.clos_id.empty() ? id : rdt.clos_id;
    placement.group = root + "/" + name;
    const bool exists = is_directory(placement.group);
    if (!exists && !rdt.clos_id.empty() && !has_schema)
      return fail(field + ".closID: no resctrl group \"" + rdt.clos_id + "\" in " + root +
                  " (without a schema it must exist)");
    if (!exists) {
      if (::mkdir(placement.group.c_str(), 0755) != 0)
        return fail_errno(field + ": create resctrl group " + placement.group);
      // Only a group named after the container is ours to remove; a closID one stays.
      placement.created_group = rdt.clos_id.empty();
    } else if (!rdt.clos_id.empty()) {
      if (!rdt.l3_cache_schema.empty())
        KRILL_CHECK(
            check_schema_matches(placement.group, rdt.l3_cache_schema, field + ".l3CacheSchema"));
      if (!rdt.mem_bw_schema.empty())
        KRILL_CHECK(
            check_schema_matches(placement.group, rdt.mem_bw_schema, field + ".memBwSchema"));
    }
  }
  for (const auto& line : lines)
    if (auto written = write_line(placement.group + "/schemata", line, root); !written)
      return std::unexpected(std::move(written.error()).context(field));
  if (auto added = write_line(placement.group + "/tasks", std::to_string(pid), root); !added)
    return std::unexpected(std::move(added.error()).context(field + ": add the container"));

  if (rdt.enable_monitoring) {
    const std::string parent = placement.group + "/mon_groups";
    if (!is_directory(parent))
      return fail(field + ".enableMonitoring: " + parent +
                  " is missing (the kernel has no resctrl monitoring here)");
    const std::string monitor = parent + "/" + id;
    if (::mkdir(monitor.c_str(), 0755) != 0)
      return fail_errno(field + ".enableMonitoring: create MON group " + monitor);
    placement.monitor_group = monitor;
    if (auto added = write_line(monitor + "/tasks", std::to_string(pid), root); !added)
      return std::unexpected(std::move(added.error()).context(field + ".enableMonitoring"));
  }
  undo.dismissed = true;
  return placement;
}

Result<void> remove_intel_rdt(const RdtPlacement& placement) {
  std::vector<std::string> dirs;
  if (!placement.monitor_group.empty()) dirs.push_back(placement.monitor_group);
  if (placement.created_group && !placement.group.empty()) dirs.push_back(placement.group);
  for (const auto& dir : dirs) {
    // A real resctrl group's files are the kernel's; a plain directory (tests) holds the
    // files we wrote, which go first.
    for (const char* file : {"tasks", "schemata"}) (void)::unlink((dir + "/" + file).c_str());
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
      return fail_errno(std::string(kField) + ": remove resctrl group " + dir);
  }
  return {};
}

}  // namespace krill::runtime
