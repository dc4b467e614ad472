#include "cli/krill/format_template.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace krill::cli {

using nlohmann::json;

namespace {

struct Pipeline;

struct Operand {
  enum Kind { kField, kIdent, kLiteral, kGroup } kind = kLiteral;
  std::vector<std::string> path;  // kField: [] is "."
  std::string ident;              // kIdent
  json literal;                   // kLiteral
  std::shared_ptr<Pipeline> group;
  size_t pos = 0;
};

struct Command {
  std::vector<Operand> args;
  size_t pos = 0;
};

struct Pipeline {
  std::vector<Command> commands;
  size_t pos = 0;
  std::string text;  // for messages
};

std::unexpected<Error> template_error(size_t pos, const std::string& message) {
  return fail("template: col " + std::to_string(pos + 1) + ": " + message);
}

}  // namespace

struct TemplateNode {
  enum Kind { kText, kAction, kIf, kRange, kWith } kind = kText;
  std::string text;
  Pipeline pipe;
  std::vector<std::unique_ptr<TemplateNode>> body, else_body;
  size_t pos = 0;
};

namespace {

using NodeList = std::vector<std::unique_ptr<TemplateNode>>;

// ---- lexing of one action's content -------------------------------------------------------

struct Token {
  enum Kind { kField, kIdent, kString, kNumber, kPipe, kOpen, kClose } kind;
  std::string text;
  size_t pos;
};

Result<std::vector<Token>> lex_action(std::string_view s, size_t base) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    size_t pos = base + i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '|') {
      out.push_back({Token::kPipe, "|", pos});
      ++i;
    } else if (c == '(') {
      out.push_back({Token::kOpen, "(", pos});
      ++i;
    } else if (c == ')') {
      out.push_back({Token::kClose, ")", pos});
      ++i;
    } else if (c == '"') {
      std::string value;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char e = s[i + 1];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          i += 2;
        } else if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value += s[i++];
        }
      }
      if (!closed) return template_error(pos, "unterminated quoted string");
      out.push_back({Token::kString, value, pos});
    } else if (c == '`') {
      size_t end = s.find('`', i + 1);
      if (end == std::string_view::npos) return template_error(pos, "unterminated raw string");
      out.push_back({Token::kString, std::string(s.substr(i + 1, end - i - 1)), pos});
      i = end + 1;
    } else if (c == '.' || c == '$') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              s[j] == '.' || s[j] == '$'))
        ++j;
      out.push_back({Token::kField, std::string(s.substr(i, j - i)), pos});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      out.push_back({Token::kNumber, std::string(s.substr(i, j - i)), pos});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::kIdent, std::string(s.substr(i, j - i)), pos});
      i = j;
    } else {
      return template_error(pos, std::string("unexpected \"") + c + "\" in action");
    }
  }
  return out;
}

class PipelineParser {
 public:
  explicit PipelineParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Pipeline> parse_all(size_t pos) {
    auto pipe = KRILL_TRY(parse_pipeline(pos));
    if (i_ < tokens_.size())
      return template_error(tokens_[i_].pos, "unexpected \"" + tokens_[i_].text + "\" in action");
    return pipe;
  }

 private:
  Result<Pipeline> parse_pipeline(size_t pos) {
    Pipeline pipe;
    pipe.pos = pos;
    while (true) {
      Command command;
      command.pos = i_ < tokens_.size() ? tokens_[i_].pos : pos;
      while (i_ < tokens_.size() && tokens_[i_].kind != Token::kPipe &&
             tokens_[i_].kind != Token::kClose) {
        command.args.push_back(KRILL_TRY(parse_operand()));
      }
      if (command.args.empty()) return template_error(command.pos, "missing value for command");
      pipe.commands.push_back(std::move(command));
      if (i_ < tokens_.size() && tokens_[i_].kind == Token::kPipe) {
        ++i_;
        continue;
      }
      break;
    }
    return pipe;
  }

