// Fixture library for the `krill build` integration tests: a private krill store with the busybox
// image (EngineEnv), a build context directory per environment, and helpers that look inside the
// built images (files, modes, owners through `krill run`; raw config, manifest and layers through
// `krill image inspect --config/--raw` and an OCI layout copy).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine_test_support.h"
#include "harness.h"

namespace krill::it {

// The outcome of one `krill build`.
struct BuildOutcome {
  CommandResult result;
  std::string id;  // the last stdout line when it is 64 hex digits, else ""
  bool ok() const { return result.ok() && !id.empty(); }
  std::string describe() const { return result.describe(); }
  // Number of "--> Using cache" lines in stdout.
  int cache_hits() const;
  // The line following "STEP n/N: <instruction>" (the first step whose text is `instruction`),
  // or "" when there is none.
  std::string line_after_step(const std::string& instruction) const;
};

// A context file: content and mode (0644 by default).
struct ContextFile {
  std::string content;
  mode_t mode = 0644;
  ContextFile(const char* text) : content(text) {}  // NOLINT: implicit, for {{"a", "x"}}
  ContextFile(std::string text, mode_t m = 0644) : content(std::move(text)), mode(m) {}
};

using ContextFiles = std::map<std::string, ContextFile>;

bool is_image_id(const std::string& text);

class BuildEnv : public EngineEnv {
 public:
  BuildEnv();

  // Scratch space of this environment (removed with it).
  const std::string& dir() const { return dir_.path(); }
  // The build context directory.
  const std::string& context() const { return context_; }
  // Writes a file (parents created) into the context.
  void write(const std::string& relative, const ContextFile& file) const;

  // Writes `dockerfile` to <context>/Dockerfile (unless empty) and `files`, then runs
  // `krill build --pull=never <flags...> <context>`.
  BuildOutcome build(const std::string& dockerfile, const ContextFiles& files = {},
                     const std::vector<std::string>& flags = {}, CommandOptions options = {}) const;
  // `krill build` with exactly these arguments (no context added).
  BuildOutcome build_args(const std::vector<std::string>& args, CommandOptions options = {}) const;

  // `krill run --rm IMAGE args...`
  CommandResult run(const std::string& image, const std::vector<std::string>& args) const;
  // The stdout of `sh -c script` in the image (trailing newlines removed); "<failed: ...>" when
  // the command fails.
  std::string sh(const std::string& image, const std::string& script) const;
  // The content of a file in the image (via cat); nullopt when it cannot be read.
  std::optional<std::string> file(const std::string& image, const std::string& path) const;
  // `stat -c FORMAT path` in the image ("%a" mode, "%u:%g" owner, "%F" type, "%N" link).
  std::string stat(const std::string& image, const std::string& path,
                   const std::string& format) const;

  // The image's config blob (`image inspect --config`), manifest (`image inspect --raw`) and
  // `image inspect` document; discarded json on failure.
  json config(const std::string& image) const;
  json manifest(const std::string& image) const;
  json inspect_json(const std::string& image) const;
  // config["history"] (an empty array when missing).
  json history(const std::string& image) const;

  // Copies the image to an OCI layout and unpacks its layers, in order, with the host's tar
  // into a fresh directory (numeric owners kept); returns the directory or "" on failure.
  std::string unpack(const std::string& image) const;

 private:
  TempDir dir_;
  std::string context_;
  mutable int counter_ = 0;
};

// Unpacks the image stored in an OCI layout directory (index.json's first manifest) into `into`;
// returns the config blob (discarded json on failure).
json unpack_oci_layout(const std::string& layout, const std::string& into);

// lstat-based facts about a path in an unpacked tree: "mode uid:gid type [target|size]".
std::string describe_path(const std::string& path);

// Every path under `root` (relative, sorted) with describe_path(), one per line.
std::string describe_tree(const std::string& root);

}  // namespace krill::it
