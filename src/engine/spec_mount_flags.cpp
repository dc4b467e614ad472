// -v / --volume, --mount and --tmpfs values -> MountRequest, with Docker's syntax and checks.
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/quoted.h"
#include "engine/spec_builder.h"

namespace krill::engine {

namespace {

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

bool is_propagation(std::string_view option) {
  return option == "shared" || option == "rshared" || option == "slave" || option == "rslave" ||
         option == "private" || option == "rprivate";
}

// Docker's local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
bool is_volume_name(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.size() < 2 || !alnum(name[0])) return false;
  for (char c : name.substr(1))
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

// "./data", "../x", "." -> absolute, as the docker and podman CLIs resolve them.
std::string absolute_host_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return std::string(path);
  std::string base = cwd;
  std::string relative(path);
  if (relative == ".") return base;
  if (relative.starts_with("./")) relative.erase(0, 2);
  return base == "/" ? "/" + relative : base + "/" + relative;
}

bool parse_bool_value(std::string_view value, bool& out) {
  if (value.empty() || value == "true" || value == "1") {
    out = true;
    return true;
  }
  if (value == "false" || value == "0") {
    out = false;
    return true;
  }
  return false;
}

// Octal permission bits, "1777".
bool is_octal_mode(std::string_view text) {
  if (text.empty() || text.size() > 4) return false;
  for (char c : text)
    if (c < '0' || c > '7') return false;
  return true;
}

}  // namespace

Result<MountRequest> parse_volume_flag(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<MountRequest> {
    return fail("-v " + std::string(text) + ": " + std::string(why));
  };
  std::vector<std::string_view> parts = split(text, ':');
  if (parts.size() > 3) return invalid("invalid volume specification (SRC:DST[:OPTIONS])");
  MountRequest mount;
  std::string_view source, destination, options;
  if (parts.size() == 1) {
    destination = parts[0];
  } else if (parts.size() == 2 && !parts[0].empty() && parts[0].front() == '/' &&
             !parts[1].empty() && parts[1].front() != '/') {
    // "/dst:ro": an anonymous volume with options (as podman reads it).
    destination = parts[0];
    options = parts[1];
  } else {
    source = parts[0];
    destination = parts[1];
    if (parts.size() == 3) options = parts[2];
  }
  if (destination.empty() || destination.front() != '/')
    return invalid("the destination " + quote(destination) + " is not an absolute path");
  if (destination == "/") return invalid("the destination can't be '/'");
  if (parts.size() > 1 && source.empty()) return invalid("empty source");
  mount.destination = std::string(destination);
  if (source.empty()) {
    mount.type = "volume";
  } else if (source.front() == '/' || source.front() == '.') {
    mount.type = "bind";
    mount.source = absolute_host_path(source);
  } else {
    if (!is_volume_name(source))
      return invalid(quote(source) +
                     " includes invalid characters for a local volume name, only "
                     "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed; to bind a host directory, use "
                     "an absolute path");
    mount.type = "volume";
    mount.source = std::string(source);
  }
  if (parts.size() > 1 && options.empty() && parts.size() == 3) return invalid("empty options");
  bool mode_seen = false;
  for (std::string_view option : split(options, ',')) {
    if (options.empty()) break;
    if (option == "ro" || option == "rw") {
      if (mode_seen) return invalid("conflicting options ro and rw");
      mode_seen = true;
      mount.read_only = option == "ro";
    } else if (option == "z" || option == "Z") {
      if (!mount.relabel.empty()) return invalid("conflicting options z and Z");
      mount.relabel = std::string(option);
    } else if (option == "U") {
      mount.chown = true;
    } else if (is_propagation(option)) {
      if (!mount.propagation.empty()) return invalid("more than one propagation mode");
      if (mount.type != "bind")
        return invalid("propagation " + quote(option) + " applies to bind mounts only");
      mount.propagation = std::string(option);
    } else if (option == "nocopy") {
      if (mount.type != "volume") return invalid("nocopy applies to volumes only");
      mount.options.push_back("nocopy");
    } else if (option == "consistent" || option == "cached" || option == "delegated") {
      // Docker Desktop consistency hints: accepted and ignored on Linux, as Docker does.
    } else {
      return invalid("invalid option " + quote(option));
    }
  }
  return mount;
}