  Result<Operand> parse_operand() {
    const Token& t = tokens_[i_++];
    Operand op;
    op.pos = t.pos;
    switch (t.kind) {
      case Token::kField: {
        if (t.text.starts_with("$"))
          return template_error(t.pos, "variables are not supported: " + t.text);
        op.kind = Operand::kField;
        std::string_view rest = std::string_view(t.text).substr(1);
        while (!rest.empty()) {
          size_t dot = rest.find('.');
          std::string part(rest.substr(0, dot));
          if (part.empty()) return template_error(t.pos, "bad field " + t.text);
          op.path.push_back(part);
          if (dot == std::string_view::npos) break;
          rest = rest.substr(dot + 1);
          if (rest.empty()) return template_error(t.pos, "bad field " + t.text);
        }
        return op;
      }
      case Token::kIdent:
        if (t.text == "true" || t.text == "false") {
          op.literal = t.text == "true";
        } else if (t.text == "nil") {
          op.literal = nullptr;
        } else {
          op.kind = Operand::kIdent;
          op.ident = t.text;
        }
        return op;
      case Token::kString:
        op.literal = t.text;
        return op;
      case Token::kNumber: {
        try {
          if (t.text.find('.') != std::string::npos)
            op.literal = std::stod(t.text);
          else
            op.literal = std::stoll(t.text);
        } catch (...) {
          return template_error(t.pos, "bad number syntax: " + t.text);
        }
        return op;
      }
      case Token::kOpen: {
        op.kind = Operand::kGroup;
        op.group = std::make_shared<Pipeline>(KRILL_TRY(parse_pipeline(t.pos)));
        if (i_ >= tokens_.size() || tokens_[i_].kind != Token::kClose)
          return template_error(t.pos, "unclosed left paren");
        ++i_;
        return op;
      }
      default:
        return template_error(t.pos, "unexpected \"" + t.text + "\" in operand");
    }
  }

  std::vector<Token> tokens_;
  size_t i_ = 0;
};

// ---- template structure --------------------------------------------------------------------

struct Action {
  std::string content;  // trimmed
  size_t pos;           // of the content
  size_t start;         // of "{{"
};

class TemplateParser {
 public:
  explicit TemplateParser(std::string_view text) : text_(text) {}

  // Parses nodes until {{end}}/{{else}} (returned in `terminator`) or the end of the text.
  Result<NodeList> parse_list(std::string& terminator, size_t& terminator_pos,
                              std::string& terminator_rest) {
    NodeList nodes;
    while (i_ < text_.size()) {
      size_t open = text_.find("{{", i_);
      std::string literal(text_.substr(i_, open == std::string_view::npos ? open : open - i_));
      bool trim_left = open != std::string_view::npos && open + 2 < text_.size() &&
                       text_[open + 2] == '-' && open + 3 < text_.size() &&
                       std::isspace(static_cast<unsigned char>(text_[open + 3]));
      if (trim_left)
        while (!literal.empty() && std::isspace(static_cast<unsigned char>(literal.back())))
          literal.pop_back();
      if (trim_next_)
        while (!literal.empty() && std::isspace(static_cast<unsigned char>(literal.front())))
          literal.erase(0, 1);
      trim_next_ = false;
      if (!literal.empty()) {
        auto node = std::make_unique<TemplateNode>();
        node->kind = TemplateNode::kText;
        node->text = unescape_format(literal);
        node->pos = i_;
        nodes.push_back(std::move(node));
      }
      if (open == std::string_view::npos) {
        i_ = text_.size();
        break;
      }
      auto action = KRILL_TRY(read_action(open, trim_left));
      std::string_view content = action.content;
      std::string word(content.substr(0, content.find_first_of(" \t\n(")));
      std::string rest =
          word.size() < content.size() ? std::string(content.substr(word.size())) : "";
      size_t rest_pos = action.pos + word.size();
      if (word == "end" || word == "else") {
        terminator = word;
        terminator_pos = action.start;
        terminator_rest = rest;
        return nodes;
      }
      if (word == "if" || word == "range" || word == "with") {
        nodes.push_back(KRILL_TRY(parse_block(word, rest, rest_pos, action.start)));
        continue;
      }
      if (word == "define" || word == "template" || word == "block")
        return template_error(action.start, "\"" + word + "\" is not supported");
      if (content.empty()) return template_error(action.start, "missing value for command");
      auto node = std::make_unique<TemplateNode>();
      node->kind = TemplateNode::kAction;
      node->pos = action.start;
      node->pipe = KRILL_TRY(parse_pipeline(content, action.pos));
      nodes.push_back(std::move(node));
    }
    terminator.clear();
    return nodes;
  }

 private:
  Result<Pipeline> parse_pipeline(std::string_view content, size_t pos) {
    auto tokens = KRILL_TRY(lex_action(content, pos));
    PipelineParser parser(std::move(tokens));
    auto pipe = KRILL_TRY(parser.parse_all(pos));
    pipe.text = std::string(content);
    return pipe;
  }

