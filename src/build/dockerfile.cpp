// The Dockerfile parser follows BuildKit's frontend/dockerfile/parser (lines, directives,
// continuations, heredocs, flags, JSON) and the argument checks of its instructions package.
#include "build/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "build/shell_words.h"

namespace krill::build {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  return text;
}

std::string_view trim(std::string_view text) {
  text = trim_left(text);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string to_upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Whitespace-separated fields, no quoting (Docker's parseStringsWhitespaceDelimited).
std::vector<std::string> whitespace_fields(std::string_view text) {
  std::vector<std::string> fields;
  size_t pos = 0;
  while (true) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos == text.size()) break;
    const size_t start = pos;
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    fields.emplace_back(text.substr(start, pos - start));
  }
  return fields;
}

// ---- instruction tables -------------------------------------------------------------------

const std::map<std::string, std::set<std::string>, std::less<>>& known_instructions() {
  static const std::map<std::string, std::set<std::string>, std::less<>> flags_by_keyword = {
      {"FROM", {"platform"}},
      {"RUN", {"mount", "network", "security"}},
      {"CMD", {}},
      {"LABEL", {}},
      {"MAINTAINER", {}},
      {"EXPOSE", {}},
      {"ENV", {}},
      {"ADD", {"checksum", "chown", "chmod", "link", "keep-git-dir", "exclude"}},
      {"COPY", {"from", "chown", "chmod", "link", "parents", "exclude"}},
      {"ENTRYPOINT", {}},
      {"VOLUME", {}},
      {"USER", {}},
      {"WORKDIR", {}},
      {"ARG", {}},
      {"ONBUILD", {}},
      {"STOPSIGNAL", {}},
      {"HEALTHCHECK", {"interval", "timeout", "start-period", "start-interval", "retries"}},
      {"SHELL", {}},
  };
  return flags_by_keyword;
}

bool accepts_json(std::string_view keyword) {
  return keyword == "RUN" || keyword == "CMD" || keyword == "ENTRYPOINT" || keyword == "SHELL" ||
         keyword == "VOLUME" || keyword == "COPY" || keyword == "ADD";
}

bool can_have_heredocs(std::string_view keyword) {
  return keyword == "RUN" || keyword == "COPY" || keyword == "ADD";
}

// ---- lines and directives -----------------------------------------------------------------

// The text's lines without their line ends ("\n" or "\r\n"), numbered from 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // byte-order mark
  }

  std::optional<std::string_view> next() {
    if (pos_ >= text_.size()) return std::nullopt;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++number_;
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
  }

  int number() const { return number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int number_ = 0;
};

struct Directive {
  std::string name;  // lower case
  std::string value;
};

// `#[ \t]*name[ \t]*=[ \t]*value[ \t]*` with name [A-Za-z][A-Za-z0-9]*.
std::optional<Directive> parse_directive_line(std::string_view line) {
  auto skip_blanks = [&line] {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  };
  if (!line.starts_with('#')) return std::nullopt;
  line.remove_prefix(1);
  skip_blanks();
  if (line.empty() || !std::isalpha(static_cast<unsigned char>(line.front()))) return std::nullopt;
  size_t name_end = 0;
  while (name_end < line.size() && std::isalnum(static_cast<unsigned char>(line[name_end]))) {
    ++name_end;
  }
  Directive directive{to_lower(line.substr(0, name_end)), ""};
  line.remove_prefix(name_end);
  skip_blanks();
  if (!line.starts_with('=')) return std::nullopt;
  line.remove_prefix(1);
  skip_blanks();
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (line.empty()) return std::nullopt;
  directive.value = std::string(line);
  return directive;
}

bool is_comment(std::string_view line) { return trim_left(line).starts_with('#'); }

// The line without a trailing escape character (and blanks after it), and whether the
// instruction ends on this line.
std::pair<std::string_view, bool> trim_continuation(std::string_view line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end > 0 && line[end - 1] == escape) return {line.substr(0, end - 1), false};
  return {line, true};
}

