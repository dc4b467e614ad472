#include "build/shell_words.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace krill::build {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

VariableLookup variables(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    const auto found = values.find(std::string(name));
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

const VariableLookup& test_variables() {
  static const VariableLookup lookup =
      variables({{"a", "A"}, {"b", "B"}, {"empty", ""}, {"files", "x y"}, {"sp", "  p  q "}});
  return lookup;
}

std::string word(std::string_view text, char escape = '\\') {
  auto result = expand_word(text, test_variables(), escape);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message();
  return result.value_or("<error>");
}

std::vector<std::string> words(std::string_view text, char escape = '\\') {
  auto result = expand_words(text, test_variables(), escape);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message();
  return result.value_or(std::vector<std::string>{"<error>"});
}

std::string word_error(std::string_view text, char escape = '\\') {
  auto result = expand_word(text, test_variables(), escape);
  EXPECT_FALSE(result.has_value()) << text << " gave " << result.value_or("");
  return result ? "" : result.error().message();
}

TEST(ShellWordsExpandWord, PlainTextIsUnchanged) {
  EXPECT_EQ(word("hello"), "hello");
  EXPECT_EQ(word(""), "");
  EXPECT_EQ(word("a b  c"), "a b  c");
}

TEST(ShellWordsExpandWord, SubstitutesDollarNameAndBracedName) {
  EXPECT_EQ(word("$a"), "A");
  EXPECT_EQ(word("${a}"), "A");
  EXPECT_EQ(word("x$a.y${b}z"), "xA.yBz");
  EXPECT_EQ(word("$a$b"), "AB");
}

TEST(ShellWordsExpandWord, NameEndsAtFirstNonNameCharacter) {
  EXPECT_EQ(word("$a-x"), "A-x");
  EXPECT_EQ(word("$ab"), "");  // "ab" is unset
  EXPECT_EQ(word("$a/b"), "A/b");
}

TEST(ShellWordsExpandWord, UnsetVariableExpandsToEmpty) {
  EXPECT_EQ(word("[$nope]"), "[]");
  EXPECT_EQ(word("[${nope}]"), "[]");
}

TEST(ShellWordsExpandWord, DollarNotFollowedByNameStaysLiteral) {
  EXPECT_EQ(word("$"), "$");
  EXPECT_EQ(word("a$"), "a$");
  EXPECT_EQ(word("$ x"), "$ x");
  EXPECT_EQ(word("$1"), "$1");
  EXPECT_EQ(word("cost: $.5"), "cost: $.5");
  EXPECT_EQ(word("\"$\""), "$");
}

TEST(ShellWordsExpandWord, ColonDashUsesDefaultWhenUnsetOrEmpty) {
  EXPECT_EQ(word("${nope:-def}"), "def");
  EXPECT_EQ(word("${empty:-def}"), "def");
  EXPECT_EQ(word("${a:-def}"), "A");
}

TEST(ShellWordsExpandWord, DashUsesDefaultOnlyWhenUnset) {
  EXPECT_EQ(word("${nope-def}"), "def");
  EXPECT_EQ(word("${empty-def}"), "");
  EXPECT_EQ(word("${a-def}"), "A");
}

TEST(ShellWordsExpandWord, ColonPlusUsesAlternativeWhenSetAndNotEmpty) {
  EXPECT_EQ(word("${a:+alt}"), "alt");
  EXPECT_EQ(word("${empty:+alt}"), "");
  EXPECT_EQ(word("${nope:+alt}"), "");
}

TEST(ShellWordsExpandWord, PlusUsesAlternativeWhenSetEvenIfEmpty) {
  EXPECT_EQ(word("${a+alt}"), "alt");
  EXPECT_EQ(word("${empty+alt}"), "alt");
  EXPECT_EQ(word("${nope+alt}"), "");
}

TEST(ShellWordsExpandWord, ModifierWordIsItselfExpanded) {
  EXPECT_EQ(word("${nope:-${b}}"), "B");
  EXPECT_EQ(word("${nope:-$b-x}"), "B-x");
  EXPECT_EQ(word("${nope:-${other:-deep}}"), "deep");
  EXPECT_EQ(word("${a:+[$b]}"), "[B]");
  EXPECT_EQ(word("${nope:-}"), "");
}

TEST(ShellWordsExpandWord, ModifierWordMayContainQuotesAndEscapedBrace) {
  EXPECT_EQ(word("${nope:-\"x}y\"}"), "x}y");
  EXPECT_EQ(word("${nope:-'a b'}"), "a b");
  EXPECT_EQ(word("${nope:-a\\}b}"), "a}b");
}

TEST(ShellWordsExpandWord, SingleQuotesAreLiteral) {
  EXPECT_EQ(word("'$a'"), "$a");
  EXPECT_EQ(word("'a\\b'"), "a\\b");
  EXPECT_EQ(word("'\"'"), "\"");
  EXPECT_EQ(word("x'y z'w"), "xy zw");
}

TEST(ShellWordsExpandWord, DoubleQuotesExpandAndAreRemoved) {
  EXPECT_EQ(word("\"$a b\""), "A b");
  EXPECT_EQ(word("\"'$a'\""), "'A'");
  EXPECT_EQ(word("pre\"mid\"post"), "premidpost");
  EXPECT_EQ(word("\"\""), "");
}

TEST(ShellWordsExpandWord, EscapeInsideDoubleQuotesOnlyEscapesSpecialCharacters) {
  EXPECT_EQ(word(R"("\$a")"), "$a");
  EXPECT_EQ(word(R"("\"")"), "\"");
  EXPECT_EQ(word(R"("\\")"), "\\");
  EXPECT_EQ(word(R"("\n\a")"), R"(\n\a)");
  EXPECT_EQ(word("\"a\\\nb\""), "a\nb");
}

TEST(ShellWordsExpandWord, EscapeOutsideQuotesMakesNextCharacterLiteral) {
  EXPECT_EQ(word(R"(\$a)"), "$a");
  EXPECT_EQ(word(R"(\${a})"), "${a}");
  EXPECT_EQ(word(R"(\'x\')"), "'x'");
  EXPECT_EQ(word(R"(\"x\")"), "\"x\"");
  EXPECT_EQ(word(R"(a\ b)"), "a b");
  EXPECT_EQ(word(R"(\\)"), "\\");
  EXPECT_EQ(word(R"(\n)"), "n");
}

TEST(ShellWordsExpandWord, EscapeAtEndIsDropped) { EXPECT_EQ(word("abc\\"), "abc"); }

TEST(ShellWordsExpandWord, BacktickEscapeMakesBackslashLiteral) {
  EXPECT_EQ(word(R"(C:\path\$a)", '`'), R"(C:\path\A)");
  EXPECT_EQ(word("`$a", '`'), "$a");
  EXPECT_EQ(word("\"`$a `\"\"", '`'), "$a \"");
  EXPECT_EQ(word(R"("\$a")", '`'), R"(\A)");
  EXPECT_EQ(word("a` b", '`'), "a b");
  EXPECT_EQ(word("``", '`'), "`");
}

TEST(ShellWordsExpandWord, DoesNotSplitExpandedWhitespace) {
  EXPECT_EQ(word("$files"), "x y");
  EXPECT_EQ(word("$sp"), "  p  q ");
}

TEST(ShellWordsExpandWord, NullLookupTreatsEverythingAsUnset) {
  auto result = expand_word("[$a]${b:-d}", VariableLookup{});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, "[]d");
}