Result<MountRequest> parse_mount_flag(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<MountRequest> {
    return fail("--mount " + std::string(text) + ": " + std::string(why));
  };
  MountRequest mount;
  mount.type = "volume";  // Docker's default type
  bool have_type = false;
  std::vector<std::string> tmpfs_options;
  bool nonrecursive = false;
  std::vector<std::string> volume_options;
  for (std::string_view field : split(text, ',')) {
    if (field.empty()) continue;
    size_t eq = field.find('=');
    std::string key(field.substr(0, eq));
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : field.substr(eq + 1);
    bool has_value = eq != std::string_view::npos;
    for (char& c : key)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (key == "type") {
      if (value != "bind" && value != "volume" && value != "tmpfs")
        return invalid("unsupported mount type " + quote(value) + " (bind, volume, tmpfs)");
      mount.type = std::string(value);
      have_type = true;
    } else if (key == "source" || key == "src") {
      mount.source = std::string(value);
    } else if (key == "target" || key == "destination" || key == "dst") {
      mount.destination = std::string(value);
    } else if (key == "readonly" || key == "ro") {
      if (!parse_bool_value(value, mount.read_only))
        return invalid("invalid value for " + key + ": " + quote(value));
    } else if (key == "rw") {
      bool rw = true;
      if (!parse_bool_value(value, rw)) return invalid("invalid value for rw: " + quote(value));
      mount.read_only = !rw;
    } else if (key == "bind-propagation") {
      if (!is_propagation(value)) return invalid("invalid bind-propagation " + quote(value));
      mount.propagation = std::string(value);
    } else if (key == "bind-nonrecursive") {
      if (!parse_bool_value(value, nonrecursive))
        return invalid("invalid value for bind-nonrecursive: " + quote(value));
    } else if (key == "relabel") {
      if (value != "shared" && value != "private")
        return invalid("invalid relabel value " + quote(value) + " (shared, private)");
      mount.relabel = value == "shared" ? "z" : "Z";
    } else if (key == "z" || key == "Z") {
      mount.relabel = key;
    } else if (key == "u" || key == "chown") {
      if (!parse_bool_value(value, mount.chown))
        return invalid("invalid value for " + key + ": " + quote(value));
    } else if (key == "volume-nocopy") {
      bool nocopy = true;
      if (!parse_bool_value(value, nocopy))
        return invalid("invalid value for volume-nocopy: " + quote(value));
      if (nocopy) volume_options.push_back("nocopy");
    } else if (key == "volume-driver") {
      if (value != "local") return invalid("unsupported volume driver " + quote(value));
    } else if (key == "volume-label" || key == "volume-opt") {
      // Options for creating the volume: the local driver here takes none.
      return invalid(key + " is not supported by the local volume driver");
    } else if (key == "tmpfs-size") {
      auto size = parse_byte_size(value);
      if (!size) return invalid("tmpfs-size: " + size.error().message());
      tmpfs_options.push_back("size=" + std::to_string(*size));
    } else if (key == "tmpfs-mode") {
      if (!is_octal_mode(value)) return invalid("invalid tmpfs-mode " + quote(value));
      tmpfs_options.push_back("mode=" + std::string(value));
    } else if (key == "consistency") {
      // Accepted and ignored on Linux, as Docker does.
    } else {
      return invalid("unexpected key " + quote(key) + (has_value ? "" : " in field"));
    }
  }
  (void)have_type;
  if (mount.destination.empty()) return invalid("target is required");
  if (mount.destination.front() != '/')
    return invalid("the target " + quote(mount.destination) + " is not an absolute path");
  if (mount.destination == "/") return invalid("the target can't be '/'");
  if (mount.type == "bind") {
    if (mount.source.empty()) return invalid("source is required when specifying a bind mount");
    mount.source = absolute_host_path(mount.source);
    if (nonrecursive) mount.options.push_back("bind-nonrecursive");
  } else if (!mount.propagation.empty() || nonrecursive) {
    return invalid("bind options given for a " + mount.type + " mount");
  }
  if (mount.type == "volume") {
    if (!mount.source.empty() && !is_volume_name(mount.source))
      return invalid(quote(mount.source) + " is not a valid volume name");
    mount.options.insert(mount.options.end(), volume_options.begin(), volume_options.end());
  } else if (!volume_options.empty()) {
    return invalid("volume options given for a " + mount.type + " mount");
  }
  if (mount.type == "tmpfs") {
    if (!mount.source.empty()) return invalid("a tmpfs mount takes no source");
    mount.options.insert(mount.options.end(), tmpfs_options.begin(), tmpfs_options.end());
  } else if (!tmpfs_options.empty()) {
    return invalid("tmpfs options given for a " + mount.type + " mount");
  }
  return mount;
}

Result<MountRequest> parse_tmpfs_flag(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<MountRequest> {
    return fail("--tmpfs " + std::string(text) + ": " + std::string(why));
  };
  size_t colon = text.find(':');
  MountRequest mount;
  mount.type = "tmpfs";
  mount.destination = std::string(text.substr(0, colon));
  if (mount.destination.empty() || mount.destination.front() != '/')
    return invalid("the destination " + quote(mount.destination) + " is not an absolute path");
  if (mount.destination == "/") return invalid("the destination can't be '/'");
  if (colon == std::string_view::npos) return mount;
  for (std::string_view option : split(text.substr(colon + 1), ',')) {
    if (option.empty()) continue;
    if (option == "ro" || option == "rw") {
      mount.read_only = option == "ro";
      continue;
    }
    if (option.starts_with("size=")) {
      auto size = parse_byte_size(option.substr(5));
      if (!size) return invalid(size.error().message());
    } else if (option.starts_with("mode=")) {
      if (!is_octal_mode(option.substr(5))) return invalid("invalid mode " + quote(option));
    } else if (option.find('=') == std::string_view::npos) {
      static constexpr std::string_view kFlags[] = {
          "exec",        "noexec",        "suid",        "nosuid",     "dev",      "nodev",
          "atime",       "noatime",       "diratime",    "nodiratime", "relatime", "norelatime",
          "strictatime", "nostrictatime", "sync",        "async",      "dirsync",  "mand",
          "nomand",      "shared",        "rshared",     "slave",      "rslave",   "private",
          "rprivate",    "tmpcopyup",     "notmpcopyup", "z",          "Z",        "U",
      };
      bool known = false;
      for (auto flag : kFlags) known = known || flag == option;
      if (!known) return invalid("unknown option " + quote(option));
      if (option == "U") {
        mount.chown = true;
        continue;
      }
      if (option == "z" || option == "Z") {
        mount.relabel = std::string(option);
        continue;
      }
      if (option == "tmpcopyup" || option == "notmpcopyup") continue;  // podman's; no copy-up
    } else if (!option.starts_with("uid=") && !option.starts_with("gid=") &&
               !option.starts_with("nr_inodes=") && !option.starts_with("nr_blocks=")) {
      return invalid("unknown option " + quote(option));
    }
    mount.options.push_back(std::string(option));
  }
  return mount;
}

}  // namespace krill::engine
