// Platforms (os/arch/variant) and picking a manifest out of an index as Docker and
// containerd do (github.com/containerd/platforms: Normalize, Only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::image {

struct Descriptor;
struct ImageIndex;

struct Platform {
  std::string architecture;  // GOARCH: amd64, arm64, arm, 386, ppc64le, s390x, riscv64 ...
  std::string os;            // GOOS: linux, windows ...
  std::string os_version;    // "os.version"
  std::vector<std::string> os_features;  // "os.features"
  std::string variant;                   // v7, v8 ...
  std::vector<std::string> features;     // reserved by the spec

  // "linux/arm64/v8", "linux/amd64".
  std::string str() const;
  friend bool operator==(const Platform&, const Platform&) = default;
};

// The machine this runs on: uname -m mapped to GOARCH (x86_64 -> amd64,
// aarch64 -> arm64 variant v8, armv7l -> arm v7, armv6l -> arm v6, i686 -> 386 ...),
// os "linux".
Platform host_platform();
// Same, for a given `uname -m` value (testable).
Platform platform_for_machine(std::string_view machine);

// Normalises as containerd: aliases (aarch64, x86_64, armhf, armel, i386 ...), arm64
// variant "8"/"v8.0" -> "v8", arm variant "7" -> "v7" and empty -> "v7", amd64
// "v1" -> "". The os is lowercased.
Platform normalize_platform(Platform p);

// "linux/arm64/v8", "linux/amd64", "linux" (host architecture), "arm64" (os linux),
// "windows/amd64". The result is normalised. Errors name the text.
Result<Platform> parse_platform(std::string_view text);

// True when an image for `candidate` runs on `host` (after normalisation): same os and
// architecture with a compatible variant, or a 32-bit fallback (arm64 runs arm v8..v5,
// arm v7 runs v6/v5, amd64 v3 runs v2/v1).
bool platform_matches(const Platform& host, const Platform& candidate);

// Picks the entry of `index` for `wanted`: the best match in containerd's
// "Only(wanted)" order (exact variant first, then older variants, then 32-bit
// fallbacks), earliest entry on ties. Entries without platform never match.
// nullptr when nothing matches.
const Descriptor* select_manifest(const ImageIndex& index, const Platform& wanted);

}  // namespace krill::image