  Result<std::unique_ptr<TemplateNode>> parse_block(const std::string& word,
                                                    const std::string& rest, size_t rest_pos,
                                                    size_t start) {
    auto node = std::make_unique<TemplateNode>();
    node->kind = word == "if"      ? TemplateNode::kIf
                 : word == "range" ? TemplateNode::kRange
                                   : TemplateNode::kWith;
    node->pos = start;
    auto trimmed = std::string_view(rest);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
      trimmed.remove_prefix(1);
      ++rest_pos;
    }
    if (trimmed.empty()) return template_error(start, "missing value for " + word);
    node->pipe = KRILL_TRY(parse_pipeline(trimmed, rest_pos));
    std::string terminator, terminator_rest;
    size_t terminator_pos = 0;
    node->body = KRILL_TRY(parse_list(terminator, terminator_pos, terminator_rest));
    if (terminator.empty())
      return template_error(start, "unexpected EOF: missing {{end}} for " + word);
    if (terminator == "else") {
      std::string_view else_rest = terminator_rest;
      while (!else_rest.empty() && std::isspace(static_cast<unsigned char>(else_rest.front())))
        else_rest.remove_prefix(1);
      if (else_rest.starts_with("if ") && word == "if") {
        // {{else if X}}: a nested if that shares this block's {{end}}.
        node->else_body.push_back(KRILL_TRY(
            parse_block("if", std::string(else_rest.substr(2)), terminator_pos, terminator_pos)));
        return node;
      }
      if (!else_rest.empty()) return template_error(terminator_pos, "unexpected words after else");
      node->else_body = KRILL_TRY(parse_list(terminator, terminator_pos, terminator_rest));
      if (terminator != "end")
        return template_error(start, "unexpected EOF: missing {{end}} for " + word);
    }
    if (!std::string_view(terminator_rest).empty() &&
        terminator_rest.find_first_not_of(" \t\n") != std::string::npos)
      return template_error(terminator_pos, "unexpected words after end");
    return node;
  }

  Result<Action> read_action(size_t open, bool trim_left) {
    size_t j = open + 2 + (trim_left ? 2 : 0);
    char quote = 0;
    for (; j + 1 < text_.size() + 1 && j < text_.size(); ++j) {
      char c = text_[j];
      if (quote) {
        if (c == '\\' && quote == '"') {
          ++j;
          continue;
        }
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '"' || c == '`') {
        quote = c;
        continue;
      }
      if (c == '}' && j + 1 < text_.size() && text_[j + 1] == '}') break;
    }
    if (j >= text_.size()) return template_error(open, "unclosed action");
    size_t content_begin = open + 2 + (trim_left ? 2 : 0);
    size_t content_end = j;
    bool trim_right = content_end >= content_begin + 2 && text_[content_end - 1] == '-' &&
                      std::isspace(static_cast<unsigned char>(text_[content_end - 2]));
    if (trim_right) content_end -= 1;
    std::string_view content = text_.substr(content_begin, content_end - content_begin);
    size_t pos = content_begin;
    while (!content.empty() && std::isspace(static_cast<unsigned char>(content.front()))) {
      content.remove_prefix(1);
      ++pos;
    }
    while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back())))
      content.remove_suffix(1);
    i_ = j + 2;
    trim_next_ = trim_right;
    return Action{std::string(content), pos, open};
  }

  std::string_view text_;
  size_t i_ = 0;
  bool trim_next_ = false;
};

// ---- execution -----------------------------------------------------------------------------

bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

const json* find_member(const json& object, const std::string& name) {
  auto it = object.find(name);
  if (it != object.end()) return &*it;
  for (auto m = object.begin(); m != object.end(); ++m) {
    const std::string& key = m.key();
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return &*m;
  }
  return nullptr;
}

