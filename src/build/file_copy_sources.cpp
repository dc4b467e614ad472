// COPY/ADD sources: wildcard expansion, symlink resolution contained in the source tree,
// .dockerignore and --exclude filtering, directory listing.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>

#include "build/file_copy_internal.h"

namespace krill::build::detail {
namespace {

constexpr int kMaxSymlinks = 40;
constexpr int kNoSymlinks = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

enum class Resolution { kFound, kNotFound, kEscapes };

struct Resolved {
  Resolution status = Resolution::kNotFound;
  std::string rel;
  struct stat st {};
};

std::vector<std::string> split_components(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string join_components(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out = join_path(out, part);
  return out;
}

// Walks `path` one component at a time, following every symlink as if the tree's root were
// "/": absolute targets restart at the root, ".." above the root is an escape.
Resolved resolve_in_tree(int root_fd, std::string_view path) {
  std::vector<std::string> resolved;
  std::deque<std::string> pending;
  for (std::string& part : split_components(path)) pending.push_back(std::move(part));
  int links = 0;
  Resolved result;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (resolved.empty()) return {Resolution::kEscapes};
      resolved.pop_back();
      continue;
    }
    auto dir = open_resolved(root_fd, join_components(resolved), O_PATH | O_DIRECTORY, kNoSymlinks);
    struct stat st;
    if (!dir || ::fstatat(dir->get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
    if (!S_ISLNK(st.st_mode)) {
      resolved.push_back(std::move(part));
      continue;
    }
    if (++links > kMaxSymlinks) return {};
    char target[4096];
    ssize_t n = ::readlinkat(dir->get(), part.c_str(), target, sizeof target - 1);
    if (n < 0) return {};
    std::string_view link(target, static_cast<size_t>(n));
    if (link.starts_with('/')) resolved.clear();
    std::vector<std::string> link_parts = split_components(link);
    pending.insert(pending.begin(), link_parts.begin(), link_parts.end());
  }
  result.rel = join_components(resolved);
  auto fd = open_resolved(root_fd, result.rel, O_PATH, kNoSymlinks);
  if (!fd || ::fstat(fd->get(), &result.st) != 0) return {};
  result.status = Resolution::kFound;
  return result;
}

bool has_wildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[\\") != std::string_view::npos;
}

// The source as Docker reads it: relative to the source root, ".." cannot climb above it.
std::string clean_source(std::string_view source) {
  std::string cleaned = clean_path("/" + std::string(source));
  return cleaned == "/" ? "" : cleaned.substr(1);
}

Result<std::vector<std::string>> list_directory(int root_fd, const std::string& rel) {
  auto fd = open_resolved(root_fd, rel, O_RDONLY | O_DIRECTORY, kNoSymlinks);
  if (!fd) return std::unexpected(std::move(fd.error()));
  DIR* dir = ::fdopendir(fd->release());
  if (dir == nullptr) return fail_errno("read directory " + rel);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

class SourceResolver {
 public:
  SourceResolver(const CopyRequest& request, int root_fd, const IgnoreMatcher& excludes)
      : request_(request), root_fd_(root_fd), excludes_(excludes) {}

  std::unexpected<Error> failure(const std::string& what) const {
    return fail(request_.instruction + " failed: " + what);
  }

  bool ignored(const std::string& context_path) const {
    return request_.ignore != nullptr && !context_path.empty() &&
           request_.ignore->excluded(context_path);
  }

  // Expands a wildcard pattern segment by segment, like Go's filepath.Glob.
  Result<std::vector<std::string>> expand(const std::string& pattern) {
    std::vector<std::string> matches = {""};
    for (const std::string& segment : split_components(pattern)) {
      std::vector<std::string> next;
      for (const std::string& prefix : matches) {
        if (!has_wildcard(segment)) {
          next.push_back(join_path(prefix, segment));
          continue;
        }
        Resolved dir = resolve_in_tree(root_fd_, prefix);
        if (dir.status != Resolution::kFound || !S_ISDIR(dir.st.st_mode)) continue;
        auto names = list_directory(root_fd_, dir.rel);
        if (!names) continue;
        for (const std::string& name : *names) {
          auto matched = match_path_pattern(segment, name);
          if (!matched) return failure("bad source pattern " + pattern + ": syntax error");
          if (*matched) next.push_back(join_path(prefix, name));
        }
      }
      matches = std::move(next);
    }
    std::erase_if(matches, [&](const std::string& path) {
      Resolved r = resolve_in_tree(root_fd_, path);
      return r.status != Resolution::kFound || !visible(path, r);
    });
    return matches;
  }

  // Not excluded by the ignore file, or an excluded directory an exception may re-include
  // something from.
  bool visible(const std::string& name, const Resolved& resolved) const {
    if (!ignored(name) && !ignored(resolved.rel)) return true;
    return S_ISDIR(resolved.st.st_mode) && request_.ignore->may_include_below(resolved.rel);
  }

  Result<MatchedSource> resolve_one(const std::string& name) {
    Resolved resolved = resolve_in_tree(root_fd_, name);
    std::string shown = name.empty() ? "." : name;
    if (resolved.status == Resolution::kEscapes) {
      return failure("source " + shown + " escapes the build context through a symlink");
    }
    auto not_found = [&] {
      return failure("file not found in build context or excluded by .dockerignore: stat " + shown +
                     ": file does not exist");
    };
    if (resolved.status == Resolution::kNotFound || !visible(name, resolved)) return not_found();
    MatchedSource source{name, resolved.rel, resolved.st, {}};
    if (S_ISDIR(resolved.st.st_mode)) KRILL_CHECK(list_tree(resolved.rel, "", source.entries));
    bool hidden = ignored(name) || ignored(resolved.rel);
    if (hidden && source.entries.empty()) return not_found();  // nothing re-included inside
    return source;
  }

 private:
  bool excluded_by_flag(const std::string& context_path, const std::string& dest) const {
    return !excludes_.empty() && (excludes_.excluded(dest) || excludes_.excluded(context_path));
  }

  // Appends the contents of directory `rel` (landing at `dest`) to `out`; returns whether
  // anything was appended.
  Result<bool> list_tree_checked(const std::string& rel, const std::string& dest,
                                 std::vector<SourceEntry>& out) {
    auto names = list_directory(root_fd_, rel);
    if (!names) {
      return failure("read directory " + (rel.empty() ? "." : rel) + ": " +
                     names.error().message());
    }
    auto dir = open_resolved(root_fd_, rel, O_PATH | O_DIRECTORY, kNoSymlinks);
    if (!dir) return failure(dir.error().message());
    bool appended = false;
    for (const std::string& name : *names) {
      SourceEntry entry{join_path(rel, name), join_path(dest, name), {}};
      if (::fstatat(dir->get(), name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      bool hidden = ignored(entry.rel) || excluded_by_flag(entry.rel, entry.dest);
      bool is_dir = S_ISDIR(entry.st.st_mode);
      if (hidden && !(is_dir && may_include_below(entry.rel))) continue;
      size_t position = out.size();
      out.push_back(entry);
      if (is_dir) {
        bool children = KRILL_TRY(list_tree_checked(entry.rel, entry.dest, out));
        if (hidden && !children) {  // an excluded directory nothing was re-included from
          out.erase(out.begin() + static_cast<long>(position));
          continue;
        }
      }
      appended = true;
    }
    return appended;
  }

  Result<void> list_tree(const std::string& rel, const std::string& dest,
                         std::vector<SourceEntry>& out) {
    KRILL_TRY(list_tree_checked(rel, dest, out));
    return {};
  }

  bool may_include_below(const std::string& rel) const {
    return (request_.ignore != nullptr && request_.ignore->may_include_below(rel)) ||
           excludes_.may_include_below(rel);
  }

  const CopyRequest& request_;
  int root_fd_;
  const IgnoreMatcher& excludes_;
};

Result<IgnoreMatcher> parse_excludes(const CopyRequest& request) {
  std::string text;
  for (const std::string& pattern : request.excludes) text += pattern + "\n";
  auto matcher = IgnoreMatcher::parse(text);
  if (!matcher) {
    return fail(request.instruction + " failed: --exclude: " + matcher.error().message());
  }
  return matcher;
}

}  // namespace

Result<UniqueFd> open_source(int root_fd, const std::string& rel, int flags) {
  return open_resolved(root_fd, rel, flags, kNoSymlinks);
}

Result<SourceSet> resolve_sources(const CopyRequest& request) {
  SourceSet set;
  auto root = open_resolved(AT_FDCWD, request.source_root, O_PATH | O_DIRECTORY, 0);
  if (!root) return fail(request.instruction + " failed: " + root.error().message());
  set.root_fd = std::move(*root);
  if (request.sources.empty())
    return fail(request.instruction + " failed: no source files were specified");
  IgnoreMatcher excludes = KRILL_TRY(parse_excludes(request));
  SourceResolver resolver(request, set.root_fd.get(), excludes);
  set.several = request.sources.size() > 1;
  for (const std::string& source : request.sources) {
    std::string cleaned = clean_source(source);
    if (!has_wildcard(cleaned)) {
      set.sources.push_back(KRILL_TRY(resolver.resolve_one(cleaned)));
      continue;
    }
    std::vector<std::string> matches = KRILL_TRY(resolver.expand(cleaned));
    if (matches.size() > 1) set.wildcard_several = true;
    for (const std::string& match : matches) {
      set.sources.push_back(KRILL_TRY(resolver.resolve_one(match)));
    }
  }
  if (set.sources.empty())
    return fail(request.instruction + " failed: no source files were specified");
  return set;
}

}  // namespace krill::build::detail
