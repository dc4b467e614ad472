// Engine: opening, paths, lookups, the runtime binary.
#include "engine/engine.h"

#include <unistd.h>

#include "base/file_io.h"
#include "engine/engine_internal.h"

namespace krill::engine {

Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Result<Engine> Engine::open(EngineOptions options) {
  if (options.krill_binary.empty()) options.krill_binary = self_exe_dir() + "/krill";
  if (options.helper_dir.empty()) {
    auto slash = options.krill_binary.rfind('/');
    options.helper_dir = slash == std::string::npos ? "." : options.krill_binary.substr(0, slash);
  }
  if (options.storage_driver.empty()) options.storage_driver = "overlay";
  Engine engine;
  engine.options_ = std::move(options);
  auto store = KRILL_TRY(ContainerStore::open(engine.options_.store_root));
  engine.store_ = std::make_unique<ContainerStore>(std::move(store));
  image::StoreOptions image_options;
  image_options.rootless = engine.options_.rootless;
  image_options.driver = engine.options_.storage_driver;
  auto images = KRILL_TRY(image::ImageStore::open(engine.options_.store_root, image_options));
  engine.images_ = std::make_unique<image::ImageStore>(std::move(images));
  return engine;
}

std::string Engine::container_dir(const std::string& id) const {
  return options_.store_root + "/containers/" + id;
}
std::string Engine::userdata_dir(const std::string& id) const {
  return container_dir(id) + "/userdata";
}
std::string Engine::snapshot_dir(const std::string& id) const {
  return container_dir(id) + "/snapshot";
}
std::string Engine::run_dir(const std::string& id) const {
  return options_.run_root + "/containers/" + id;
}
std::string Engine::log_path(const ContainerRecord& record) const {
  auto it = record.config.log_options.find("path");
  if (it != record.config.log_options.end() && !it->second.empty()) return it->second;
  if (record.config.log_driver == "json-file")
    return userdata_dir(record.id) + "/" + record.id + "-json.log";
  return userdata_dir(record.id) + "/ctr.log";
}

RuntimeBinary Engine::runtime_for(const ContainerConfig& config) const {
  RuntimeBinary binary;
  std::string name = config.runtime.empty() ? "krill-runtime" : config.runtime;
  if (name.find('/') != std::string::npos) {
    binary.path = name;
  } else if (name == "krill-runtime" || name == "krill") {
    std::string next_to_us = options_.helper_dir + "/krill-runtime";
    binary.path = ::access(next_to_us.c_str(), X_OK) == 0 ? next_to_us : find_program(name);
    name = "krill-runtime";
  } else {
    binary.path = find_program(name);
  }
  if (binary.path.empty()) binary.path = name;
  auto slash = binary.path.rfind('/');
  std::string base = slash == std::string::npos ? binary.path : binary.path.substr(slash + 1);
  binary.root = options_.run_root + "/" + (base == "krill-runtime" ? "runtime" : base);
  return binary;
}

Result<RuntimeOutput> Engine::run_runtime(const ContainerConfig& config,
                                          const std::vector<std::string>& args) const {
  RuntimeBinary binary = runtime_for(config);
  if (binary.path.find('/') == std::string::npos)
    return fail("OCI runtime \"" + binary.path + "\" not found in $PATH");
  if (binary.path == options_.helper_dir + "/krill-runtime")
    if (auto done = run_builtin_runtime_in_process(binary.root, args)) return *done;
  std::vector<std::string> argv = {binary.path, "--root", binary.root};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_captured(argv);
}

Result<ContainerRecord> Engine::find(const std::string& name_or_id) {
  auto record = KRILL_TRY(store_->find(name_or_id));
  return reconcile(record);
}

Result<std::vector<ContainerRecord>> Engine::list() {
  auto records = KRILL_TRY(store_->list());
  for (auto& record : records) {
    // Only a live record can be stale (reconcile returns the others as they are: no copy).
    if (record.status != ContainerStatus::kRunning && record.status != ContainerStatus::kPaused &&
        record.status != ContainerStatus::kStopping)
      continue;
    auto reconciled = reconcile(record);
    if (reconciled) record = std::move(*reconciled);
  }
  return records;
}

int exit_status_for_start_error(const Error& error) {
  const std::string& m = error.message();
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos ||
      m.find("No such file or directory") != std::string::npos)
    return 127;
  if (m.find("permission denied") != std::string::npos ||
      m.find("Permission denied") != std::string::npos)
    return 126;
  return 125;
}

int Engine::start_error_status(const std::string& name_or_id, const Error& error) {
  auto record = store_->find(name_or_id);
  if (record && record->error == error.message() && record->exit_code >= 125)
    return record->exit_code;
  return exit_status_for_start_error(error);
}

Result<image::ContainerConfig> image_container_config(image::ImageStore& images,
                                                      const std::string& image_id) {
  if (image_id.empty()) return image::ContainerConfig{};
  auto found = KRILL_TRY(images.find(image_id));
  if (!found) return fail("image " + image_id + ": image not known");
  auto bytes = KRILL_TRY(images.content().read_blob(found->id));
  auto config = KRILL_TRY(image::parse_image_config(bytes));
  return config.config.value_or(image::ContainerConfig{});
}

}  // namespace krill::engine