std::string to_upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string to_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Executor {
 public:
  Result<void> run(const NodeList& nodes, const json& dot, std::string& out) {
    for (const auto& node : nodes) {
      switch (node->kind) {
        case TemplateNode::kText:
          out += node->text;
          break;
        case TemplateNode::kAction:
          out += go_print(KRILL_TRY(eval_pipeline(node->pipe, dot)));
          break;
        case TemplateNode::kIf: {
          auto v = KRILL_TRY(eval_pipeline(node->pipe, dot));
          KRILL_CHECK(run(truthy(v) ? node->body : node->else_body, dot, out));
          break;
        }
        case TemplateNode::kWith: {
          auto v = KRILL_TRY(eval_pipeline(node->pipe, dot));
          if (truthy(v))
            KRILL_CHECK(run(node->body, v, out));
          else
            KRILL_CHECK(run(node->else_body, dot, out));
          break;
        }
        case TemplateNode::kRange: {
          auto v = KRILL_TRY(eval_pipeline(node->pipe, dot));
          if (!v.is_null() && !v.is_array() && !v.is_object())
            return template_error(node->pos, "range can't iterate over " + go_print(v));
          if (v.is_null() || v.empty()) {
            KRILL_CHECK(run(node->else_body, dot, out));
          } else {
            for (const auto& item : v) KRILL_CHECK(run(node->body, item, out));
          }
          break;
        }
      }
    }
    return {};
  }

 private:
  Result<json> eval_pipeline(const Pipeline& pipe, const json& dot) {
    std::optional<json> previous;
    for (const auto& command : pipe.commands)
      previous = KRILL_TRY(eval_command(command, dot, previous, pipe));
    return *previous;
  }

  Result<json> eval_command(const Command& command, const json& dot,
                            const std::optional<json>& piped, const Pipeline& pipe) {
    const Operand& first = command.args.front();
    if (first.kind != Operand::kIdent) {
      if (command.args.size() > 1 || piped)
        return template_error(first.pos,
                              "can't give argument to non-function in <" + pipe.text + ">");
      return eval_operand(first, dot, pipe);
    }
    std::vector<json> args;
    for (size_t i = 1; i < command.args.size(); ++i)
      args.push_back(KRILL_TRY(eval_operand(command.args[i], dot, pipe)));
    if (piped) args.push_back(*piped);
    return call(first, args, pipe);
  }

  Result<json> eval_operand(const Operand& op, const json& dot, const Pipeline& pipe) {
    switch (op.kind) {
      case Operand::kLiteral:
        return op.literal;
      case Operand::kGroup:
        return eval_pipeline(*op.group, dot);
      case Operand::kIdent:
        return call(op, {}, pipe);
      case Operand::kField: {
        const json* v = &dot;
        for (const auto& name : op.path) {
          if (v->is_null()) return json(nullptr);  // Go: nil pointer -> <no value>
          if (!v->is_object())
            return template_error(op.pos, "executing <" + pipe.text + ">: can't evaluate field " +
                                              name + " in type " + type_name(*v));
          const json* member = find_member(*v, name);
          if (!member)
            return template_error(op.pos,
                                  "executing <" + pipe.text + ">: can't evaluate field " + name);
          v = member;
        }
        return *v;
      }
    }
    return json(nullptr);
  }

  static std::string type_name(const json& v) {
    if (v.is_string()) return "string";
    if (v.is_boolean()) return "bool";
    if (v.is_number_integer()) return "int";
    if (v.is_number()) return "float64";
    if (v.is_array()) return "slice";
    return v.type_name();
  }

  Result<json> call(const Operand& fn, const std::vector<json>& args, const Pipeline& /*pipe*/) {
    const std::string& name = fn.ident;
    auto want = [&](size_t n) -> Result<void> {
      if (args.size() != n)
        return template_error(fn.pos, "wrong number of args for " + name + ": want " +
                                          std::to_string(n) + " got " +
                                          std::to_string(args.size()));
      return {};
    };
    auto string_arg = [&](const json& v) -> std::string {
      return v.is_string() ? v.get<std::string>() : go_print(v);
    };
    if (name == "json") {
      KRILL_CHECK(want(1));
      return json(args[0].dump());
    }
    if (name == "upper") {
      KRILL_CHECK(want(1));
      return json(to_upper(string_arg(args[0])));
    }
    if (name == "lower") {
      KRILL_CHECK(want(1));
      return json(to_lower(string_arg(args[0])));
    }
    if (name == "title") {
      KRILL_CHECK(want(1));
      std::string s = string_arg(args[0]);
      bool start = true;
      for (auto& c : s) {
        if (start && std::isalpha(static_cast<unsigned char>(c)))
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        start = std::isspace(static_cast<unsigned char>(c));
      }
      return json(s);
    }
    if (name == "len") {
      KRILL_CHECK(want(1));
      if (args[0].is_string()) return json(args[0].get_ref<const std::string&>().size());
      if (args[0].is_array() || args[0].is_object()) return json(args[0].size());
      if (args[0].is_null()) return json(0);
      return template_error(fn.pos, "len of " + type_name(args[0]));
    }
    if (name == "join") {
      KRILL_CHECK(want(2));
      if (!args[0].is_array() && !args[0].is_null())
        return template_error(fn.pos, "join needs a list, got " + type_name(args[0]));
      std::string out;
      if (args[0].is_array())
        for (size_t i = 0; i < args[0].size(); ++i)
          out += (i ? string_arg(args[1]) : "") + string_arg(args[0][i]);
      return json(out);
    }
    if (name == "truncate") {
      KRILL_CHECK(want(2));
      if (!args[1].is_number_integer()) return template_error(fn.pos, "truncate needs a length");
      std::string s = string_arg(args[0]);
      auto n = static_cast<size_t>(std::max<int64_t>(0, args[1].get<int64_t>()));
      return json(s.substr(0, std::min(n, s.size())));
    }
    if (name == "split") {
      KRILL_CHECK(want(2));
      std::string s = string_arg(args[0]), sep = string_arg(args[1]);
      json out = json::array();
      if (sep.empty()) {
        for (char c : s) out.push_back(std::string(1, c));
        return out;
      }
      size_t start = 0;
      while (true) {
        size_t at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string::npos ? at : at - start));
        if (at == std::string::npos) break;
        start = at + sep.size();
      }
      return out;
    }
    if (name == "index") {
      if (args.empty()) return template_error(fn.pos, "wrong number of args for index");
      json v = args[0];
      for (size_t i = 1; i < args.size(); ++i) {
        if (v.is_object()) {
          if (!args[i].is_string())
            return template_error(fn.pos, "index of map needs a string key");
          const json* member = find_member(v, args[i].get<std::string>());
          v = member ? *member : json(nullptr);
        } else if (v.is_array() || v.is_string()) {
          if (!args[i].is_number_integer())
            return template_error(fn.pos, "index of slice needs an integer");
          auto k = args[i].get<int64_t>();
          size_t size = v.is_array() ? v.size() : v.get_ref<const std::string&>().size();
          if (k < 0 || static_cast<size_t>(k) >= size)
            return template_error(fn.pos,
                                  "error calling index: index out of range: " + std::to_string(k));
          v = v.is_array()
                  ? json(v[k])
                  : json(static_cast<int>(static_cast<unsigned char>(v.get<std::string>()[k])));
        } else if (v.is_null()) {
          return template_error(fn.pos, "error calling index: index of untyped nil");
        } else {
          return template_error(fn.pos, "can't index item of type " + type_name(v));
        }
      }
      return v;
    }
    if (name == "eq" || name == "ne") {
      if (args.size() < 2) return template_error(fn.pos, "missing argument for comparison");
      bool equal = false;
      for (size_t i = 1; i < args.size(); ++i) equal = equal || args[0] == args[i];
      return json(name == "eq" ? equal : !equal);
    }
    if (name == "not") {
      KRILL_CHECK(want(1));
      return json(!truthy(args[0]));
    }
    if (name == "and" || name == "or") {
      if (args.empty()) return template_error(fn.pos, "missing argument for " + name);
      for (const auto& a : args)
        if (truthy(a) != (name == "and")) return a;
      return args.back();
    }
    if (name == "println" || name == "print") {
      std::string out;
      for (size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + go_print(args[i]);
      return json(out + (name == "println" ? "\n" : ""));
    }
    return template_error(fn.pos, "function \"" + name + "\" not defined");
  }
};

