#include "runtime/container_status.h"

#include <unistd.h>

#include "base/process_stat.h"

namespace krill::runtime {

std::string start_socket_path(const std::string& container_dir) {
  return container_dir + "/start.sock";
}

oci::Status container_status(const ContainerRecord& record, const std::string& container_dir) {
  if (record.init_pid <= 0 || !process_alive(record.init_pid, record.init_start_time))
    return oci::Status::kStopped;
  if (::access(start_socket_path(container_dir).c_str(), F_OK) == 0) return oci::Status::kCreated;
  if (record.paused) return oci::Status::kPaused;
  return oci::Status::kRunning;
}

oci::State container_state(const ContainerRecord& record, const std::string& container_dir) {
  oci::State state;
  state.id = record.id;
  state.status = container_status(record, container_dir);
  state.pid = state.status == oci::Status::kStopped ? 0 : record.init_pid;
  state.bundle = record.bundle;
  state.annotations = record.annotations;
  return state;
}

}  // namespace krill::runtime
