#include "cli/krill/format_template.h"

#include <gtest/gtest.h>

namespace krill::cli {
namespace {

using nlohmann::json;

std::string run(std::string_view text, const json& data) {
  auto t = FormatTemplate::parse(text);
  EXPECT_TRUE(t) << (t ? "" : t.error().message());
  if (!t) return "<parse error>";
  auto out = t->execute(data);
  EXPECT_TRUE(out) << (out ? "" : out.error().message());
  return out ? *out : "<exec error>";
}

std::string parse_error(std::string_view text) {
  auto t = FormatTemplate::parse(text);
  return t ? "" : t.error().message();
}

std::string exec_error(std::string_view text, const json& data) {
  auto t = FormatTemplate::parse(text);
  if (!t) return "parse: " + t.error().message();
  auto out = t->execute(data);
  return out ? "" : out.error().message();
}

const json kImage = {{"Repository", "docker.io/library/busybox"},
                     {"Tag", "latest"},
                     {"ID", "0123456789ab"},
                     {"Size", 4200000},
                     {"Names", {"a", "b"}},
                     {"Empty", json::array()},
                     {"Labels", {{"maintainer", "me"}, {"a.b", "c"}}},
                     {"Config", {{"Env", {"PATH=/bin", "X=1"}}, {"User", "root"}}},
                     {"Dangling", false},
                     {"Null", nullptr}};

TEST(FormatTemplate, LiteralTextAndFields) {
  EXPECT_EQ(run("{{.Repository}}:{{.Tag}}", kImage), "docker.io/library/busybox:latest");
  EXPECT_EQ(run("plain", kImage), "plain");
  EXPECT_EQ(run("{{.Size}}", kImage), "4200000");
  EXPECT_EQ(run("{{.Dangling}}", kImage), "false");
}

TEST(FormatTemplate, NestedFieldsAndCaseInsensitiveMatch) {
  EXPECT_EQ(run("{{.Config.User}}", kImage), "root");
  EXPECT_EQ(run("{{.config.user}}", kImage), "root");
  EXPECT_EQ(run("{{.Null.X}}", kImage), "<no value>");
}

TEST(FormatTemplate, EscapesBecomeTabsAndNewlines) {
  EXPECT_EQ(run("{{.Tag}}\\t{{.ID}}\\n", kImage), "latest\t0123456789ab\n");
  EXPECT_EQ(unescape_format("a\\tb\\nc\\x"), "a\tb\nc\\x");
}

TEST(FormatTemplate, GoPrintingOfCompositeValues) {
  EXPECT_EQ(run("{{.Names}}", kImage), "[a b]");
  EXPECT_EQ(run("{{.Config.Env}}", kImage), "[PATH=/bin X=1]");
  EXPECT_EQ(run("{{.Labels}}", kImage), "map[a.b:c maintainer:me]");
  EXPECT_EQ(run("{{.Null}}", kImage), "<no value>");
}

TEST(FormatTemplate, Json) {
  EXPECT_EQ(run("{{json .Names}}", kImage), "[\"a\",\"b\"]");
  EXPECT_EQ(run("{{json .Config.User}}", kImage), "\"root\"");
  EXPECT_EQ(run("{{json .}}", json{{"a", 1}}), "{\"a\":1}");
  EXPECT_EQ(run("{{.Names | json}}", kImage), "[\"a\",\"b\"]");
}

TEST(FormatTemplate, Range) {
  EXPECT_EQ(run("{{range .Names}}<{{.}}>{{end}}", kImage), "<a><b>");
  EXPECT_EQ(run("{{range .Config.Env}}{{.}}\\n{{end}}", kImage), "PATH=/bin\nX=1\n");
  EXPECT_EQ(run("{{range .Empty}}x{{else}}none{{end}}", kImage), "none");
  EXPECT_EQ(run("{{range .Labels}}{{.}},{{end}}", kImage), "c,me,");
}

TEST(FormatTemplate, IfElse) {
  EXPECT_EQ(run("{{if .Dangling}}yes{{else}}no{{end}}", kImage), "no");
  EXPECT_EQ(run("{{if .Names}}has{{end}}", kImage), "has");
  EXPECT_EQ(run("{{if .Empty}}has{{end}}", kImage), "");
  EXPECT_EQ(run("{{if .Null}}a{{else if .Tag}}b{{else}}c{{end}}", kImage), "b");
  EXPECT_EQ(run("{{if eq .Tag \"latest\"}}L{{end}}", kImage), "L");
  EXPECT_EQ(run("{{if not .Dangling}}named{{end}}", kImage), "named");
}

TEST(FormatTemplate, With) {
  EXPECT_EQ(run("{{with .Config}}{{.User}}{{end}}", kImage), "root");
  EXPECT_EQ(run("{{with .Null}}x{{else}}y{{end}}", kImage), "y");
}

TEST(FormatTemplate, Index) {
  EXPECT_EQ(run("{{index .Labels \"maintainer\"}}", kImage), "me");
  EXPECT_EQ(run("{{index .Labels \"a.b\"}}", kImage), "c");
  EXPECT_EQ(run("{{index .Labels \"missing\"}}", kImage), "<no value>");
  EXPECT_EQ(run("{{index .Names 1}}", kImage), "b");
  EXPECT_EQ(run("{{json (index .Config \"Env\")}}", kImage), "[\"PATH=/bin\",\"X=1\"]");
}

TEST(FormatTemplate, StringFunctionsAndPipes) {
  EXPECT_EQ(run("{{.Tag | upper}}", kImage), "LATEST");
  EXPECT_EQ(run("{{upper .Tag}}", kImage), "LATEST");
  EXPECT_EQ(run("{{lower \"ABC\"}}", kImage), "abc");
  EXPECT_EQ(run("{{title \"hello world\"}}", kImage), "Hello World");
  EXPECT_EQ(run("{{join .Names \",\"}}", kImage), "a,b");
  EXPECT_EQ(run("{{len .Names}}", kImage), "2");
  EXPECT_EQ(run("{{truncate .ID 4}}", kImage), "0123");
}

TEST(FormatTemplate, TrimMarkers) { EXPECT_EQ(run("a  {{- .Tag -}}  b", kImage), "alatestb"); }

TEST(FormatTemplate, ParseErrorsNamePosition) {
  EXPECT_EQ(parse_error("{{.Tag"), "template: col 1: unclosed action");
  EXPECT_EQ(parse_error("ab{{if .X}}x"), "template: col 3: unexpected EOF: missing {{end}} for if");
  EXPECT_EQ(parse_error("{{end}}"), "template: col 1: unexpected {{end}}");
  EXPECT_EQ(parse_error("{{.A}}{{nosuch .B}}"), "");  // functions resolve at execution
  EXPECT_EQ(parse_error("{{ \"abc }}"), "template: col 1: unclosed action");
  EXPECT_EQ(parse_error("table {{.A"), "template: col 7: unclosed action");
  EXPECT_EQ(parse_error("{{}}"), "template: col 1: missing value for command");
  EXPECT_EQ(parse_error("{{.A ; .B}}"), "template: col 6: unexpected \";\" in action");
}

TEST(FormatTemplate, ExecutionErrors) {
  EXPECT_EQ(exec_error("{{.Nope}}", kImage),
            "template: col 3: executing <.Nope>: can't evaluate field Nope");
  EXPECT_EQ(exec_error("{{.Tag.X}}", kImage),
            "template: col 3: executing <.Tag.X>: can't evaluate field X in type string");
  EXPECT_EQ(exec_error("{{nosuch .Tag}}", kImage),
            "template: col 3: function \"nosuch\" not defined");
  EXPECT_EQ(exec_error("{{range .Tag}}{{end}}", kImage),
            "template: col 1: range can't iterate over latest");
  EXPECT_NE(exec_error("{{index .Names 5}}", kImage).find("index out of range"), std::string::npos);
}

TEST(FormatTemplate, TableHeaders) {
  auto t = FormatTemplate::parse("table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedAt}}");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->is_table());
  EXPECT_EQ(t->header(), "REPOSITORY\tTAG\tID\tCREATED AT");
  EXPECT_EQ(t->header({{"ID", "IMAGE ID"}}), "REPOSITORY\tTAG\tIMAGE ID\tCREATED AT");
  auto plain = FormatTemplate::parse("{{.A}}");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->is_table());
  auto fn = FormatTemplate::parse("table {{json .Config.Env}} {{.Size | upper}}");
  ASSERT_TRUE(fn);
  EXPECT_EQ(fn->header(), "ENV SIZE");
}