// The header of an action: its last field name (through pipes, functions and groups).
std::optional<std::string> action_field(const Pipeline& pipe) {
  for (const auto& command : pipe.commands) {
    for (const auto& arg : command.args) {
      if (arg.kind == Operand::kField && !arg.path.empty()) return arg.path.back();
      if (arg.kind == Operand::kGroup)
        if (auto f = action_field(*arg.group)) return f;
    }
  }
  return std::nullopt;
}

void header_of(const NodeList& nodes, const std::map<std::string, std::string>& overrides,
               std::string& out) {
  for (const auto& node : nodes) {
    if (node->kind == TemplateNode::kText) {
      out += node->text;
      continue;
    }
    auto field = action_field(node->pipe);
    if (!field) continue;
    auto it = overrides.find(*field);
    out += it != overrides.end() ? it->second : header_for_field(*field);
  }
}

}  // namespace

FormatTemplate::FormatTemplate(FormatTemplate&&) noexcept = default;
FormatTemplate& FormatTemplate::operator=(FormatTemplate&&) noexcept = default;
FormatTemplate::~FormatTemplate() = default;

Result<FormatTemplate> FormatTemplate::parse(std::string_view text) {
  FormatTemplate t;
  std::string_view body = text;
  if (body.starts_with("table")) {
    t.table_ = true;
    body.remove_prefix(5);
    while (!body.empty() && (body.front() == ' ')) body.remove_prefix(1);
  }
  TemplateParser parser(body);
  std::string terminator, rest;
  size_t pos = 0;
  auto nodes = parser.parse_list(terminator, pos, rest);
  size_t offset = text.size() - body.size();
  if (!nodes) {
    // Re-base the column on the full text when a "table " prefix was cut off.
    if (offset == 0) return std::unexpected(nodes.error());
    const std::string& m = nodes.error().message();
    const std::string prefix = "template: col ";
    if (m.starts_with(prefix)) {
      size_t end = m.find(':', prefix.size());
      size_t col = std::stoul(m.substr(prefix.size(), end - prefix.size())) + offset;
      return fail(prefix + std::to_string(col) + m.substr(end));
    }
    return std::unexpected(nodes.error());
  }
  if (!terminator.empty())
    return fail("template: col " + std::to_string(pos + offset + 1) + ": unexpected {{" +
                terminator + "}}");
  t.nodes_ = std::move(*nodes);
  return t;
}

