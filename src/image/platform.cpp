#include "image/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

#include "image/manifest.h"

namespace krill::image {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_known_os(std::string_view os) {
  static constexpr std::string_view kOses[] = {
      "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios",     "js",
      "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "wasip1",  "windows", "zos"};
  return std::find(std::begin(kOses), std::end(kOses), os) != std::end(kOses);
}

bool is_known_arch(std::string_view arch) {
  static constexpr std::string_view kArches[] = {
      "386",     "amd64",  "amd64p32", "arm",      "armbe",   "arm64", "arm64be", "loong64",
      "mips",    "mipsle", "mips64",   "mips64le", "ppc",     "ppc64", "ppc64le", "riscv",
      "riscv64", "s390",   "s390x",    "sparc",    "sparc64", "wasm"};
  return std::find(std::begin(kArches), std::end(kArches), arch) != std::end(kArches);
}

// Maps architecture aliases; returns the variant the alias implies (or "").
std::string normalize_arch(std::string& arch, std::string variant) {
  arch = lower(arch);
  variant = lower(variant);
  if (arch == "i386" || arch == "i686" || arch == "x86")
    arch = "386";
  else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant.empty() || variant == "8" || variant == "v8" || variant == "v8.0")
      variant = "v8";
    else if (!variant.starts_with("v"))
      variant = "v" + variant;
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7")
      variant = "v7";
    else if (variant == "5" || variant == "6" || variant == "8")
      variant = "v" + variant;
  } else if (arch == "aarch64_be") {
    arch = "arm64be";
  } else if (arch == "loongarch64") {
    arch = "loong64";
  }
  return variant;
}

// "v8.2" -> {8, 2}; "v7" -> {7, 0}; anything else -> {-1, -1}.
std::pair<int, int> variant_number(std::string_view v) {
  if (!v.starts_with("v")) return {-1, -1};
  v.remove_prefix(1);
  int major = 0, minor = 0;
  size_t i = 0;
  if (i >= v.size() || !std::isdigit(static_cast<unsigned char>(v[i]))) return {-1, -1};
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
    major = major * 10 + (v[i++] - '0');
  if (i < v.size()) {
    if (v[i] != '.') return {-1, -1};
    ++i;
    if (i >= v.size()) return {-1, -1};
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
      minor = minor * 10 + (v[i++] - '0');
    if (i != v.size()) return {-1, -1};
  }
  return {major, minor};
}

// containerd's platformVector: the platforms `p` runs, best first. Each entry is
// (architecture, variant) with the os of `p`.
std::vector<std::pair<std::string, std::string>> compatible(const Platform& p) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back(p.architecture, p.variant);
  auto [major, minor] = variant_number(p.variant);
  if (p.architecture == "amd64") {
    if (major > 1)
      for (int v = major - 1; v >= 1; --v)
        out.emplace_back("amd64", v == 1 ? "" : "v" + std::to_string(v));
    out.emplace_back("386", "");
  } else if (p.architecture == "arm") {
    if (major >= 5)
      for (int v = major - 1; v >= 5; --v) out.emplace_back("arm", "v" + std::to_string(v));
  } else if (p.architecture == "arm64") {
    if (major == 8 || major == 9) {
      // arm64 v9.x runs v8.(x+5) and below; v8.x runs v8.(x-1) ... v8 (containerd).
      int top = major == 9 ? minor + 5 : minor - 1;
      for (int m = std::min(top, 9); m >= 0; --m)
        out.emplace_back("arm64", m == 0 ? "v8" : "v8." + std::to_string(m));
      for (int v = 8; v >= 5; --v) out.emplace_back("arm", "v" + std::to_string(v));
    }
  }
  // Keep the first occurrence of each entry.
  std::vector<std::pair<std::string, std::string>> unique;
  for (auto& e : out)
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  return unique;
}

// Rank of `candidate` for `host`: index into compatible(host), or -1.
int rank(const Platform& host, const Platform& candidate) {
  Platform h = normalize_platform(host);
  Platform c = normalize_platform(candidate);
  if (h.os != c.os) return -1;
  auto vec = compatible(h);
  for (size_t i = 0; i < vec.size(); ++i)
    if (vec[i].first == c.architecture && vec[i].second == c.variant) return static_cast<int>(i);
  return -1;
}

}  // namespace

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Platform normalize_platform(Platform p) {
  p.os = lower(p.os);
  if (p.os == "macos") p.os = "darwin";
  p.variant = normalize_arch(p.architecture, p.variant);
  return p;
}

Platform platform_for_machine(std::string_view machine) {
  Platform p;
  p.os = "linux";
  std::string m = lower(machine);
  if (m.starts_with("armv") && m.size() >= 5 && std::isdigit(static_cast<unsigned char>(m[4]))) {
    p.architecture = "arm";
    p.variant = std::string("v") + m[4];  // armv7l -> v7, armv6l -> v6, armv5tel -> v5
    if (p.variant == "v8") p.variant = "v8";
  } else if (m == "ppc64le" || m == "s390x" || m == "riscv64" || m == "mips64" || m == "ppc64" ||
             m == "mips") {
    p.architecture = m;
  } else if (m == "mips64el") {
    p.architecture = "mips64le";
  } else if (m == "mipsel") {
    p.architecture = "mipsle";
  } else {
    p.architecture = m;
  }
  return normalize_platform(p);
}

Platform host_platform() {
  struct utsname u {};
  if (uname(&u) != 0) return platform_for_machine("x86_64");
  return platform_for_machine(u.machine);
}

Result<Platform> parse_platform(std::string_view text) {
  std::string t = lower(text);
  if (t.empty()) return fail("invalid platform \"\": expected os/arch[/variant]");
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = t.find('/', start);
    parts.push_back(
        t.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  auto bad = [&](const std::string& why) {
    return fail("invalid platform \"" + std::string(text) + "\": " + why);
  };
  if (parts.size() > 3) return bad("expected os/arch[/variant]");
  for (const std::string& p : parts)
    if (p.empty()) return bad("empty component");
  Platform p;
  if (parts.size() == 1) {
    Platform probe;
    probe.architecture = parts[0];
    probe = normalize_platform(probe);
    if (is_known_os(parts[0])) {
      p = host_platform();
      p.os = parts[0];
    } else if (is_known_arch(probe.architecture)) {
      p = probe;
      p.os = "linux";
    } else {
      return bad("unknown operating system or architecture");
    }
    return normalize_platform(p);
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  p = normalize_platform(p);
  if (!is_known_os(p.os)) return bad("unknown operating system \"" + p.os + "\"");
  if (!is_known_arch(p.architecture)) return bad("unknown architecture \"" + p.architecture + "\"");
  return p;
}

bool platform_matches(const Platform& host, const Platform& candidate) {
  return rank(host, candidate) >= 0;
}

const Descriptor* select_manifest(const ImageIndex& index, const Platform& wanted) {
  const Descriptor* best = nullptr;
  int best_rank = -1;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    int r = rank(wanted, *d.platform);
    if (r < 0) continue;
    if (best == nullptr || r < best_rank) {
      best = &d;
      best_rank = r;
    }
  }
  return best;
}

}  // namespace krill::image
