// A container's live status, derived from its record and the kernel.
#pragma once

#include <string>

#include "oci/spec.h"
#include "runtime/state_store.h"

namespace krill::runtime {

// The socket the init waits on until `start`; it exists only while "created".
std::string start_socket_path(const std::string& container_dir);

oci::Status container_status(const ContainerRecord& record, const std::string& container_dir);

// The runtime-spec state document for a record.
oci::State container_state(const ContainerRecord& record, const std::string& container_dir);

}  // namespace krill::runtime