Result<std::string> FormatTemplate::execute(const json& data) const {
  std::string out;
  Executor executor;
  KRILL_CHECK(executor.run(nodes_, data, out));
  return out;
}

std::string FormatTemplate::header(const std::map<std::string, std::string>& overrides) const {
  std::string out;
  header_of(nodes_, overrides, out);
  return out;
}

std::string header_for_field(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    if (i > 0 && upper) {
      bool prev_lower = std::islower(static_cast<unsigned char>(field[i - 1])) ||
                        std::isdigit(static_cast<unsigned char>(field[i - 1]));
      bool next_lower =
          i + 1 < field.size() && std::islower(static_cast<unsigned char>(field[i + 1]));
      bool prev_upper = std::isupper(static_cast<unsigned char>(field[i - 1]));
      if (prev_lower || (prev_upper && next_lower)) out += ' ';
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string unescape_format(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      out += text[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string align_columns(std::string_view text, size_t min_width, size_t padding) {
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> newline;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    std::vector<std::string> cells;
    size_t c = 0;
    while (true) {
      size_t tab = line.find('\t', c);
      cells.emplace_back(line.substr(c, tab == std::string_view::npos ? tab : tab - c));
      if (tab == std::string_view::npos) break;
      c = tab + 1;
    }
    rows.push_back(std::move(cells));
    newline.push_back(end != std::string_view::npos);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<size_t> widths;
  for (const auto& cells : rows)
    for (size_t i = 0; i + 1 < cells.size(); ++i) {  // the last cell is not a column
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], std::max(min_width, cells[i].size() + padding));
    }
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& cells = rows[r];
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out.append(widths[i] - cells[i].size(), ' ');
    }
    if (newline[r]) out += '\n';
  }
  return out;
}

std::string go_print(const json& value) {
  if (value.is_null()) return "<no value>";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  std::string out;
  if (value.is_array()) {
    out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? " " : "") + go_print(value[i]);
    return out + "]";
  }
  out = "map[";
  bool first = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    out += (first ? "" : " ") + it.key() + ":" + go_print(it.value());
    first = false;
  }
  return out + "]";
}

Result<std::string> render_rows(std::string_view format, const std::vector<json>& rows,
                                std::string_view default_table,
                                const std::map<std::string, std::string>& headers) {
  if (format == "json") {
    json array = json::array();
    for (const auto& row : rows) array.push_back(row);
    return array.dump(4) + "\n";
  }
  std::string_view text = format.empty() ? default_table : format;
  auto tmpl = KRILL_TRY(FormatTemplate::parse(text));
  std::string out;
  if (tmpl.is_table()) {
    out += tmpl.header(headers);
    if (!out.ends_with('\n')) out += '\n';
  }
  for (const auto& row : rows) {
    std::string line = KRILL_TRY(tmpl.execute(row));
    if (!line.ends_with('\n')) line += '\n';
    out += line;
  }
  if (tmpl.is_table()) return align_columns(out);
  return out;
}

Result<std::string> render_value(std::string_view format, const json& value) {
  if (format.empty() || format == "json") return value.dump(4) + "\n";
  auto tmpl = KRILL_TRY(FormatTemplate::parse(format));
  std::string out = KRILL_TRY(tmpl.execute(value));
  if (!out.ends_with('\n')) out += '\n';
  return out;
}

}  // namespace krill::cli
