// `--format` for krill's listing and inspect commands: a subset of Go's text/template as podman
// users write it, applied to nlohmann::json values.
//
//   {{.Field}} {{.A.B}} {{.}}               fields (exact key, else case-insensitive)
//   {{json .}} {{json .Config}}             JSON of a value
//   {{index .Labels "key"}}                 map key / array index
//   {{upper .X}} {{lower .X}} {{title .X}}  {{join .List ","}} {{len .List}} {{truncate .Id 12}}
//   {{.X | upper}}                          pipelines (the value becomes the last argument)
//   {{range .List}}..{{.}}..{{else}}..{{end}}   {{if .X}}..{{else if .Y}}..{{else}}..{{end}}
//   {{with .X}}..{{end}}  {{- trim -}}  ( ) grouping  "strings" `raw` 12 true false
//   "\t" and "\n" written as two characters in the text become a tab and a newline (as podman).
//   "table " prefix: a header row derived from the field names, columns aligned.
//   "json" alone: the values as JSON.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::cli {

struct TemplateNode;

class FormatTemplate {
 public:
  // Errors name the position: `template: col 7: unclosed action`.
  static Result<FormatTemplate> parse(std::string_view text);

  FormatTemplate(FormatTemplate&&) noexcept;
  FormatTemplate& operator=(FormatTemplate&&) noexcept;
  ~FormatTemplate();

  // Runs the template on `data`. Errors: `template: col 3: executing <.Nope>: can't evaluate
  // field Nope`.
  Result<std::string> execute(const nlohmann::json& data) const;

  // True when the text started with "table".
  bool is_table() const { return table_; }
  // The header row for a table: each action replaced by its field's header (the last field
  // name, CamelCase split into words, uppercased; `overrides` by field name first, e.g.
  // {"ID", "IMAGE ID"}), literal text kept.
  std::string header(const std::map<std::string, std::string>& overrides = {}) const;

 private:
  FormatTemplate() = default;
  std::vector<std::unique_ptr<TemplateNode>> nodes_;
  bool table_ = false;
};

// "CreatedAt" -> "CREATED AT", "ID" -> "ID", "RepoTags" -> "REPO TAGS".
std::string header_for_field(std::string_view field);

// Aligns tab-separated cells into columns as Go's tabwriter does for podman (minimum width 12,
// padding 2, spaces); the last cell of a line is not padded.
std::string align_columns(std::string_view text, size_t min_width = 12, size_t padding = 2);

// Converts the two-character escapes "\t" and "\n" to a tab and a newline.
std::string unescape_format(std::string_view text);

// What `--format` does for a list of rows:
//   "json"            -> a JSON array (pretty, 4 spaces, as podman)
//   "table ..."       -> header + one line per row, aligned
//   other templates   -> one execution per row, each ending in a newline
// `default_table` is used when `format` is empty.
Result<std::string> render_rows(std::string_view format, const std::vector<nlohmann::json>& rows,
                                std::string_view default_table,
                                const std::map<std::string, std::string>& headers = {});

// The same for one value (inspect): "json"/empty -> pretty JSON; a template -> its output
// with a trailing newline.
Result<std::string> render_value(std::string_view format, const nlohmann::json& value);

// Go's default printing of a value: strings raw, null "<no value>", arrays "[a b]",
// objects "map[k:v]".
std::string go_print(const nlohmann::json& value);

}  // namespace krill::cli
