// The build context (a directory, or a tar archive / stdin unpacked into a temp directory) and
// the Dockerfile found in it.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "build/dockerignore.h"

namespace krill::build {

class BuildContext {
 public:
  // A directory on the host; reads .containerignore, else .dockerignore, at its root.
  // Error "context directory X: No such file or directory" and the like.
  static Result<BuildContext> from_directory(const std::string& dir);
  // A tar archive (plain, gzip, bzip2, xz or zstd; from a file or stdin) unpacked into a new
  // directory under `temp_parent`, removed again when the context is destroyed. Entries that
  // would land outside (.., absolute paths, links out) are refused with an error naming them;
  // ownership is not kept (files belong to the caller), modes and mtimes are.
  static Result<BuildContext> from_tar(int fd, const std::string& temp_parent);

  BuildContext(BuildContext&&) noexcept;
  BuildContext& operator=(BuildContext&&) noexcept;
  ~BuildContext();

  const std::string& root() const { return root_; }
  const IgnoreMatcher& ignore() const { return ignore_; }

  // The Dockerfile's path on the host: `file` as given to -f (absolute, or relative to the
  // current directory — Docker's and podman's rule), "" = <root>/Containerfile, else
  // <root>/Dockerfile. Error "no Containerfile or Dockerfile specified or found in context X".
  // "-" is not handled here (stdin Dockerfile: the caller reads it).
  Result<std::string> dockerfile_path(const std::string& file) const;

 private:
  BuildContext() = default;
  std::string root_;
  bool owned_ = false;  // root_ is our temp directory
  IgnoreMatcher ignore_;
};

}  // namespace krill::build
