// Dockerfile words: variable substitution and quote removal the way Docker's shell lexer does
// it for ENV, ARG, LABEL, FROM, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL and the
// instruction flags (RUN's shell form is left to the shell).
//
// Substitutions: $name, ${name}, ${name:-word}, ${name-word}, ${name:+word}, ${name+word}
// (word is itself expanded); names are [A-Za-z_][A-Za-z0-9_]* (a '$' not followed by a name or
// '{' stays literal). '...' is literal; "..." expands, and inside it the escape character
// escapes only '$', '"', the escape character itself and a newline; elsewhere the escape
// character makes the next character literal. The escape character is '\' or '`' (the
// `# escape=` directive).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::build {

// A variable's value; nullopt when it is not set (empty is set).
using VariableLookup = std::function<std::optional<std::string>(std::string_view name)>;

// One word: substitutions and quote removal, no splitting ("a b" stays one string).
// Errors: unterminated quote or ${, a bad substitution ("${a:?x}", "${1}"):
// "failed to process \"${a:?x}\": unsupported modifier (?) in substitution".
Result<std::string> expand_word(std::string_view text, const VariableLookup& lookup,
                                char escape = '\\');

// Words: substitutions and quote removal, split on unquoted whitespace — also whitespace that
// an unquoted substitution produced (COPY $files /dst with files="a b" gives a, b, /dst).
// Empty words from an unquoted empty substitution vanish; "" gives an empty word.
Result<std::vector<std::string>> expand_words(std::string_view text, const VariableLookup& lookup,
                                              char escape = '\\');

// Splits on unquoted whitespace without substituting or removing anything: the raw words
// (quotes and escapes kept), for key=value parsing before expansion.
Result<std::vector<std::string>> split_raw_words(std::string_view text, char escape = '\\');

// Substitutions only — no quote removal, no escapes, no splitting: the body of an unquoted
// heredoc (COPY <<EOF), where quotes are content.
Result<std::string> expand_variables(std::string_view text, const VariableLookup& lookup);

}  // namespace krill::build
