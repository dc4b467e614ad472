#include "base/toml_subset.h"

#include <charconv>

namespace krill::toml {

const Value* Value::find(std::string_view key) const {
  for (const Entry& e : table)
    if (e.key == key) return &e.value;
  return nullptr;
}

Value* Value::find(std::string_view key) {
  for (Entry& e : table)
    if (e.key == key) return &e.value;
  return nullptr;
}

const char* Value::kind_name(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "a string";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInteger:
      return "an integer";
    case Kind::kArray:
      return "an array";
    case Kind::kTable:
      return "a table";
  }
  return "a value";
}

namespace {

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  // Set when document() fails.
  const SyntaxError& syntax_error() const { return syntax_error_; }

  Result<Value> document() {
    Value root;
    root.explicitly_defined = true;
    Value* current = &root;
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte-order mark
    while (true) {
      skip_blank_lines();
      if (eof()) break;
      statement_line_ = line_;
      statement_key_.clear();
      if (peek() == '[') {
        part_ = SyntaxError::Part::kHeader;
        current = KRILL_TRY(header(root));
      } else {
        part_ = SyntaxError::Part::kKey;
        KRILL_CHECK(key_value(*current, /*top_level=*/true));
        part_ = SyntaxError::Part::kAfterValue;
      }
      KRILL_CHECK(end_of_line());
    }
    return root;
  }

 private:
  bool eof() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void advance() {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }

  std::unexpected<Error> error(const std::string& what) { return error_at(line_, what); }
  std::unexpected<Error> error_at(int line, const std::string& what) {
    syntax_error_ = SyntaxError{part_, line, statement_line_, statement_key_, what};
    return fail(what);
  }
  std::unexpected<Error> structure_error_at(int line, const std::string& what) {
    part_ = SyntaxError::Part::kStructure;
    return error_at(line, what);
  }

  void skip_spaces() {
    while (!eof() && (peek() == ' ' || peek() == '\t')) advance();
  }
  void skip_comment() {
    if (peek() == '#')
      while (!eof() && peek() != '\n') advance();
  }
  // Whitespace, newlines and comments (between statements and inside arrays).
  void skip_blank_lines() {
    while (!eof()) {
      skip_spaces();
      skip_comment();
      if (peek() == '\r' && peek(1) == '\n') advance();
      if (peek() == '\n') {
        advance();
        continue;
      }
      break;
    }
  }
  Result<void> end_of_line() {
    skip_spaces();
    skip_comment();
    if (eof()) return {};
    if (peek() == '\r' && peek(1) == '\n') advance();
    if (peek() != '\n')
      return error("expected the end of the line, found '" + std::string(1, peek()) + "'");
    advance();
    return {};
  }

