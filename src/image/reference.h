// Image references as Docker parses them (github.com/distribution/reference):
// "busybox" -> docker.io/library/busybox:latest, "localhost:5000/a/b:tag",
// "name@sha256:...", "name:tag@sha256:...".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::image {

class RegistriesConf;

inline constexpr std::string_view kDefaultDomain = "docker.io";
// Docker's legacy spelling of kDefaultDomain; normalised to it on parse.
inline constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
inline constexpr std::string_view kOfficialRepositoryPrefix = "library/";
inline constexpr std::string_view kDefaultTag = "latest";
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxTagLength = 128;

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox", "a/b"
  std::string tag;     // "latest" when neither tag nor digest was given; may be empty
  // "sha256:<hex>" or empty. A validated string rather than a Digest because Docker's
  // grammar also accepts sha384 (go-digest), which krill::image::Digest does not.
  std::string digest;
  // True when the text named no registry ("busybox", "user/app"): the candidate for
  // unqualified-search-registries. The domain is then docker.io as Docker normalises.
  bool is_unqualified = false;

  // "docker.io/library/busybox:latest", "example.com/a@sha256:..",
  // "example.com/a:t@sha256:..".
  std::string str() const;
  // Docker's familiar form: "busybox:latest", "user/app:1", "quay.io/a/b:c".
  std::string familiar() const;
  // "docker.io/library/busybox".
  std::string repository() const;
  // familiar() without tag/digest: "busybox", "user/app", "quay.io/a/b".
  std::string familiar_name() const;
  bool has_digest() const { return !digest.empty(); }

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses and normalises a reference as Docker's ParseNormalizedNamed, then adds the
// default tag "latest" when neither tag nor digest is present. Errors:
// empty, uppercase repository names, 64-hex-digit names, invalid tags (>128 chars),
// bad digests, names longer than 255 characters, anything outside the grammar.
Result<Reference> parse_reference(std::string_view text);

// Candidates to try, in order, for a name as a user typed it (podman semantics):
// - a name with a registry -> just that reference;
// - a short name with an [aliases] entry -> the alias (keeping the tag/digest typed);
// - otherwise one candidate per unqualified-search-registries entry, or docker.io when
//   that list is empty.
Result<std::vector<Reference>> resolve_short_name(std::string_view text,
                                                  const RegistriesConf& conf);

}  // namespace krill::image
