#include "runtime/cgroups/device_filter_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace krill::cgroups {

namespace {

long bpf_call(int command, bpf_attr& attr) {
  return ::syscall(SYS_bpf, command, &attr, sizeof attr);
}

uint64_t pointer_value(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

}  // namespace

Result<UniqueFd> load_device_program(const std::vector<bpf_insn>& program) {
  static const char license[] = "Apache";
  auto load = [&](char* log, uint32_t log_size) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = pointer_value(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = pointer_value(license);
    if (log) {
      attr.log_buf = pointer_value(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return static_cast<int>(bpf_call(BPF_PROG_LOAD, attr));
  };
  int fd = load(nullptr, 0);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  std::string log(64 * 1024, '\0');
  int retry = load(log.data(), static_cast<uint32_t>(log.size()));
  if (retry >= 0) return UniqueFd(retry);  // unlikely: succeeded the second time
  log.resize(std::strlen(log.c_str()));
  std::string message = "load device filter eBPF program: " + std::string(std::strerror(err));
  if (!log.empty()) message += "; verifier log: " + log;
  return std::unexpected(Error(std::move(message), err));
}

Result<std::vector<uint32_t>> attached_device_programs(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = pointer_value(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf_call(BPF_PROG_QUERY, attr) < 0) return fail_errno("query device eBPF programs");
  ids.resize(attr.query.prog_cnt);
  return ids;
}

Result<void> replace_device_filter(const std::string& dir, const std::vector<bpf_insn>& program) {
  UniqueFd cgroup(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return fail_errno("open cgroup " + dir);
  auto queried = attached_device_programs(cgroup.get());
  if (!queried) return std::unexpected(std::move(queried.error()).context(dir));
  std::vector<uint32_t> old_ids = std::move(*queried);
  UniqueFd prog = KRILL_TRY(load_device_program(program));

  bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf_call(BPF_PROG_ATTACH, attach) < 0)
    return fail_errno("attach device eBPF program to " + dir);

  for (uint32_t id : old_ids) {
    bpf_attr get;
    std::memset(&get, 0, sizeof get);
    get.prog_id = id;
    UniqueFd old(static_cast<int>(bpf_call(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old) {
      if (errno == ENOENT) continue;  // already gone
      return fail_errno("get eBPF program " + std::to_string(id) + " attached to " + dir);
    }
    bpf_attr detach;
    std::memset(&detach, 0, sizeof detach);
    detach.target_fd = static_cast<uint32_t>(cgroup.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf_call(BPF_PROG_DETACH, detach) < 0 && errno != ENOENT)
      return fail_errno("detach old device eBPF program " + std::to_string(id) + " from " + dir);
  }
  return {};
}

}  // namespace krill::cgroups