// ---- flags and JSON -----------------------------------------------------------------------

// The end of the raw word starting at `pos` (quotes and escapes honoured, kept).
size_t raw_word_end(std::string_view text, size_t pos, char escape) {
  char quote = 0;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quote == 0 && is_space(c)) break;
    if (c == escape && quote != '\'') {
      ++pos;
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  return std::min(pos, text.size());
}

Flag parse_flag(std::string_view word) {
  word.remove_prefix(2);  // --
  Flag flag;
  const size_t equals = word.find('=');
  flag.name = std::string(word.substr(0, equals));
  if (equals != std::string_view::npos) {
    flag.value = std::string(word.substr(equals + 1));
    flag.has_value = true;
  }
  return flag;
}

// Leading `--name[=value]` words (Docker's extractBuilderFlags; a lone `--` ends them). Returns
// the text after them.
std::string_view extract_flags(std::string_view text, char escape, std::vector<Flag>& flags) {
  size_t pos = 0;
  while (true) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (text.substr(pos, 2) != "--") return text.substr(pos);
    const size_t end = raw_word_end(text, pos, escape);
    const std::string_view word = text.substr(pos, end - pos);
    pos = end;
    if (word == "--") return text.substr(pos);
    flags.push_back(parse_flag(word));
  }
}

constexpr std::string_view kNotStringArray =
    "when using JSON array syntax, arrays must be comprised of strings only";

// The strings of a JSON array; nullopt when `text` is no JSON array (shell form); an error
// when it is an array with something other than strings in it.
Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view text) {
  text = trim_left(text);
  if (!text.starts_with('[')) return std::nullopt;
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_array()) return std::nullopt;
  std::vector<std::string> strings;
  for (const auto& element : parsed) {
    if (!element.is_string()) return fail(std::string(kNotStringArray));
    strings.push_back(element.get<std::string>());
  }
  return strings;
}

// ---- heredoc markers ----------------------------------------------------------------------

// Quote and escape removal for a heredoc delimiter; `quoted` tells whether a quote went.
std::string unquote_delimiter(std::string_view word, bool& quoted) {
  std::string name;
  char quote = 0;
  quoted = false;
  for (size_t pos = 0; pos < word.size(); ++pos) {
    const char c = word[pos];
    if (c == '\\' && quote != '\'' && pos + 1 < word.size()) {
      name += word[++pos];
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
      quoted = true;
    } else if (c == quote) {
      quote = 0;
    } else {
      name += c;
    }
  }
  return name;
}

// A word `[digits]<<[-]delimiter` (delimiter without '<'), as Docker's parseHeredoc.
std::optional<Heredoc> parse_heredoc_marker(std::string_view word) {
  while (!word.empty() && std::isdigit(static_cast<unsigned char>(word.front()))) {
    word.remove_prefix(1);
  }
  if (!word.starts_with("<<")) return std::nullopt;
  word.remove_prefix(2);
  Heredoc heredoc;
  if (word.starts_with('-')) {
    heredoc.strip_tabs = true;
    word.remove_prefix(1);
  }
  if (word.empty() || word.find('<') != std::string_view::npos) return std::nullopt;
  bool quoted = false;
  heredoc.name = unquote_delimiter(word, quoted);
  if (heredoc.name.empty()) return std::nullopt;
  heredoc.expand = !quoted;
  return heredoc;
}

std::vector<Heredoc> heredoc_markers(std::string_view line) {
  std::vector<Heredoc> heredocs;
  if (line.find("<<") == std::string_view::npos) return heredocs;
  auto words = split_raw_words(line, '\\');
  if (!words) return heredocs;  // Docker ignores lexing errors here
  for (const std::string& word : *words) {
    if (auto heredoc = parse_heredoc_marker(word)) heredocs.push_back(std::move(*heredoc));
  }
  return heredocs;
}

std::string_view strip_leading_tabs(std::string_view line) {
  while (line.starts_with('\t')) line.remove_prefix(1);
  return line;
}

