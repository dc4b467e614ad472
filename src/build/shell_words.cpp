#include "build/shell_words.h"

#include <utility>

namespace krill::build {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// The words being built (Docker's wordsStruct): characters that came from unquoted text or an
// unquoted substitution split on whitespace; quoted or escaped text never does. Unlike Docker,
// a quoted empty string ("") still makes a word.
class WordCollector {
 public:
  // An unquoted character: whitespace ends the current word.
  void add_char(char c) {
    if (!is_space(c)) {
      add_raw_char(c);
    } else if (in_word_) {
      finish_word();
    }
  }
  void add_raw_char(char c) {
    word_ += c;
    in_word_ = true;
  }
  void add_string(std::string_view text) {
    for (char c : text) add_char(c);
  }
  void add_raw_string(std::string_view text) {
    word_ += text;
    in_word_ = true;
  }
  std::vector<std::string> take_words() {
    if (in_word_) finish_word();
    return std::move(words_);
  }

 private:
  void finish_word() {
    words_.push_back(std::move(word_));
    word_.clear();
    in_word_ = false;
  }

  std::vector<std::string> words_;
  std::string word_;
  bool in_word_ = false;
};

// Docker's shell lexer (frontend/dockerfile/shell/lex.go), without positional or special
// parameters and without the pattern modifiers.
class Lexer {
 public:
  Lexer(std::string_view text, const VariableLookup& lookup, char escape)
      : text_(text), lookup_(lookup), escape_(escape) {}
  // Heredoc bodies: quotes are content, and the escape character only protects a '$'.
  void keep_quotes_and_escapes() { raw_ = true; }

  // The whole text: the expanded string, and the split words in `words`.
  Result<std::string> process_all(std::vector<std::string>* words) {
    WordCollector collector;
    auto result = process_until(kEndOfText, collector);
    if (!result) return result;
    if (words) *words = collector.take_words();
    return result;
  }

 private:
  static constexpr int kEndOfText = -1;

  bool at_end() const { return pos_ >= text_.size(); }
  int peek() const { return at_end() ? kEndOfText : static_cast<unsigned char>(text_[pos_]); }
  char next() { return text_[pos_++]; }

  Result<std::string> process_until(int stop, WordCollector& words) {
    std::string result;
    while (!at_end()) {
      const char c = text_[pos_];
      if (stop != kEndOfText && peek() == stop) {
        ++pos_;
        return result;
      }
      if (raw_ && c != '$') {
        next();
        if (c == escape_ && peek() == '$') {
          result += next();
          continue;
        }
        result += c;
        continue;
      }
      if (c == '\'' || c == '"' || c == '$') {
        auto part = c == '\'' ? single_quoted() : c == '"' ? double_quoted() : dollar();
        if (!part) return part;
        if (c == '$') {
          words.add_string(*part);
        } else {
          words.add_raw_string(*part);
        }
        result += *part;
        continue;
      }
      next();
      if (c == escape_) {
        if (at_end()) break;  // an escape at the very end is dropped
        const char escaped = next();
        words.add_raw_char(escaped);
        result += escaped;
        continue;
      }
      words.add_char(c);
      result += c;
    }
    if (stop != kEndOfText) {
      return fail(std::string("unexpected end of statement while looking for matching ") +
                  static_cast<char>(stop));
    }
    return result;
  }

  Result<std::string> single_quoted() {
    next();  // '
    const size_t close = text_.find('\'', pos_);
    if (close == std::string_view::npos) {
      return fail("unexpected end of statement while looking for matching single-quote");
    }
    std::string result(text_.substr(pos_, close - pos_));
    pos_ = close + 1;
    return result;
  }

  bool escapable_in_double_quotes(char c) const {
    return c == '$' || c == '"' || c == escape_ || c == '\n';
  }

  Result<std::string> double_quoted() {
    next();  // "
    std::string result;
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return result;
      }
      if (c == '$') {
        result += KRILL_TRY(dollar());
        continue;
      }
      next();
      if (c == escape_ && !at_end() && escapable_in_double_quotes(text_[pos_])) {
        result += next();
        continue;
      }
      result += c;
    }
    return fail("unexpected end of statement while looking for matching double-quote");
  }

  std::string read_name() {
    const size_t start = pos_;
    if (!at_end() && is_name_start(text_[pos_])) {
      while (!at_end() && is_name_char(text_[pos_])) ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (!lookup_) return std::nullopt;
    return lookup_(name);
  }

  Result<std::string> dollar() {
    next();  // $
    if (at_end()) return std::string("$");
    if (text_[pos_] != '{') {
      const std::string name = read_name();
      if (name.empty()) return std::string("$");
      return lookup(name).value_or("");
    }
    next();  // {
    if (at_end()) return fail("syntax error: missing '}'");
    const std::string name = read_name();
    if (name.empty()) return fail("syntax error: bad substitution");
    if (at_end()) return fail("syntax error: missing '}'");
    const char c = next();
    if (c == '}') return lookup(name).value_or("");
    bool empty_is_unset = false;
    char modifier = c;
    if (c == ':') {
      if (at_end()) return fail("syntax error: missing '}'");
      modifier = next();
      empty_is_unset = true;
    }
    if (modifier != '-' && modifier != '+') {
      return fail(std::string("unsupported modifier (") + modifier + ") in substitution");
    }
    WordCollector ignored;
    const std::string word = KRILL_TRY(process_until('}', ignored));
    const std::optional<std::string> value = lookup(name);
    const bool set = value.has_value() && !(empty_is_unset && value->empty());
    if (modifier == '-') return set ? *value : word;
    return set ? word : std::string();
  }

  std::string_view text_;
  const VariableLookup& lookup_;
  char escape_;
  size_t pos_ = 0;
  bool raw_ = false;
};

std::unexpected<Error> processing_failed(std::string_view text, const Error& error) {
  return fail("failed to process \"" + std::string(text) + "\": " + error.message());
}

}  // namespace

Result<std::string> expand_word(std::string_view text, const VariableLookup& lookup, char escape) {
  Lexer lexer(text, lookup, escape);
  auto result = lexer.process_all(nullptr);
  if (!result) return processing_failed(text, result.error());
  return result;
}

Result<std::string> expand_variables(std::string_view text, const VariableLookup& lookup) {
  Lexer lexer(text, lookup, '\\');
  lexer.keep_quotes_and_escapes();
  auto result = lexer.process_all(nullptr);
  if (!result) return processing_failed(text, result.error());
  return result;
}

Result<std::vector<std::string>> expand_words(std::string_view text, const VariableLookup& lookup,
                                              char escape) {
  Lexer lexer(text, lookup, escape);
  std::vector<std::string> words;
  auto result = lexer.process_all(&words);
  if (!result) return processing_failed(text, result.error());
  return words;
}

// Docker's parseWords (parser/line_parsers.go): quotes and escapes are kept; an escape makes
// the next character part of the word (a quote too); single quotes escape nothing.
Result<std::vector<std::string>> split_raw_words(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quote == 0 && is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    if (c == escape && quote != '\'') {
      if (pos + 1 == text.size()) break;  // an escape at the very end is dropped
      in_word = true;
      word += c;
      word += text[++pos];
      continue;
    }
    in_word = true;
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
    word += c;
  }
  if (quote != 0) {
    return processing_failed(
        text, Error(std::string("unexpected end of statement while looking for matching ") +
                    (quote == '"' ? "double-quote" : "single-quote")));
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace krill::build