TEST(FormatTemplate, HeaderForField) {
  EXPECT_EQ(header_for_field("ID"), "ID");
  EXPECT_EQ(header_for_field("CreatedAt"), "CREATED AT");
  EXPECT_EQ(header_for_field("RepoTags"), "REPO TAGS");
  EXPECT_EQ(header_for_field("HTTPProxy"), "HTTP PROXY");
  EXPECT_EQ(header_for_field("Size"), "SIZE");
}

TEST(FormatTemplate, AlignColumns) {
  EXPECT_EQ(align_columns("A\tB\nlonger-than-12\tC\n"), "A               B\nlonger-than-12  C\n");
  EXPECT_EQ(align_columns("x\ty"), "x           y");
}

TEST(RenderRows, TableJsonAndPlain) {
  std::vector<json> rows = {{{"Repository", "busybox"}, {"Tag", "latest"}},
                            {{"Repository", "alpine"}, {"Tag", "3.19"}}};
  auto table = render_rows("", rows, "table {{.Repository}}\t{{.Tag}}", {});
  ASSERT_TRUE(table);
  EXPECT_EQ(*table, "REPOSITORY  TAG\nbusybox     latest\nalpine      3.19\n");
  auto plain = render_rows("{{.Repository}}", rows, "table {{.Repository}}", {});
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "busybox\nalpine\n");
  auto js = render_rows("json", rows, "", {});
  ASSERT_TRUE(js);
  EXPECT_EQ(json::parse(*js), json(rows));
  auto bad = render_rows("{{.Nope}}", rows, "", {});
  ASSERT_FALSE(bad);
}

TEST(RenderValue, JsonDefaultAndTemplate) {
  json v = {{"Id", "abc"}};
  EXPECT_EQ(*render_value("", v), v.dump(4) + "\n");
  EXPECT_EQ(*render_value("{{.Id}}", v), "abc\n");
}

}  // namespace
}  // namespace krill::cli
