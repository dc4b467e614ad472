// Internal to krill_oci: pieces shared between the parser and the validator.
#pragma once

#include <string>

#include "base/error.h"
#include "oci/json_reader.h"
#include "oci/spec.h"

namespace krill::oci {

// Reads a LinuxResources object (linux.resources, or an `update --resources` file).
Result<Resources> read_resources_object(const json_reader::Object& object);

// The checks on a process that do not depend on the rest of the config: args
// non-empty, cwd absolute, known capabilities and rlimits without duplicates,
// I/O priority range. `path` is the process's path ("process", or "" for a
// process.json document).
Result<void> validate_process(const Process& process, const std::string& path);

}  // namespace krill::oci