TEST(ShellWordsExpandWordErrors, UnsupportedModifierNamesTheTextAndModifier) {
  EXPECT_EQ(word_error("${a:?x}"),
            "failed to process \"${a:?x}\": unsupported modifier (?) in substitution");
  EXPECT_THAT(word_error("${a#x}"), HasSubstr("unsupported modifier (#) in substitution"));
  EXPECT_THAT(word_error("${a%x}"), HasSubstr("unsupported modifier (%) in substitution"));
  EXPECT_THAT(word_error("${a:=x}"), HasSubstr("unsupported modifier (=) in substitution"));
}

TEST(ShellWordsExpandWordErrors, BadSubstitutionIsAnError) {
  EXPECT_THAT(word_error("${1}"), HasSubstr("failed to process \"${1}\": "));
  EXPECT_THAT(word_error("${1}"), HasSubstr("bad substitution"));
  EXPECT_THAT(word_error("${}"), HasSubstr("bad substitution"));
  EXPECT_THAT(word_error("${:-x}"), HasSubstr("bad substitution"));
}

TEST(ShellWordsExpandWordErrors, UnterminatedBraceIsAnError) {
  EXPECT_THAT(word_error("${"), HasSubstr("missing '}'"));
  EXPECT_THAT(word_error("${a"), HasSubstr("missing '}'"));
  EXPECT_THAT(word_error("${a:"), HasSubstr("missing '}'"));
  EXPECT_THAT(word_error("${a:-x"), HasSubstr("looking for matching }"));
}

TEST(ShellWordsExpandWordErrors, UnterminatedQuotesAreErrors) {
  EXPECT_EQ(word_error("'abc"),
            "failed to process \"'abc\": unexpected end of statement while looking for "
            "matching single-quote");
  EXPECT_THAT(word_error("\"abc"), HasSubstr("matching double-quote"));
  EXPECT_THAT(word_error("\"abc\\\""), HasSubstr("matching double-quote"));
}

