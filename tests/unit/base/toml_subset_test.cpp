#include "base/toml_subset.h"

#include <gtest/gtest.h>

#include <string>

namespace krill::toml {
namespace {

using Part = SyntaxError::Part;

TEST(TomlSubset, ReadsTheSupportedForms) {
  auto doc = parse(R"(# comment
top = "a\tb\u00e9"
literal = 'C:\raw'
flag = true
count = 1_000
list = [
  "x",  # one
  'y',
]
inline = {a = 1, b.c = "d"}
dotted.key = "v"

[table]   # a header
k = "v"

[[array.of]]
n = 1
[[array.of]]
n = 2
)",
                   "t.toml");
  ASSERT_TRUE(doc) << doc.error().message();
  EXPECT_EQ(doc->find("top")->string, "a\tb\xC3\xA9");
  EXPECT_EQ(doc->find("literal")->string, "C:\\raw");
  EXPECT_TRUE(doc->find("flag")->boolean);
  EXPECT_EQ(doc->find("count")->integer, 1000);
  const Value* list = doc->find("list");
  ASSERT_EQ(list->kind, Value::Kind::kArray);
  ASSERT_EQ(list->array.size(), 2u);
  EXPECT_EQ(list->array[1].string, "y");
  EXPECT_EQ(list->line, 6);
  EXPECT_EQ(doc->find("inline")->find("b")->find("c")->string, "d");
  EXPECT_EQ(doc->find("dotted")->find("key")->string, "v");
  EXPECT_EQ(doc->find("table")->find("k")->string, "v");
  const Value* array = doc->find("array")->find("of");
  ASSERT_TRUE(array->is_table_array);
  ASSERT_EQ(array->array.size(), 2u);
  EXPECT_EQ(array->array[1].find("n")->integer, 2);
}

TEST(TomlSubset, ErrorsNameFileAndLine) {
  auto doc = parse("a = 1\n\nb = [1,\n2,\n", "t.toml");
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().message(), "t.toml:3: unterminated array");
  doc = parse("a = 1\na = 2\n", "t.toml");
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().message(), "t.toml:2: duplicate key \"a\" (first defined on line 1)");
}

SyntaxError error_of(std::string_view text) {
  auto doc = parse_detailed(text);
  EXPECT_FALSE(doc) << text;
  return doc ? SyntaxError{} : doc.error();
}

TEST(TomlSubset, SyntaxErrorsSayWhereTheyWereFound) {
  SyntaxError e = error_of("[ok]\n\nkey \"x\"\n");
  EXPECT_EQ(e.part, Part::kKey);
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.statement_line, 3);
  EXPECT_EQ(e.what, "expected '=' after key \"key\"");

  e = error_of("a = [\n\"x\"\n\"y\"]\n");
  EXPECT_EQ(e.part, Part::kValue);
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.statement_line, 1);
  EXPECT_EQ(e.key, "a");

  e = error_of("a.b = {c = }\n");  // an error inside an inline table is in the value
  EXPECT_EQ(e.part, Part::kValue);
  EXPECT_EQ(e.key, "a.b");

  e = error_of("x = \"a\n");
  EXPECT_EQ(e.part, Part::kValue);
  EXPECT_EQ(e.what, "unterminated string");

  e = error_of("\nname = [\n'a',\n] junk\n");
  EXPECT_EQ(e.part, Part::kAfterValue);
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.statement_line, 2);
  EXPECT_EQ(e.key, "name");

  EXPECT_EQ(error_of("[net\n").part, Part::kHeader);
  EXPECT_EQ(error_of("[]\n").part, Part::kHeader);
  EXPECT_EQ(error_of("[a] b\n").part, Part::kHeader);

  e = error_of("[a]\nx = 1\n[a]\n");
  EXPECT_EQ(e.part, Part::kStructure);
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.what, "[a] is already defined on line 1");
  EXPECT_EQ(error_of("x = 1\nx = 2\n").part, Part::kStructure);
  EXPECT_EQ(error_of("x = 1\nx.y = 2\n").part, Part::kStructure);
}

}  // namespace
}  // namespace krill::toml
