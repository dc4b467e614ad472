// .dockerignore matching: Go filepath.Match per segment plus moby's "**", compiled into a small
// token list and matched by backtracking with memoization (no regex engine).
#include "build/dockerignore.h"

#include <cstdint>
#include <optional>

#include "build/file_copy_internal.h"

namespace krill::build {
namespace {

using detail::clean_path;

enum class TokenKind {
  kLiteral,       // one byte
  kAnyInSegment,  // "*": any run of bytes without '/'
  kOneInSegment,  // "?": one byte that is not '/'
  kClass,         // "[...]"
  kAnyDirs,       // "**/" or "**" inside a pattern: "(.*/)?"
  kAnything,      // "**" at the end: ".*"
};

struct ClassRange {
  unsigned char lo, hi;
};

struct Token {
  TokenKind kind;
  unsigned char literal = 0;
  bool negated = false;
  std::vector<ClassRange> ranges;
};

std::unexpected<Error> syntax_error() { return fail("syntax error in pattern"); }

// One possibly escaped class character (Go's getEsc): '-' and ']' must be escaped here.
Result<unsigned char> read_class_char(std::string_view pattern, size_t& i) {
  if (i >= pattern.size() || pattern[i] == '-' || pattern[i] == ']') return syntax_error();
  if (pattern[i] == '\\') {
    ++i;
    if (i >= pattern.size()) return syntax_error();
  }
  return static_cast<unsigned char>(pattern[i++]);
}

// Parses "[...]" starting after the '['; leaves `i` after the closing ']'.
Result<Token> read_class(std::string_view pattern, size_t& i) {
  Token token{TokenKind::kClass};
  if (i < pattern.size() && pattern[i] == '^') {
    token.negated = true;
    ++i;
  }
  while (true) {
    if (i < pattern.size() && pattern[i] == ']' && !token.ranges.empty()) {
      ++i;
      return token;
    }
    unsigned char lo = KRILL_TRY(read_class_char(pattern, i));
    unsigned char hi = lo;
    if (i < pattern.size() && pattern[i] == '-') {
      ++i;
      hi = KRILL_TRY(read_class_char(pattern, i));
    }
    token.ranges.push_back({lo, hi});
  }
}

// "**" handling as moby's patternmatcher: "**/" and "**" are "(.*/)?", a final "**" is ".*".
Token read_double_star(std::string_view pattern, size_t& i) {
  i += 2;
  if (i < pattern.size() && pattern[i] == '/') ++i;
  return Token{i >= pattern.size() ? TokenKind::kAnything : TokenKind::kAnyDirs};
}

Result<std::vector<Token>> compile(std::string_view pattern) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '*' && i + 1 < pattern.size() && pattern[i + 1] == '*') {
      tokens.push_back(read_double_star(pattern, i));
    } else if (c == '*') {
      tokens.push_back(Token{TokenKind::kAnyInSegment});
      ++i;
    } else if (c == '?') {
      tokens.push_back(Token{TokenKind::kOneInSegment});
      ++i;
    } else if (c == '[') {
      ++i;
      tokens.push_back(KRILL_TRY(read_class(pattern, i)));
    } else {
      if (c == '\\') {
        ++i;
        if (i >= pattern.size()) return syntax_error();
      }
      tokens.push_back(Token{TokenKind::kLiteral, static_cast<unsigned char>(pattern[i++])});
    }
  }
  return tokens;
}

bool class_matches(const Token& token, unsigned char c) {
  bool in = false;
  for (const ClassRange& range : token.ranges) in = in || (range.lo <= c && c <= range.hi);
  return in != token.negated;
}

class Matcher {
 public:
  Matcher(const std::vector<Token>& tokens, std::string_view path)
      : tokens_(tokens), path_(path), memo_((tokens.size() + 1) * (path.size() + 1), -1) {}

  bool match(size_t t, size_t p) {
    int8_t& cached = memo_[t * (path_.size() + 1) + p];
    if (cached < 0) cached = compute(t, p) ? 1 : 0;
    return cached == 1;
  }