TEST(ShellWordsExpandWords, SplitsOnUnquotedWhitespace) {
  EXPECT_THAT(words("a b\tc\n d"), ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(words("  lead trail  "), ElementsAre("lead", "trail"));
  EXPECT_THAT(words(""), IsEmpty());
  EXPECT_THAT(words("   "), IsEmpty());
}

TEST(ShellWordsExpandWords, QuotedAndEscapedWhitespaceDoesNotSplit) {
  EXPECT_THAT(words("\"a b\" 'c d' e\\ f"), ElementsAre("a b", "c d", "e f"));
  EXPECT_THAT(words("x\"a b\"y z"), ElementsAre("xa by", "z"));
}

TEST(ShellWordsExpandWords, SplitsWhitespaceFromUnquotedSubstitution) {
  EXPECT_THAT(words("$files /dst"), ElementsAre("x", "y", "/dst"));
  EXPECT_THAT(words("pre$files"), ElementsAre("prex", "y"));
  EXPECT_THAT(words("$sp"), ElementsAre("p", "q"));
  EXPECT_THAT(words("${nope:-u v}"), ElementsAre("u", "v"));
}

TEST(ShellWordsExpandWords, QuotedSubstitutionStaysOneWord) {
  EXPECT_THAT(words("\"$files\" /dst"), ElementsAre("x y", "/dst"));
  EXPECT_THAT(words("\"$sp\""), ElementsAre("  p  q "));
}

TEST(ShellWordsExpandWords, EmptyUnquotedSubstitutionVanishes) {
  EXPECT_THAT(words("$empty a $nope b ${nope}"), ElementsAre("a", "b"));
  EXPECT_THAT(words("$empty"), IsEmpty());
}

TEST(ShellWordsExpandWords, QuotedEmptyStringGivesEmptyWord) {
  EXPECT_THAT(words("\"\""), ElementsAre(""));
  EXPECT_THAT(words("a '' \"$empty\" b"), ElementsAre("a", "", "", "b"));
}

TEST(ShellWordsExpandWords, SubstitutionJoinsAdjacentText) {
  EXPECT_THAT(words("$a$b c${a}d"), ElementsAre("AB", "cAd"));
  EXPECT_THAT(words("x$empty y"), ElementsAre("x", "y"));
}

TEST(ShellWordsExpandWords, BacktickEscapeKeepsSpaceInWord) {
  EXPECT_THAT(words("a` b c\\d", '`'), ElementsAre("a b", "c\\d"));
}

TEST(ShellWordsExpandWords, ErrorsNameTheText) {
  auto result = expand_words("a \"b", test_variables());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(),
            "failed to process \"a \"b\": unexpected end of statement while looking for "
            "matching double-quote");
}

std::vector<std::string> raw(std::string_view text, char escape = '\\') {
  auto result = split_raw_words(text, escape);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message();
  return result.value_or(std::vector<std::string>{"<error>"});
}

TEST(ShellWordsSplitRaw, SplitsOnWhitespaceKeepingQuotesAndEscapes) {
  EXPECT_THAT(raw("a=1 b=\"x y\" c='p q' d=e\\ f"),
              ElementsAre("a=1", "b=\"x y\"", "c='p q'", "d=e\\ f"));
}

TEST(ShellWordsSplitRaw, DoesNotSubstitute) {
  EXPECT_THAT(raw("$files ${a:-x y}"), ElementsAre("$files", "${a:-x", "y}"));
}

TEST(ShellWordsSplitRaw, EscapedQuoteDoesNotOpenQuote) {
  EXPECT_THAT(raw(R"(a=\"b c\")"), ElementsAre(R"(a=\"b)", R"(c\")"));
  EXPECT_THAT(raw(R"("a\"b c")"), ElementsAre(R"("a\"b c")"));
}

TEST(ShellWordsSplitRaw, SingleQuotesEscapeNothing) {
  EXPECT_THAT(raw(R"('a\' b)"), ElementsAre(R"('a\')", "b"));
}

TEST(ShellWordsSplitRaw, EmptyQuotesAreAWord) {
  EXPECT_THAT(raw("a= \"\""), ElementsAre("a=", "\"\""));
}

TEST(ShellWordsSplitRaw, EmptyTextGivesNoWords) {
  EXPECT_THAT(raw(""), IsEmpty());
  EXPECT_THAT(raw(" \t "), IsEmpty());
}

TEST(ShellWordsSplitRaw, BacktickEscape) {
  EXPECT_THAT(raw("a` b c\\ d", '`'), ElementsAre("a` b", "c\\", "d"));
}

TEST(ShellWordsSplitRaw, UnterminatedQuoteIsAnError) {
  auto result = split_raw_words("a=\"b c");
  ASSERT_FALSE(result.has_value());
  EXPECT_THAT(result.error().message(), HasSubstr("matching double-quote"));
}

}  // namespace
}  // namespace krill::build
