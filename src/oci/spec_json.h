// Reading, writing and checking OCI runtime-spec documents: config.json, the
// container state, `exec --process` files and `update --resources` files.
//
// Parse errors name the field path in the document, e.g.
//   "linux.namespaces[2].type: unknown namespace type \"foo\""
//   "process.user.uid: expected an unsigned integer, got string"
// Unknown fields are ignored; JSON null is treated as an absent field.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::oci {

// config.json text -> Spec. Checks JSON types, REQUIRED fields and the values of
// enumerated fields; the cross-field MUSTs are left to validate_spec_for_create.
Result<Spec> parse_spec(std::string_view json_text);

// Reads and parses a config.json; every error is prefixed with the path.
Result<Spec> load_spec_file(const std::string& path);

// The checks a runtime makes before `create`: required parts present, paths
// absolute, namespaces consistent with the settings that need them, known
// capability/rlimit/seccomp names, ... Each error names the field.
Result<void> validate_spec_for_create(const Spec& spec);

// Spec -> config.json text (every modelled field; empty/absent optional fields
// are omitted). indent < 0 gives the compact form.
std::string spec_to_json(const Spec& spec, int indent = 2);

// What `runc spec` (rootless = false) or `runc spec --rootless` writes, with
// hostname "krill" and ociVersion kRuntimeSpecVersion. The rootless variant maps
// the calling process's effective uid/gid to 0 in a new user namespace.
Spec default_spec(bool rootless);

// The container state as `state` prints it (state-schema.json).
std::string state_to_json(const State& state);
Result<State> parse_state(std::string_view json_text);

// A process.json as given to `exec --process`: the process object alone. Also
// checks what exec needs: non-empty args, absolute cwd, known capabilities
// and rlimits.
Result<Process> parse_process(std::string_view json_text);

// A LinuxResources object as given to `update --resources`.
Result<Resources> parse_resources(std::string_view json_text);

// "pid", "network", ... -> NamespaceType (the inverse of to_string).
Result<NamespaceType> parse_namespace_type(std::string_view name);

}  // namespace krill::oci