 private:
  bool compute(size_t t, size_t p) {
    if (t == tokens_.size()) return p == path_.size();
    const Token& token = tokens_[t];
    switch (token.kind) {
      case TokenKind::kLiteral:
        return p < path_.size() && static_cast<unsigned char>(path_[p]) == token.literal &&
               match(t + 1, p + 1);
      case TokenKind::kOneInSegment:
        return p < path_.size() && path_[p] != '/' && match(t + 1, p + 1);
      case TokenKind::kClass:
        return p < path_.size() && class_matches(token, path_[p]) && match(t + 1, p + 1);
      case TokenKind::kAnyInSegment:
        if (match(t + 1, p)) return true;
        return p < path_.size() && path_[p] != '/' && match(t, p + 1);
      case TokenKind::kAnything:
        return true;
      case TokenKind::kAnyDirs:
        if (match(t + 1, p)) return true;
        for (size_t q = p; q < path_.size(); ++q) {
          if (path_[q] == '/' && match(t + 1, q + 1)) return true;
        }
        return false;
    }
    return false;
  }

  const std::vector<Token>& tokens_;
  std::string_view path_;
  std::vector<int8_t> memo_;
};

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

// One .dockerignore line as moby's ReadAll and NewPatternMatcher normalize it; nullopt when the
// line holds no pattern.
std::optional<std::string> normalize_line(std::string_view line) {
  if (!line.empty() && line.front() == '#') return std::nullopt;
  std::string_view pattern = trim(line);
  if (pattern.empty()) return std::nullopt;
  bool exception = pattern.front() == '!';
  if (exception) pattern = trim(pattern.substr(1));
  std::string cleaned;
  if (!pattern.empty()) {
    cleaned = clean_path(pattern);
    if (cleaned.size() > 1 && cleaned.front() == '/') cleaned.erase(0, 1);
  }
  return exception ? "!" + cleaned : cleaned;
}

bool matches_or_parent_matches(const std::string& pattern, std::string_view path) {
  if (match_path_pattern(pattern, path).value_or(false)) return true;
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (match_path_pattern(pattern, path.substr(0, slash)).value_or(false)) return true;
  }
  return false;
}

}  // namespace

Result<bool> match_path_pattern(std::string_view pattern, std::string_view path) {
  std::vector<Token> tokens = KRILL_TRY(compile(pattern));
  Matcher matcher(tokens, path);
  return matcher.match(0, 0);
}

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text) {
  IgnoreMatcher matcher;
  bool first_line = true;
  size_t start = 0;
  while (start <= text.size()) {
    size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) newline = text.size();
    std::string_view line = text.substr(start, newline - start);
    start = newline + 1;
    if (first_line && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    first_line = false;
    std::optional<std::string> normalized = normalize_line(line);
    if (!normalized) continue;
    Pattern pattern;
    pattern.text = clean_path(*normalized);
    if (pattern.text.front() == '!') {
      if (pattern.text.size() == 1) return fail("illegal exclusion pattern: \"!\"");
      pattern.exception = true;
      pattern.text.erase(0, 1);
    }
    if (!compile(pattern.text)) {
      return fail("invalid .dockerignore pattern \"" + pattern.text +
                  "\": syntax error in pattern");
    }
    matcher.patterns_.push_back(std::move(pattern));
  }
  return matcher;
}

bool IgnoreMatcher::excluded(std::string_view path) const {
  bool matched = false;
  for (const Pattern& pattern : patterns_) {
    if (pattern.exception != matched) continue;  // cannot change the outcome
    if (matches_or_parent_matches(pattern.text, path)) matched = !pattern.exception;
  }
  return matched;
}

bool IgnoreMatcher::may_include_below(std::string_view dir) const {
  std::vector<std::string_view> dir_segments = split_segments(dir);
  for (const Pattern& pattern : patterns_) {
    if (!pattern.exception) continue;
    if (pattern.text.find("**") != std::string::npos) return true;
    std::vector<std::string_view> segments = split_segments(pattern.text);
    if (segments.size() <= dir_segments.size()) continue;
    bool prefix_matches = true;
    for (size_t i = 0; i < dir_segments.size() && prefix_matches; ++i) {
      prefix_matches = match_path_pattern(segments[i], dir_segments[i]).value_or(false);
    }
    if (prefix_matches) return true;
  }
  return false;
}

}  // namespace krill::build