  Result<std::string> simple_key() {
    if (peek() == '"') {
      if (peek(1) == '"' && peek(2) == '"') return error("multi-line strings are not supported");
      return basic_string();
    }
    if (peek() == '\'') return literal_string();
    size_t start = pos_;
    while (!eof() && is_bare_key_char(peek())) advance();
    if (pos_ == start) {
      if (eof() || peek() == '\n') return error("expected a key");
      return error("invalid character '" + std::string(1, peek()) + "' in a key");
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<std::vector<std::string>> dotted_key() {
    std::vector<std::string> parts;
    while (true) {
      skip_spaces();
      parts.push_back(KRILL_TRY(simple_key()));
      skip_spaces();
      if (peek() != '.') return parts;
      advance();
    }
  }

  std::string join(const std::vector<std::string>& parts, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += (i ? "." : "") + parts[i];
    return out;
  }

  // Descends through intermediate tables, creating them implicitly; an array of tables
  // resolves to its last element.
  Result<Value*> descend(Value& from, const std::vector<std::string>& parts, size_t n, int line) {
    Value* node = &from;
    for (size_t i = 0; i < n; ++i) {
      Value* child = node->find(parts[i]);
      if (child == nullptr) {
        node->table.push_back(Entry{parts[i], Value{}});
        child = &node->table.back().value;
        child->kind = Value::Kind::kTable;
        child->line = line;
      } else if (child->kind == Value::Kind::kArray && child->is_table_array) {
        child = &child->array.back();
      } else if (child->kind != Value::Kind::kTable) {
        return structure_error_at(line, "key \"" + join(parts, i + 1) + "\" is " +
                                            Value::kind_name(child->kind) + ", not a table");
      }
      node = child;
    }
    return node;
  }

  Result<Value*> header(Value& root) {
    int line = line_;
    advance();  // '['
    bool array_of_tables = peek() == '[';
    if (array_of_tables) advance();
    std::vector<std::string> parts = KRILL_TRY(dotted_key());
    skip_spaces();
    if (peek() != ']') return error("expected ']' to close the table header");
    advance();
    if (array_of_tables) {
      if (peek() != ']') return error("expected ']]' to close the array-of-tables header");
      advance();
    }
    std::string name = join(parts, parts.size());
    Value* parent = KRILL_TRY(descend(root, parts, parts.size() - 1, line));
    Value* existing = parent->find(parts.back());
    Value table;
    table.kind = Value::Kind::kTable;
    table.line = line;
    table.explicitly_defined = true;
    if (array_of_tables) {
      if (existing == nullptr) {
        Value array;
        array.kind = Value::Kind::kArray;
        array.is_table_array = true;
        array.line = line;
        parent->table.push_back(Entry{parts.back(), std::move(array)});
        existing = &parent->table.back().value;
      } else if (existing->kind != Value::Kind::kArray || !existing->is_table_array) {
        return structure_error_at(line, "[[" + name + "]] redefines " +
                                            Value::kind_name(existing->kind) + " defined on line " +
                                            std::to_string(existing->line));
      }
      existing->array.push_back(std::move(table));
      return &existing->array.back();
    }
    if (existing == nullptr) {
      parent->table.push_back(Entry{parts.back(), std::move(table)});
      return &parent->table.back().value;
    }
    if (existing->kind != Value::Kind::kTable || existing->explicitly_defined)
      return structure_error_at(
          line, "[" + name + "] is already defined on line " + std::to_string(existing->line));
    existing->explicitly_defined = true;
    return existing;
  }

  // `top_level`: a statement of its own, not a key = value inside an inline table.
  Result<void> key_value(Value& table, bool top_level) {
    int line = line_;
    std::vector<std::string> parts = KRILL_TRY(dotted_key());
    if (top_level) statement_key_ = join(parts, parts.size());
    skip_spaces();
    if (peek() != '=') return error("expected '=' after key \"" + join(parts, parts.size()) + "\"");
    advance();
    skip_spaces();
    if (top_level) part_ = SyntaxError::Part::kValue;
    Value v = KRILL_TRY(value());
    Value* parent = KRILL_TRY(descend(table, parts, parts.size() - 1, line));
    if (const Value* existing = parent->find(parts.back()))
      return structure_error_at(line, "duplicate key \"" + join(parts, parts.size()) +
                                          "\" (first defined on line " +
                                          std::to_string(existing->line) + ")");
    parent->table.push_back(Entry{parts.back(), std::move(v)});
    return {};
  }

  Result<Value> value() {
    Value v;
    v.line = line_;
    char c = peek();
    if (c == '"') {
      if (peek(1) == '"' && peek(2) == '"') return error("multi-line strings are not supported");
      v.kind = Value::Kind::kString;
      v.string = KRILL_TRY(basic_string());
    } else if (c == '\'') {
      if (peek(1) == '\'' && peek(2) == '\'') return error("multi-line strings are not supported");
      v.kind = Value::Kind::kString;
      v.string = KRILL_TRY(literal_string());
    } else if (c == '[') {
      v.kind = Value::Kind::kArray;
      advance();
      while (true) {
        skip_blank_lines();
        if (eof()) return error_at(v.line, "unterminated array");
        if (peek() == ']') break;
        v.array.push_back(KRILL_TRY(value()));
        skip_blank_lines();
        if (peek() == ',') {
          advance();
          continue;
        }
        if (peek() != ']') return error("expected ',' or ']' in an array");
      }
      advance();
    } else if (c == '{') {
      v.kind = Value::Kind::kTable;
      v.explicitly_defined = true;
      advance();
      skip_spaces();
      if (peek() == '}') {
        advance();
        return v;
      }
      while (true) {
        skip_spaces();
        KRILL_CHECK(key_value(v, /*top_level=*/false));
        skip_spaces();
        if (peek() == ',') {
          advance();
          continue;
        }
        if (peek() == '}') break;
        return error("expected ',' or '}' in an inline table");
      }
      advance();
    } else {
      size_t start = pos_;
      while (!eof() &&
             (is_bare_key_char(peek()) || peek() == '+' || peek() == '.' || peek() == ':'))
        advance();
      std::string_view word = text_.substr(start, pos_ - start);
      if (word == "true" || word == "false") {
        v.kind = Value::Kind::kBool;
        v.boolean = word == "true";
        return v;
      }
      std::string digits;
      for (char d : word)
        if (d != '_') digits += d;
      if (!digits.empty() && digits.front() == '+') digits.erase(0, 1);
      int64_t n = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (!word.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
          !digits.empty()) {
        v.kind = Value::Kind::kInteger;
        v.integer = n;
        return v;
      }
      if (word.empty()) {
        if (eof() || peek() == '\n' || peek() == '#') return error_at(v.line, "missing value");
        return error_at(v.line, "unexpected character '" + std::string(1, peek()) + "' in a value");
      }
      return error_at(v.line, "unsupported value \"" + std::string(word) +
                                  "\" (expected a string, boolean, integer, array or table)");
    }
    return v;
  }

  Result<std::string> basic_string() {
    int line = line_;
    advance();  // '"'
    std::string out;
    while (true) {
      if (eof() || peek() == '\n') return error_at(line, "unterminated string");
      char c = peek();
      advance();
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (eof()) return error_at(line, "unterminated string");
      char e = peek();
      advance();
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 't':
          out += '\t';
          break;
        case 'n':
          out += '\n';
          break;
        case 'f':
          out += '\f';
          break;
        case 'r':
          out += '\r';
          break;
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 'u':
        case 'U': {
          size_t len = e == 'u' ? 4 : 8;
          if (pos_ + len > text_.size())
            return error("truncated \\" + std::string(1, e) + " escape");
          uint32_t cp = 0;
          auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + len, cp, 16);
          if (ec != std::errc() || end != text_.data() + pos_ + len || cp > 0x10FFFF ||
              (cp >= 0xD800 && cp <= 0xDFFF))
            return error("invalid \\" + std::string(1, e) + " escape");
          for (size_t i = 0; i < len; ++i) advance();
          append_utf8(out, cp);
          break;
        }
        default:
          return error("invalid escape \\" + std::string(1, e) + " in a string");
      }
    }
  }

  Result<std::string> literal_string() {
    int line = line_;
    advance();
    size_t start = pos_;
    while (!eof() && peek() != '\'' && peek() != '\n') advance();
    if (eof() || peek() != '\'') return error_at(line, "unterminated string");
    std::string out(text_.substr(start, pos_ - start));
    advance();
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  // What is being read, for SyntaxError.
  SyntaxError::Part part_ = SyntaxError::Part::kKey;
  int statement_line_ = 1;
  std::string statement_key_;
  SyntaxError syntax_error_;
};

}  // namespace

std::expected<Value, SyntaxError> parse_detailed(std::string_view text) {
  Parser parser(text);
  auto document = parser.document();
  if (!document) return std::unexpected(parser.syntax_error());
  return std::move(*document);
}

Result<Value> parse(std::string_view text, std::string_view file_name) {
  auto document = parse_detailed(text);
  if (!document) {
    return fail(std::string(file_name) + ":" + std::to_string(document.error().line) + ": " +
                document.error().what);
  }
  return std::move(*document);
}

}  // namespace krill::toml