// ---- argument checks (BuildKit's instructions package) ------------------------------------

Result<void> check_flags(const Instruction& instruction, const std::set<std::string>& allowed) {
  for (const Flag& flag : instruction.flags) {
    if (!allowed.contains(flag.name)) return fail("unknown flag: --" + flag.name);
  }
  return {};
}

// Docker's ^[a-z][a-z0-9-_.]*$ for (lower-cased) stage names.
bool is_valid_stage_name(std::string_view name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  };
  return !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
         std::all_of(name.begin(), name.end(), allowed);
}

Result<void> check_from(const Instruction& instruction) {
  const std::vector<std::string> args = whitespace_fields(instruction.rest);
  if (args.size() == 3 && to_lower(args[1]) == "as") {
    const std::string name = to_lower(args[2]);
    if (!is_valid_stage_name(name)) {
      return fail("invalid name for build stage: \"" + args[2] +
                  "\", name can't start with a number or contain symbols");
    }
    return {};
  }
  if (args.size() != 1) return fail("FROM requires either one or three arguments");
  return {};
}

// ENV and LABEL: `name value` or `name=value ...` (Docker's parseNameVal and parseKvps).
Result<void> check_name_values(const Instruction& instruction, char escape) {
  const std::string& keyword = instruction.keyword;
  const auto words = KRILL_TRY(split_raw_words(instruction.rest, escape));
  if (words.empty()) return fail(keyword + " requires at least one argument");
  if (words[0].find('=') == std::string::npos) {
    const std::string_view rest = instruction.rest;
    const size_t name_end = std::find_if(rest.begin(), rest.end(), is_space) - rest.begin();
    if (trim(rest.substr(name_end)).empty()) return fail(keyword + " must have two arguments");
    return {};
  }
  for (const std::string& word : words) {
    const size_t equals = word.find('=');
    if (equals == std::string::npos) {
      return fail("Syntax error - can't find = in \"" + word +
                  "\". Must be of the form: name=value");
    }
    if (equals == 0) return fail(keyword + " names can not be blank");
  }
  return {};
}

Result<void> check_onbuild(const Instruction& instruction) {
  const std::vector<std::string> fields = whitespace_fields(instruction.rest);
  if (fields.empty()) return fail("ONBUILD requires at least one argument");
  const std::string trigger = to_upper(fields[0]);
  if (trigger == "ONBUILD") return fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    return fail(trigger + " isn't allowed as an ONBUILD trigger");
  }
  return {};
}

Result<void> check_healthcheck(const Instruction& instruction) {
  const std::vector<std::string> fields = whitespace_fields(instruction.rest);
  if (fields.empty()) return fail("HEALTHCHECK requires at least one argument");
  const std::string type = to_upper(fields[0]);
  if (type == "NONE") {
    if (fields.size() > 1) return fail("HEALTHCHECK NONE takes no arguments");
    return check_flags(instruction, {});  // Docker knows no flags for NONE
  }
  KRILL_CHECK(check_flags(instruction, known_instructions().find("HEALTHCHECK")->second));
  if (type != "CMD") return fail("Unknown type \"" + type + "\" in HEALTHCHECK (try CMD)");
  const bool no_command = instruction.json_form ? instruction.args.empty() : fields.size() == 1;
  if (no_command) return fail("Missing command after HEALTHCHECK CMD");
  return {};
}

size_t argument_count(const Instruction& instruction) {
  return instruction.json_form ? instruction.args.size()
                               : whitespace_fields(instruction.rest).size();
}

