// The Dockerfile instructions that only change the image config (ENV, LABEL, CMD, ENTRYPOINT,
// EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER), applied
// to a stage's config the way Docker applies them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "build/dockerfile.h"
#include "build/shell_words.h"
#include "image/manifest.h"

namespace krill::build {

// Per stage: whether CMD was set in this stage (ENTRYPOINT clears an inherited CMD only).
struct StageConfigState {
  bool cmd_set = false;
};

// True for the instructions apply_config_instruction handles.
bool is_config_instruction(std::string_view keyword);

// Applies `instruction` to `image` (config.config; MAINTAINER sets author). Returns the
// history text ("ENV a=b", "CMD [\"sh\"]"). Errors are the instruction's, without a line
// prefix (the caller adds "Dockerfile:N: ").
Result<std::string> apply_config_instruction(image::ImageConfig& image,
                                             const Instruction& instruction,
                                             const VariableLookup& lookup, char escape,
                                             StageConfigState& state);

// ENV/LABEL/ARG style "k=v k2=\"v 2\"" (and the legacy "ENV k v") after substitution.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(
    std::string_view keyword, std::string_view text, const VariableLookup& lookup, char escape);

// The process a shell-form instruction runs: the stage's SHELL (default /bin/sh -c) + text.
std::vector<std::string> shell_command(const image::ImageConfig& image, const std::string& text);

// "a/b" against WORKDIR "/x" -> "/x/a/b"; cleaned ("/x/../y" -> "/y").
std::string resolve_workdir(const std::string& current, const std::string& path);

}  // namespace krill::build
