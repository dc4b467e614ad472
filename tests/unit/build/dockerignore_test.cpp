#include "build/dockerignore.h"

#include <gtest/gtest.h>

namespace krill::build {
namespace {

bool matches(std::string_view pattern, std::string_view path) {
  auto result = match_path_pattern(pattern, path);
  EXPECT_TRUE(result.has_value()) << pattern;
  return result.value_or(false);
}

IgnoreMatcher parse_ok(std::string_view text) {
  auto matcher = IgnoreMatcher::parse(text);
  EXPECT_TRUE(matcher.has_value()) << (matcher ? "" : matcher.error().message());
  return matcher.value_or(IgnoreMatcher());
}

TEST(DockerignorePattern, StarMatchesWithinOneSegmentOnly) {
  EXPECT_TRUE(matches("*.txt", "a.txt"));
  EXPECT_TRUE(matches("*.txt", ".hidden.txt"));
  EXPECT_FALSE(matches("*.txt", "dir/a.txt"));
  EXPECT_TRUE(matches("dir/*.txt", "dir/a.txt"));
  EXPECT_FALSE(matches("dir/*", "dir/sub/a.txt"));
}

TEST(DockerignorePattern, QuestionMarkMatchesOneNonSlashByte) {
  EXPECT_TRUE(matches("a?c", "abc"));
  EXPECT_FALSE(matches("a?c", "a/c"));
  EXPECT_FALSE(matches("a?c", "ac"));
}

TEST(DockerignorePattern, DoubleStarMatchesAnyNumberOfDirectories) {
  EXPECT_TRUE(matches("**/*.go", "main.go"));
  EXPECT_TRUE(matches("**/*.go", "a/b/c/main.go"));
  EXPECT_TRUE(matches("a/**/z", "a/z"));
  EXPECT_TRUE(matches("a/**/z", "a/b/c/z"));
  EXPECT_FALSE(matches("a/**/z", "b/z"));
  EXPECT_TRUE(matches("a/**", "a/b/c"));
  EXPECT_TRUE(matches("**", "anything/at/all"));
}

TEST(DockerignorePattern, CharacterClassesRangesAndNegation) {
  EXPECT_TRUE(matches("[a-c]x", "bx"));
  EXPECT_FALSE(matches("[a-c]x", "dx"));
  EXPECT_TRUE(matches("[^a-c]x", "dx"));
  EXPECT_FALSE(matches("[^a-c]x", "ax"));
  EXPECT_TRUE(matches("[\\]]", "]"));
}

TEST(DockerignorePattern, BackslashEscapesAMetaCharacter) {
  EXPECT_TRUE(matches("a\\*b", "a*b"));
  EXPECT_FALSE(matches("a\\*b", "axb"));
}

TEST(DockerignorePattern, MalformedPatternsAreSyntaxErrors) {
  for (const char* bad : {"[a-", "[]", "abc\\", "[a", "[-a]"}) {
    auto result = match_path_pattern(bad, "a");
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().message(), "syntax error in pattern");
  }
}

TEST(DockerignoreParse, CommentsBlankLinesAndWhitespaceAreIgnored) {
  IgnoreMatcher matcher = parse_ok("# a comment\n\n   \n  *.log  \r\n");
  EXPECT_FALSE(matcher.empty());
  EXPECT_TRUE(matcher.excluded("x.log"));
  EXPECT_FALSE(matcher.excluded("# a comment"));
}

TEST(DockerignoreParse, EmptyFileExcludesNothing) {
  IgnoreMatcher matcher = parse_ok("");
  EXPECT_TRUE(matcher.empty());
  EXPECT_FALSE(matcher.excluded("a"));
}

TEST(DockerignoreParse, PatternsAreCleanedAndLeadingSlashDropped) {
  IgnoreMatcher matcher = parse_ok("/build\n./docs/../tmp/\n");
  EXPECT_TRUE(matcher.excluded("build"));
  EXPECT_TRUE(matcher.excluded("tmp/x"));
  EXPECT_FALSE(matcher.excluded("docs/x"));
}

TEST(DockerignoreParse, Utf8ByteOrderMarkIsIgnored) {
  IgnoreMatcher matcher = parse_ok("\xEF\xBB\xBFsecret\n");
  EXPECT_TRUE(matcher.excluded("secret"));
}

TEST(DockerignoreParse, LoneExclamationMarkIsAnError) {
  auto matcher = IgnoreMatcher::parse("a\n!\n");
  ASSERT_FALSE(matcher.has_value());
  EXPECT_NE(matcher.error().message().find("illegal exclusion pattern"), std::string::npos);
}

TEST(DockerignoreParse, MalformedPatternErrorNamesThePattern) {
  auto matcher = IgnoreMatcher::parse("ok\nbad[a-\n");
  ASSERT_FALSE(matcher.has_value());
  EXPECT_NE(matcher.error().message().find("bad[a-"), std::string::npos);
}

TEST(DockerignoreExcluded, PatternExcludesEverythingBelowAMatchedDirectory) {
  IgnoreMatcher matcher = parse_ok("node_modules\n");
  EXPECT_TRUE(matcher.excluded("node_modules"));
  EXPECT_TRUE(matcher.excluded("node_modules/pkg/index.js"));
  EXPECT_FALSE(matcher.excluded("src/node_modules"));
}

TEST(DockerignoreExcluded, ExceptionReincludesAndLastMatchWins) {
  IgnoreMatcher matcher = parse_ok("*.md\n!README.md\n");
  EXPECT_TRUE(matcher.excluded("CHANGES.md"));
  EXPECT_FALSE(matcher.excluded("README.md"));
  IgnoreMatcher reversed = parse_ok("!README.md\n*.md\n");
  EXPECT_TRUE(reversed.excluded("README.md"));
}

TEST(DockerignoreExcluded, ExceptionInsideExcludedDirectory) {
  IgnoreMatcher matcher = parse_ok("docs\n!docs/keep.txt\n");
  EXPECT_TRUE(matcher.excluded("docs/other.txt"));
  EXPECT_FALSE(matcher.excluded("docs/keep.txt"));
}

TEST(DockerignoreExcluded, DoubleStarExcludesAtAnyDepth) {
  IgnoreMatcher matcher = parse_ok("**/*.pyc\n**/.git\n");
  EXPECT_TRUE(matcher.excluded("a.pyc"));
  EXPECT_TRUE(matcher.excluded("pkg/sub/a.pyc"));
  EXPECT_TRUE(matcher.excluded("vendor/lib/.git/config"));
  EXPECT_FALSE(matcher.excluded("pkg/a.py"));
}

TEST(DockerignoreExcluded, ExcludeEverythingButOneFile) {
  IgnoreMatcher matcher = parse_ok("*\n!app.py\n");
  EXPECT_TRUE(matcher.excluded("Dockerfile"));
  EXPECT_TRUE(matcher.excluded("src/x"));
  EXPECT_FALSE(matcher.excluded("app.py"));
}

TEST(DockerignoreMayIncludeBelow, TrueOnlyWhenAnExceptionCanMatchInside) {
  IgnoreMatcher matcher = parse_ok("docs\n!docs/keep.txt\n");
  EXPECT_TRUE(matcher.may_include_below("docs"));
  EXPECT_FALSE(matcher.may_include_below("other"));
  IgnoreMatcher no_exceptions = parse_ok("docs\n");
  EXPECT_FALSE(no_exceptions.may_include_below("docs"));
  IgnoreMatcher wildcard = parse_ok("*\n!**/*.go\n");
  EXPECT_TRUE(wildcard.may_include_below("any/dir"));
}

}  // namespace
}  // namespace krill::build
