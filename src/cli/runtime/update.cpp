// krill-runtime update: change a running container's cgroup limits, from
// flags or from a LinuxResources JSON document (--resources FILE|-).
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>

#include "cli/runtime/commands.h"
#include "oci/spec_json.h"

namespace krill::cli {
namespace {

constexpr const char* kResourcesHelp =
    "path to a file with the resources to update, or '-' for the standard input; "
    "the other flags are then ignored. Format (omit what stays unchanged): "
    "{\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0}, \"cpu\": {\"shares\": 0, "
    "\"quota\": 0, \"period\": 0, \"realtimeRuntime\": 0, \"realtimePeriod\": 0, \"cpus\": \"\", "
    "\"mems\": \"\"}, \"blockIO\": {\"weight\": 0}, \"pids\": {\"limit\": 0}}";

Result<int64_t> parse_signed(const std::string& flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    return fail("invalid value for " + flag + ": \"" + text + "\" is not an integer");
  return static_cast<int64_t>(value);
}

Result<uint64_t> parse_unsigned(const std::string& flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  if (text.empty() || text[0] == '-')
    return fail("invalid value for " + flag + ": \"" + text + "\" is not an unsigned integer");
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE)
    return fail("invalid value for " + flag + ": \"" + text + "\" is not an unsigned integer");
  return static_cast<uint64_t>(value);
}

// A memory flag: a size with suffix, or -1 for "unlimited".
Result<int64_t> parse_memory_flag(const std::string& flag, const std::string& text) {
  if (text == "-1") return -1;
  auto bytes = parse_memory_bytes(text);
  if (!bytes) return fail("invalid value for " + flag + ": " + bytes.error().message());
  return *bytes;
}

Result<std::string> read_resources_text(const std::string& source, std::istream& in) {
  if (source == "-") return std::string(std::istreambuf_iterator<char>(in), {});
  std::ifstream file(source);
  if (!file) return fail_errno("open " + source);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

Result<int64_t> parse_memory_bytes(std::string_view text) {
  auto invalid = [&] { return fail("invalid size: '" + std::string(text) + "'"); };
  size_t digits_end = 0;
  while (digits_end < text.size() &&
         ((text[digits_end] >= '0' && text[digits_end] <= '9') || text[digits_end] == '.'))
    ++digits_end;
  std::string number(text.substr(0, digits_end));
  if (number.empty() || number.front() == '.' || number.back() == '.') return invalid();
  std::string_view unit = text.substr(digits_end);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double multiplier = 1;
  if (!unit.empty()) {
    switch (unit.front()) {
      case 'k':
      case 'K':
        multiplier = 1024.0;
        unit.remove_prefix(1);
        break;
      case 'm':
      case 'M':
        multiplier = 1024.0 * 1024;
        unit.remove_prefix(1);
        break;
      case 'g':
      case 'G':
        multiplier = 1024.0 * 1024 * 1024;
        unit.remove_prefix(1);
        break;
      case 't':
      case 'T':
        multiplier = 1024.0 * 1024 * 1024 * 1024;
        unit.remove_prefix(1);
        break;
      case 'p':
      case 'P':
        multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024;
        unit.remove_prefix(1);
        break;
      default:
        break;
    }
    if (multiplier > 1 && !unit.empty() && (unit.front() == 'i' || unit.front() == 'I'))
      unit.remove_prefix(1);
    if (!unit.empty() && (unit.front() == 'b' || unit.front() == 'B')) unit.remove_prefix(1);
    if (!unit.empty()) return invalid();
  }
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (*end != '\0') return invalid();
  double bytes = value * multiplier;
  if (bytes >= 9.2233720368547758e18) return invalid();
  return static_cast<int64_t>(bytes);
}

Result<oci::Resources> resources_from_flags(const UpdateFlags& flags) {
  oci::Resources resources;
  auto memory = [&]() -> oci::MemoryResources& {
    if (!resources.memory) resources.memory.emplace();
    return *resources.memory;
  };
  auto cpu = [&]() -> oci::CpuResources& {
    if (!resources.cpu) resources.cpu.emplace();
    return *resources.cpu;
  };

  if (!flags.blkio_weight.empty()) {
    uint64_t weight = KRILL_TRY(parse_unsigned("blkio-weight", flags.blkio_weight));
    if (weight > std::numeric_limits<uint16_t>::max())
      return fail("invalid value for blkio-weight: " + flags.blkio_weight + " is out of range");
    resources.block_io.emplace();
    resources.block_io->weight = static_cast<uint16_t>(weight);
  }
  if (!flags.cpu_period.empty())
    cpu().period = KRILL_TRY(parse_unsigned("cpu-period", flags.cpu_period));
  if (!flags.cpu_quota.empty()) cpu().quota = KRILL_TRY(parse_signed("cpu-quota", flags.cpu_quota));
  if (!flags.cpu_share.empty())
    cpu().shares = KRILL_TRY(parse_unsigned("cpu-share", flags.cpu_share));
  if (!flags.cpu_rt_period.empty())
    cpu().realtime_period = KRILL_TRY(parse_unsigned("cpu-rt-period", flags.cpu_rt_period));
  if (!flags.cpu_rt_runtime.empty())
    cpu().realtime_runtime = KRILL_TRY(parse_signed("cpu-rt-runtime", flags.cpu_rt_runtime));
  if (!flags.cpuset_cpus.empty()) cpu().cpus = flags.cpuset_cpus;
  if (!flags.cpuset_mems.empty()) cpu().mems = flags.cpuset_mems;
  if (!flags.memory.empty()) memory().limit = KRILL_TRY(parse_memory_flag("memory", flags.memory));
  if (!flags.memory_reservation.empty())
    memory().reservation =
        KRILL_TRY(parse_memory_flag("memory-reservation", flags.memory_reservation));
  if (!flags.memory_swap.empty())
    memory().swap = KRILL_TRY(parse_memory_flag("memory-swap", flags.memory_swap));
  if (!flags.kernel_memory.empty())
    memory().kernel = KRILL_TRY(parse_memory_flag("kernel-memory", flags.kernel_memory));
  if (!flags.kernel_memory_tcp.empty())
    memory().kernel_tcp =
        KRILL_TRY(parse_memory_flag("kernel-memory-tcp", flags.kernel_memory_tcp));
  if (!flags.pids_limit.empty()) {
    resources.pids.emplace();
    resources.pids->limit = KRILL_TRY(parse_signed("pids-limit", flags.pids_limit));
  }
  return resources;
}

CLI::App* add_update_command(CLI::App& parent, UpdateFlags& flags) {
  CLI::App* command = add_subcommand(parent, "update", "update container resource constraints",
                                     "[options] <container-id>",
                                     "krill-runtime update --memory 512m --cpu-quota 50000 web1");
  command->add_option("-r,--resources", flags.resources_file, kResourcesHelp);
  command->add_option("--blkio-weight", flags.blkio_weight,
                      "Specifies per cgroup weight, range is from 10 to 1000");
  command->add_option(
      "--cpu-period", flags.cpu_period,
      "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default");
  command->add_option("--cpu-quota", flags.cpu_quota,
                      "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period");
  command->add_option("--cpu-share", flags.cpu_share,
                      "CPU shares (relative weight vs. other containers)");
  command->add_option(
      "--cpu-rt-period", flags.cpu_rt_period,
      "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default");
  command->add_option("--cpu-rt-runtime", flags.cpu_rt_runtime,
                      "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period");
  command->add_option("--cpuset-cpus", flags.cpuset_cpus, "CPU(s) to use");
  command->add_option("--cpuset-mems", flags.cpuset_mems, "Memory node(s) to use");
  command->add_option("--memory", flags.memory, "Memory limit (bytes, or with a suffix: 512m, 1g)");
  command->add_option("--memory-reservation", flags.memory_reservation,
                      "Memory reservation or soft_limit (bytes, or with a suffix)");
  command->add_option("--memory-swap", flags.memory_swap,
                      "Total memory usage (memory + swap); set '-1' to enable unlimited swap");
  command->add_option("--kernel-memory", flags.kernel_memory, "Kernel memory limit (deprecated)")
      ->group("");
  command
      ->add_option("--kernel-memory-tcp", flags.kernel_memory_tcp,
                   "Kernel TCP buffer memory limit (deprecated)")
      ->group("");
  command->add_option("--pids-limit", flags.pids_limit,
                      "Maximum number of pids allowed in the container");
  command->add_option("--l3-cache-schema", flags.l3_cache_schema,
                      "The string of Intel RDT/CAT L3 cache schema");
  command->add_option("--mem-bw-schema", flags.mem_bw_schema,
                      "The string of Intel RDT/MBA memory bandwidth schema");
  add_id_argument(command, flags.id);
  return command;
}

void register_update(CLI::App& parent, CommandList& commands) {
  auto flags = std::make_shared<UpdateFlags>();
  CLI::App* command = add_update_command(parent, *flags);
  commands.push_back({command,
                      [flags](CommandContext& context) -> Result<int> {
                        oci::Resources resources;
                        if (!flags->resources_file.empty()) {
                          std::string text =
                              KRILL_TRY(read_resources_text(flags->resources_file, context.in));
                          resources = KRILL_TRY(oci::parse_resources(text));
                        } else {
                          if (!flags->l3_cache_schema.empty() || !flags->mem_bw_schema.empty())
                            return fail("updating Intel RDT schemata is not supported");
                          resources = KRILL_TRY(resources_from_flags(*flags));
                        }
                        auto runtime = KRILL_TRY(open_runtime(context));
                        KRILL_CHECK(runtime.update(flags->id, resources));
                        return 0;
                      },
                      /*creates_cgroups=*/true});
}

}  // namespace krill::cli
