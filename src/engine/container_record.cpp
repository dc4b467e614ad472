// Container states by Docker's names.
#include "engine/container_record.h"

namespace krill::engine {

const char* status_name(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kCreated:
      return "created";
    case ContainerStatus::kRunning:
      return "running";
    case ContainerStatus::kPaused:
      return "paused";
    case ContainerStatus::kStopping:
      return "stopping";
    case ContainerStatus::kExited:
      return "exited";
    case ContainerStatus::kRemoving:
      return "removing";
  }
  return "unknown";
}

Result<ContainerStatus> parse_status(std::string_view name) {
  for (auto status :
       {ContainerStatus::kCreated, ContainerStatus::kRunning, ContainerStatus::kPaused,
        ContainerStatus::kStopping, ContainerStatus::kExited, ContainerStatus::kRemoving}) {
    if (name == status_name(status)) return status;
  }
  return fail("unknown container status \"" + std::string(name) + "\"");
}

}  // namespace krill::engine
