#include "transport/www_authenticate.h"

#include <cctype>

namespace krill::transport {

namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::vector<AuthChallenge> parse() {
    std::vector<AuthChallenge> out;
    skip_separators();
    while (!done()) {
      std::string scheme = token();
      if (scheme.empty()) break;  // malformed
      AuthChallenge challenge;
      challenge.scheme = lower(scheme);
      skip_spaces();
      // token68: a token followed by '='s then the end or a comma.
      size_t save = pos_;
      std::string t68 = token68();
      if (!t68.empty()) {
        skip_spaces();
        if (done() || peek() == ',') {
          challenge.token68 = t68;
          out.push_back(std::move(challenge));
          skip_separators();
          continue;
        }
      }
      pos_ = save;
      // auth-params until a token that is not followed by '=' (the next scheme).
      while (!done()) {
        skip_separators();
        size_t param_start = pos_;
        std::string name = token();
        if (name.empty()) {
          pos_ = s_.size();  // malformed: stop
          break;
        }
        skip_spaces();
        if (done() || peek() != '=') {
          pos_ = param_start;  // next challenge
          break;
        }
        ++pos_;  // '='
        skip_spaces();
        std::string value;
        if (!done() && peek() == '"') {
          value = quoted();
        } else {
          value = token();
        }
        challenge.params[lower(name)] = value;
        skip_spaces();
        if (!done() && peek() != ',') {  // garbage after a value
          pos_ = s_.size();
          break;
        }
      }
      out.push_back(std::move(challenge));
      skip_separators();
    }
    return out;
  }

 private:
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  void skip_spaces() {
    while (!done() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_separators() {
    while (!done() && (peek() == ' ' || peek() == '\t' || peek() == ',')) ++pos_;
  }
  std::string token() {
    size_t start = pos_;
    while (!done() && is_tchar(peek())) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string token68() {
    size_t start = pos_;
    while (!done() && (std::isalnum(static_cast<unsigned char>(peek())) ||
                       std::string_view("-._~+/").find(peek()) != std::string_view::npos))
      ++pos_;
    if (pos_ == start) return {};
    while (!done() && peek() == '=') ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string quoted() {
    ++pos_;  // opening quote
    std::string out;
    while (!done() && peek() != '"') {
      if (peek() == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += peek();
      ++pos_;
    }
    if (!done()) ++pos_;  // closing quote
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> AuthChallenge::param(const std::string& name) const {
  auto it = params.find(lower(name));
  if (it == params.end()) return std::nullopt;
  return it->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  return Parser(header).parse();
}

std::vector<AuthChallenge> parse_www_authenticate(const std::vector<std::string>& headers) {
  std::vector<AuthChallenge> out;
  for (const auto& h : headers) {
    auto part = parse_www_authenticate(std::string_view(h));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace krill::transport
