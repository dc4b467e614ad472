// Dockerfile / Containerfile syntax: parser directives, comments, line continuations, heredocs,
// exec (JSON) and shell forms, instruction flags. The parser checks the syntax only; what the
// arguments mean (and their variable substitution) is the builder's business.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace krill::build {

struct Heredoc {
  std::string name;         // the delimiter word: EOF for <<EOF, <<-EOF, <<"EOF", <<'EOF'
  std::string content;      // the body lines, each ending in '\n' (leading tabs removed for <<-)
  bool expand = true;       // false when the delimiter was quoted: no substitution in the body
  bool strip_tabs = false;  // <<-
};

struct Flag {
  std::string name;   // without dashes: "from", "chown", "mount"
  std::string value;  // raw text after '=' (quotes kept); "" for a bare --flag
  bool has_value = false;
};

struct Instruction {
  std::string keyword;  // upper case: FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY
                        // ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD STOPSIGNAL HEALTHCHECK SHELL
  int line = 0;         // 1-based line of the keyword
  int end_line = 0;     // last line (continuations, heredoc bodies)
  // The instruction as written, continuations joined with nothing between the parts (Docker's
  // "original"), e.g. "RUN apt-get update &&     apt-get install x"; for history and errors.
  std::string original;
  std::vector<Flag> flags;  // in order; only the flags the instruction knows (else an error)
  // Exec form: args holds the JSON array's strings and json_form is true (RUN, CMD, ENTRYPOINT,
  // SHELL, VOLUME, COPY, ADD, HEALTHCHECK CMD accept it; SHELL requires it).
  // In shell form args is empty: split or expand `rest` (see shell_words.h).
  bool json_form = false;
  std::vector<std::string> args;
  // Shell form: the text after the keyword and the flags, trimmed, continuation lines joined
  // (for RUN the shell gets exactly this; heredoc markers stay in it, e.g. "<<EOF" or
  // "cat <<EOF > /x"). For HEALTHCHECK the text after the flags ("CMD ..." or "NONE"), for
  // ONBUILD the whole trigger instruction ("RUN echo hi").
  std::string rest;
  std::vector<Heredoc> heredocs;  // RUN, COPY, ADD only, in order of their markers
};

struct Dockerfile {
  std::string file_name;                  // for messages, e.g. "Dockerfile"
  char escape = '\\';                     // from `# escape=` (\ or `)
  std::string syntax;                     // `# syntax=` (recorded, not acted on)
  std::vector<Instruction> instructions;  // ARGs before the first FROM included
};

// Errors are "<file_name>:<line>: <what>", e.g.
//   "Dockerfile:3: unknown instruction: RUNN"
//   "Dockerfile:1: FROM requires either one or three arguments"
//   "Dockerfile:2: no build stage in current context" (anything but ARG before the first FROM)
//   "Dockerfile:4: unknown flag: --chmodd" / "Dockerfile:5: unterminated heredoc EOF"
//   "Dockerfile:7: SHELL requires the arguments to be in JSON form"
//   "Dockerfile:1: invalid escape token '%': must be ` or \"
// An empty file (or one with no instruction) is "<file_name>: file with no instructions".
Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& file_name);

// ONBUILD trigger text from a base image's config ("RUN echo hi", heredoc bodies may follow):
// parsed like parse_dockerfile but without the "no build stage in current context" check, since
// a trigger runs inside the child's stage and has no FROM of its own.
Result<Dockerfile> parse_onbuild_trigger(std::string_view text, const std::string& file_name);

// The value of flag `name` (the last one if repeated), or nullptr.
const Flag* find_flag(const Instruction& instruction, std::string_view name);

}  // namespace krill::build
