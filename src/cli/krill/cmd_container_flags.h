// `run`/`create` flags -> engine::ContainerConfig, with Docker's validation and wording, and the
// small value parsers the container commands share (Go durations, --since times).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/go_duration.h"
#include "cli/krill/container_options.h"
#include "engine/container_config.h"

namespace krill::cli {

// Looks up a variable of krill's own environment (for `-e NAME` without a value).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env_lookup();

// Everything but the image's resolved name and id (image_ref is flags.image). Errors name the
// flag: "invalid argument \"abc\" for \"--memory\" flag: ...".
Result<engine::ContainerConfig> run_flags_to_config(const RunFlags& flags, const EnvLookup& lookup);

// `logs --since/--until`: RFC 3339 ("2026-11-28T11:00:00Z", with or without fraction/offset,
// also a date "2026-11-28"), Unix seconds ("1700000000[.123]"), or a duration before now
// ("10m"). Returns Unix nanoseconds.
Result<int64_t> parse_time_or_duration(std::string_view text, int64_t now_ns);

// Reads an --env-file: KEY=VALUE lines, "#" comments and blank lines skipped, a bare KEY taken
// from the environment (dropped when unset).
Result<std::vector<std::string>> read_env_file(const std::string& path, const EnvLookup& lookup);

}  // namespace krill::cli
