#include "oci/spec.h"

#include "oci/spec_json.h"
#include "oci/spec_names.h"

namespace krill::oci {

const char* to_string(NamespaceType type) {
  switch (type) {
    case NamespaceType::kPid:
      return "pid";
    case NamespaceType::kNetwork:
      return "network";
    case NamespaceType::kMount:
      return "mount";
    case NamespaceType::kIpc:
      return "ipc";
    case NamespaceType::kUts:
      return "uts";
    case NamespaceType::kUser:
      return "user";
    case NamespaceType::kCgroup:
      return "cgroup";
    case NamespaceType::kTime:
      return "time";
  }
  return "unknown";
}

const char* to_string(Status status) {
  switch (status) {
    case Status::kCreating:
      return "creating";
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kStopped:
      return "stopped";
    case Status::kPaused:
      return "paused";
  }
  return "unknown";
}

Result<NamespaceType> parse_namespace_type(std::string_view name) {
  for (auto type :
       {NamespaceType::kPid, NamespaceType::kNetwork, NamespaceType::kMount, NamespaceType::kIpc,
        NamespaceType::kUts, NamespaceType::kUser, NamespaceType::kCgroup, NamespaceType::kTime}) {
    if (name == to_string(type)) return type;
  }
  return fail("unknown namespace type " + names::quote(name));
}

namespace names {

Result<Status> parse_status(std::string_view name) {
  for (auto status :
       {Status::kCreating, Status::kCreated, Status::kRunning, Status::kStopped, Status::kPaused}) {
    if (name == to_string(status)) return status;
  }
  return fail("unknown container status " + quote(name));
}

}  // namespace names

}  // namespace krill::oci
