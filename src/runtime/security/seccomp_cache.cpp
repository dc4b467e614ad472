// compile_seccomp_cached: compiled filters kept in the runtime's state directory.
//
// An entry is <cache_dir>/<64-bit hash of the key, hex>.bpf holding the key, a NUL byte, the
// flags (8 hex digits), a NUL byte and the program. The key is the seccomp section as krill
// writes it, the libseccomp version and API level (a newer libseccomp may compile differently,
// and the API level follows the kernel); the state directory is on tmpfs under /run and empty
// after a reboot. A hash collision or a damaged entry is a miss: the entry is compiled again
// and replaced. The directory is the runtime's (0700, like the rest of its state).
#include <seccomp.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string_view>

#include "base/file_io.h"
#include "oci/spec_json.h"
#include "runtime/security/seccomp.h"

namespace krill::security {
namespace {

constexpr std::string_view kFormat = "krill-seccomp-cache 1\n";

std::string cache_key(const oci::Seccomp& config) {
  oci::Spec holder;
  holder.linux_config.emplace();
  holder.linux_config->seccomp = config;
  const scmp_version* version = seccomp_version();
  std::string key(kFormat);
  key += "libseccomp " + std::to_string(version->major) + "." + std::to_string(version->minor) +
         "." + std::to_string(version->micro) + " api " + std::to_string(seccomp_api_get()) + "\n";
  key += oci::spec_to_json(holder, -1);
  return key;
}

std::string entry_path(const std::string& cache_dir, const std::string& key) {
  char name[32];
  std::snprintf(name, sizeof name, "%016zx.bpf", std::hash<std::string>{}(key));
  return cache_dir + "/" + name;
}

std::optional<CompiledSeccomp> read_entry(const std::string& path, const std::string& key,
                                          bool uses_notify) {
  auto text = read_file(path);
  if (!text || text->size() < key.size() + 10 || text->compare(0, key.size(), key) != 0 ||
      (*text)[key.size()] != '\0' || (*text)[key.size() + 9] != '\0')
    return std::nullopt;
  const std::string flags_hex = text->substr(key.size() + 1, 8);
  char* end = nullptr;
  const unsigned long flags = std::strtoul(flags_hex.c_str(), &end, 16);
  if (end != flags_hex.c_str() + 8) return std::nullopt;
  CompiledSeccomp compiled;
  compiled.flags = static_cast<unsigned int>(flags);
  compiled.uses_notify = uses_notify;
  compiled.program.assign(text->begin() + static_cast<long>(key.size()) + 10, text->end());
  if (compiled.program.empty() || compiled.program.size() % 8 != 0) return std::nullopt;
  return compiled;
}

void write_entry(const std::string& cache_dir, const std::string& path, const std::string& key,
                 const CompiledSeccomp& compiled) {
  if (!mkdir_all(cache_dir, 0700)) return;
  char flags_hex[16];
  std::snprintf(flags_hex, sizeof flags_hex, "%08x", compiled.flags);
  std::string entry = key;
  entry += '\0';
  entry += flags_hex;
  entry += '\0';
  entry.append(compiled.program.begin(), compiled.program.end());
  (void)write_file_atomic(path, entry, 0600, Durability::kVolatile);
}

}  // namespace

Result<CompiledSeccomp> compile_seccomp_cached(const oci::Seccomp& config,
                                               const std::string& cache_dir) {
  if (cache_dir.empty()) return compile_seccomp(config);
  const std::string key = cache_key(config);
  const std::string path = entry_path(cache_dir, key);
  if (auto cached = read_entry(path, key, seccomp_uses_notify(config))) return std::move(*cached);
  CompiledSeccomp compiled = KRILL_TRY(compile_seccomp(config));
  write_entry(cache_dir, path, key, compiled);
  return compiled;
}

}  // namespace krill::security