Result<void> check_arguments(const Instruction& instruction, char escape) {
  const std::string& keyword = instruction.keyword;
  if (keyword == "FROM") return check_from(instruction);
  if (keyword == "ENV" || keyword == "LABEL") return check_name_values(instruction, escape);
  if (keyword == "ONBUILD") return check_onbuild(instruction);
  if (keyword == "ARG" || keyword == "EXPOSE" || keyword == "VOLUME") {
    if (argument_count(instruction) == 0) return fail(keyword + " requires at least one argument");
  }
  if (keyword == "VOLUME" && instruction.json_form) {
    for (const std::string& volume : instruction.args) {
      if (trim(volume).empty()) return fail("VOLUME specified can not be an empty string");
    }
  }
  if (keyword == "COPY" || keyword == "ADD") {
    if (argument_count(instruction) < 2) {
      return fail(keyword +
                  " requires at least two arguments, but only one was provided. Destination "
                  "could not be determined.");
    }
  }
  if (keyword == "WORKDIR" || keyword == "USER" || keyword == "STOPSIGNAL" ||
      keyword == "MAINTAINER") {
    if (instruction.rest.empty()) return fail(keyword + " requires exactly one argument");
  }
  if (keyword == "SHELL") {
    if (!instruction.json_form) return fail("SHELL requires the arguments to be in JSON form");
    if (instruction.args.empty()) return fail("SHELL requires at least one argument");
  }
  return {};
}

Result<void> check_instruction(const Instruction& instruction, char escape) {
  const auto& known = known_instructions();
  const auto entry = known.find(instruction.keyword);
  if (entry == known.end()) return fail("unknown instruction: " + instruction.keyword);
  if (instruction.keyword == "HEALTHCHECK") return check_healthcheck(instruction);
  KRILL_CHECK(check_arguments(instruction, escape));
  return check_flags(instruction, entry->second);
}

// ---- the parser ---------------------------------------------------------------------------

class Parser {
 public:
  Parser(std::string_view text, const std::string& file_name, bool needs_stage)
      : lines_(text), needs_stage_(needs_stage) {
    dockerfile_.file_name = file_name;
  }

  Result<Dockerfile> parse() {
    while (auto line = lines_.next()) {
      KRILL_CHECK(read_directive(trim_left(*line)));
      if (is_comment(*line)) continue;
      auto [text, ends] = trim_continuation(trim_left(*line), dockerfile_.escape);
      if (ends && text.empty()) continue;
      KRILL_CHECK(read_instruction(text, ends));
    }
    if (dockerfile_.instructions.empty()) {
      return fail(dockerfile_.file_name + ": file with no instructions");
    }
    KRILL_CHECK(check_all());
    return std::move(dockerfile_);
  }

 private:
  std::unexpected<Error> fail_at(int line, const std::string& what) const {
    return fail(dockerfile_.file_name + ":" + std::to_string(line) + ": " + what);
  }

  // Parser directives are recognised until the first line that is not one.
  Result<void> read_directive(std::string_view line) {
    if (directives_done_) return {};
    const std::optional<Directive> directive = parse_directive_line(line);
    if (!directive || (directive->name != "escape" && directive->name != "syntax" &&
                       directive->name != "check")) {
      directives_done_ = true;
      return {};
    }
    if (!directives_seen_.insert(directive->name).second) {
      return fail_at(lines_.number(),
                     "only one " + directive->name + " parser directive can be used");
    }
    if (directive->name == "syntax") dockerfile_.syntax = directive->value;
    if (directive->name == "escape") {
      if (directive->value != "\\" && directive->value != "`") {
        return fail_at(lines_.number(),
                       "invalid escape token '" + directive->value + "': must be ` or \\");
      }
      dockerfile_.escape = directive->value[0];
    }
    return {};
  }

  Result<void> read_instruction(std::string_view first_text, bool ends) {
    const int start_line = lines_.number();
    std::string joined(first_text);
    while (!ends) {
      const auto line = lines_.next();
      if (!line) break;
      if (is_comment(*line) || trim_left(*line).empty()) continue;
      const auto [text, last] = trim_continuation(*line, dockerfile_.escape);
      joined += text;
      ends = last;
    }
    auto instruction = parse_instruction(joined);
    if (!instruction) return fail_at(start_line, instruction.error().message());
    instruction->line = start_line;
    if (heredocs_allowed(*instruction)) {
      for (Heredoc& heredoc : heredoc_markers(joined)) {
        KRILL_CHECK(read_heredoc_body(heredoc, start_line));
        instruction->heredocs.push_back(std::move(heredoc));
      }
    }
    instruction->end_line = lines_.number();
    dockerfile_.instructions.push_back(std::move(*instruction));
    return {};
  }

