// .dockerignore / .containerignore: which context files a build can see. Patterns follow Go's
// filepath.Match per path segment (*, ?, [a-z], [^a], escapes) plus "**" for any number of
// directories, as moby's patternmatcher: a pattern excludes a path when it matches the path or
// one of its parent directories; the last matching pattern decides, "!" patterns re-include.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::build {

// Go filepath.Match semantics with "**"; `pattern` and `path` are '/'-separated and relative.
// Error "syntax error in pattern" for a malformed class ("[a-") or trailing escape.
Result<bool> match_path_pattern(std::string_view pattern, std::string_view path);

class IgnoreMatcher {
 public:
  IgnoreMatcher() = default;
  // The file's content: one pattern per line, '#' comments, blank lines ignored, whitespace
  // trimmed, each pattern cleaned like filepath.Clean with a leading '/' removed; "!" prefix
  // makes an exception. Malformed patterns are an error naming the pattern.
  static Result<IgnoreMatcher> parse(std::string_view text);

  // `path` relative to the context root ("a/b.txt"), no leading "./".
  bool excluded(std::string_view path) const;
  // True when an exception pattern may re-include something below the excluded directory
  // `dir`, so a walker has to descend into it.
  bool may_include_below(std::string_view dir) const;
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
};

}  // namespace krill::build
