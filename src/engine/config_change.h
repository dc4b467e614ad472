// `--change KEY=VALUE` / `KEY VALUE` (the Dockerfile-like subset of `docker commit --change`
// and `podman import --change`) applied to an image config's "config" section.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace krill::engine {

// CMD, ENTRYPOINT (JSON array or shell form), ENV, EXPOSE, LABEL, ONBUILD (kept for builds
// FROM the image), STOPSIGNAL, USER, VOLUME, WORKDIR: podman's list. Any other key is an
// error naming the supported ones.
Result<void> apply_config_change(nlohmann::json& config, const std::string& change);

}  // namespace krill::engine