  Result<void> read_heredoc_body(Heredoc& heredoc, int start_line) {
    while (auto line = lines_.next()) {
      const std::string_view body_line = heredoc.strip_tabs ? strip_leading_tabs(*line) : *line;
      if (body_line == heredoc.name) return {};
      heredoc.content += body_line;
      heredoc.content += '\n';
    }
    return fail_at(start_line, "unterminated heredoc " + heredoc.name);
  }

  // RUN, COPY and ADD in shell form (also as ONBUILD triggers, as BuildKit does).
  bool heredocs_allowed(const Instruction& instruction) const {
    if (instruction.keyword != "ONBUILD") {
      return can_have_heredocs(instruction.keyword) && !instruction.json_form;
    }
    auto trigger = parse_instruction(instruction.rest);
    return trigger && trigger->keyword != "ONBUILD" && heredocs_allowed(*trigger);
  }

  // Keyword, flags and arguments of one logical line; no argument checks yet.
  Result<Instruction> parse_instruction(std::string_view joined) const {
    Instruction instruction;
    instruction.original = std::string(joined);
    const std::string_view line = trim(joined);
    const size_t keyword_end = std::find_if(line.begin(), line.end(), is_space) - line.begin();
    instruction.keyword = to_upper(line.substr(0, keyword_end));
    const std::string_view after_keyword = line.substr(keyword_end);
    instruction.rest =
        std::string(trim(extract_flags(after_keyword, dockerfile_.escape, instruction.flags)));
    if (instruction.keyword == "ONBUILD") {
      if (!instruction.rest.empty()) KRILL_CHECK(parse_instruction(instruction.rest));
      return instruction;
    }
    KRILL_CHECK(read_json_form(instruction));
    return instruction;
  }

  static Result<void> read_json_form(Instruction& instruction) {
    std::string_view json_text = instruction.rest;
    if (instruction.keyword == "HEALTHCHECK") {
      const size_t type_end =
          std::find_if(json_text.begin(), json_text.end(), is_space) - json_text.begin();
      json_text = json_text.substr(type_end);
    } else if (!accepts_json(instruction.keyword)) {
      return {};
    }
    auto strings = KRILL_TRY(parse_json_array(json_text));
    if (strings) {
      instruction.json_form = true;
      instruction.args = std::move(*strings);
    }
    return {};
  }

  Result<void> check_all() const {
    bool in_stage = false;
    for (const Instruction& instruction : dockerfile_.instructions) {
      auto checked = check_instruction(instruction, dockerfile_.escape);
      if (!checked) return fail_at(instruction.line, checked.error().message());
      if (instruction.keyword == "FROM") in_stage = true;
      if (needs_stage_ && !in_stage && instruction.keyword != "ARG") {
        return fail_at(instruction.line, "no build stage in current context");
      }
    }
    return {};
  }

  LineReader lines_;
  bool needs_stage_;
  Dockerfile dockerfile_;
  bool directives_done_ = false;
  std::set<std::string> directives_seen_;
};

}  // namespace

Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& file_name) {
  return Parser(text, file_name, /*needs_stage=*/true).parse();
}

Result<Dockerfile> parse_onbuild_trigger(std::string_view text, const std::string& file_name) {
  return Parser(text, file_name, /*needs_stage=*/false).parse();
}

const Flag* find_flag(const Instruction& instruction, std::string_view name) {
  const Flag* found = nullptr;
  for (const Flag& flag : instruction.flags) {
    if (flag.name == name) found = &flag;
  }
  return found;
}

}  // namespace krill::build
