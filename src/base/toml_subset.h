// A small, strict TOML reader for krill's configuration files (registries.conf, krill.conf).
//
// Why not toml++: these files use a handful of TOML features (strings, booleans,
// arrays, tables, arrays of tables, comments), the library is not in our dependency
// list, and a strict subset gives us errors with file and line numbers in krill's
// style. Supported: comments; bare, quoted and dotted keys; basic strings with
// escapes and literal strings; booleans; decimal integers; arrays (multi-line,
// trailing comma); inline tables; [table] and [[array.of.tables]] headers.
// Rejected with a line-numbered error: multi-line strings, floats, dates, duplicate
// keys or tables, anything else outside that subset.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::toml {

struct Entry;

struct Value {
  enum class Kind { kString, kBool, kInteger, kArray, kTable };
  Kind kind = Kind::kTable;
  int line = 0;  // where the value (or table header) starts
  std::string string;
  bool boolean = false;
  int64_t integer = 0;
  std::vector<Value> array;         // kArray
  std::vector<Entry> table;         // kTable, in document order
  bool is_table_array = false;      // kArray created by [[header]]
  bool explicitly_defined = false;  // kTable created by a [header] or inline

  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  static const char* kind_name(Kind kind);
};

struct Entry {
  std::string key;
  Value value;
};

// A syntax (or structure) error with where it was found, for callers that word errors their own
// way.
struct SyntaxError {
  enum class Part {
    kHeader,      // in a [table] or [[array.of.tables]] line
    kKey,         // in the key of a top-level key = value, or its '='
    kValue,       // in the value of a top-level key = value (inline tables and arrays included)
    kAfterValue,  // something other than a comment after a complete key = value
    kStructure,   // a duplicate key or table, or a key used both as a value and as a table
  };
  Part part = Part::kStructure;
  int line = 0;            // where the error was found
  int statement_line = 0;  // where the key = value or header it is in starts
  std::string key;         // the (dotted) key of that key = value, once read
  std::string what;        // e.g. "unterminated string"
};

// Parses `text`; errors read "<file_name>:<line>: <what>".
Result<Value> parse(std::string_view text, std::string_view file_name);
// The same, with the error in parts.
std::expected<Value, SyntaxError> parse_detailed(std::string_view text);

}  // namespace krill::toml
