// Internal to krill_image: a small, strict TOML reader for registries.conf.
//
// Why not toml++: registries.conf uses a handful of TOML features (strings, booleans,
// arrays, tables, arrays of tables, comments), the library is not in our dependency
// list, and a strict subset gives us errors with file and line numbers in krill's
// style. Supported: comments; bare, quoted and dotted keys; basic strings with
// escapes and literal strings; booleans; decimal integers; arrays (multi-line,
// trailing comma); inline tables; [table] and [[array.of.tables]] headers.
// Rejected with a line-numbered error: multi-line strings, floats, dates, duplicate
// keys or tables, anything else outside that subset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::image::toml {

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

// Parses `text`; errors read "<file_name>:<line>: <what>".
Result<Value> parse(std::string_view text, std::string_view file_name);

}  // namespace krill::image::toml
