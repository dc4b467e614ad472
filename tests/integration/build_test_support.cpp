#include "build_test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace krill::it {
namespace {

std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string blob_path(const std::string& layout, const std::string& digest) {
  auto colon = digest.find(':');
  if (colon == std::string::npos) return "";
  return layout + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

}  // namespace

bool is_image_id(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

int BuildOutcome::cache_hits() const {
  int hits = 0;
  for (const auto& line : lines_of(result.out))
    if (line.find("--> Using cache") != std::string::npos) ++hits;
  return hits;
}

std::string BuildOutcome::line_after_step(const std::string& instruction) const {
  auto lines = lines_of(result.out);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!line.starts_with("STEP ")) continue;
    auto colon = line.find(": ");
    if (colon != std::string::npos && line.substr(colon + 2) == instruction) return lines[i + 1];
  }
  return "";
}

BuildEnv::BuildEnv() : dir_("build") {
  context_ = dir_.path() + "/context";
  std::filesystem::create_directories(context_);
}

void BuildEnv::write(const std::string& relative, const ContextFile& file) const {
  std::string path = context_ + "/" + relative;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  if (!write_file(path, file.content)) ADD_FAILURE() << "write " << path;
  ::chmod(path.c_str(), file.mode);
}

BuildOutcome BuildEnv::build_args(const std::vector<std::string>& args,
                                  CommandOptions options) const {
  if (options.timeout == std::chrono::milliseconds(60000))
    options.timeout = std::chrono::seconds(180);
  std::vector<std::string> argv = {"build"};
  argv.insert(argv.end(), args.begin(), args.end());
  BuildOutcome outcome;
  outcome.result = krill(argv, options);
  auto lines = lines_of(outcome.result.out);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (!lines.empty() && is_image_id(lines.back())) outcome.id = lines.back();
  return outcome;
}

BuildOutcome BuildEnv::build(const std::string& dockerfile, const ContextFiles& files,
                             const std::vector<std::string>& flags, CommandOptions options) const {
  if (!dockerfile.empty()) write("Dockerfile", dockerfile);
  for (const auto& [name, file] : files) write(name, file);
  std::vector<std::string> args = {"--pull=never"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(context_);
  return build_args(args, std::move(options));
}

CommandResult BuildEnv::run(const std::string& image, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"run", "--rm", image};
  argv.insert(argv.end(), args.begin(), args.end());
  return krill(argv);
}

std::string BuildEnv::sh(const std::string& image, const std::string& script) const {
  auto result = run(image, {"/bin/sh", "-c", script});
  if (!result.ok()) return "<failed: " + result.describe() + ">";
  return trim_newlines(result.out);
}

std::optional<std::string> BuildEnv::file(const std::string& image, const std::string& path) const {
  auto result = run(image, {"/bin/cat", path});
  if (!result.ok()) return std::nullopt;
  return result.out;
}

std::string BuildEnv::stat(const std::string& image, const std::string& path,
                           const std::string& format) const {
  return sh(image, "stat -c '" + format + "' '" + path + "'");
}

json BuildEnv::config(const std::string& image) const {
  auto result = krill({"image", "inspect", "--config", "containers-storage:" + image});
  if (!result.ok()) return json(json::value_t::discarded);
  return parse_json(result.out);
}

json BuildEnv::manifest(const std::string& image) const {
  auto result = krill({"image", "inspect", "--raw", "containers-storage:" + image});
  if (!result.ok()) return json(json::value_t::discarded);
  return parse_json(result.out);
}

json BuildEnv::inspect_json(const std::string& image) const {
  auto result = krill({"image", "inspect", image});
  if (!result.ok()) return json(json::value_t::discarded);
  json doc = parse_json(result.out);
  if (doc.is_array() && !doc.empty()) return doc[0];
  return doc;
}

json BuildEnv::history(const std::string& image) const {
  json c = config(image);
  if (c.is_object() && c.contains("history") && c["history"].is_array()) return c["history"];
  return json::array();
}

std::string BuildEnv::unpack(const std::string& image) const {
  const int n = ++counter_;
  const std::string name = "localhost/unpack-" + std::to_string(n) + ":latest";
  auto tagged = krill({"tag", image, name});
  if (!tagged.ok()) {
    ADD_FAILURE() << tagged.describe();
    return "";
  }
  const std::string layout = dir() + "/layout-" + std::to_string(n);
  auto copied = krill({"image", "copy", "-q", "containers-storage:" + name, "oci:" + layout});
  krill({"untag", image, name});
  if (!copied.ok()) {
    ADD_FAILURE() << copied.describe();
    return "";
  }
  const std::string into = dir() + "/rootfs-" + std::to_string(n);
  json config = unpack_oci_layout(layout, into);
  if (config.is_discarded()) return "";
  return into;
}

json unpack_oci_layout(const std::string& layout, const std::string& into) {
  const json discarded(json::value_t::discarded);
  std::filesystem::create_directories(into);
  json index = parse_json(read_file(layout + "/index.json"));
  if (!index.is_object() || !index.contains("manifests") || index["manifests"].empty()) {
    ADD_FAILURE() << "no manifest in " << layout << "/index.json";
    return discarded;
  }
  json manifest = parse_json(
      read_file(blob_path(layout, index["manifests"][0].value("digest", std::string()))));
  if (!manifest.is_object()) {
    ADD_FAILURE() << "unreadable manifest in " << layout;
    return discarded;
  }
  for (const auto& layer : manifest.value("layers", json::array())) {
    std::string blob = blob_path(layout, layer.value("digest", std::string()));
    auto extracted =
        run_command({"tar", "--numeric-owner", "--same-permissions", "-xf", blob, "-C", into});
    if (!extracted.ok()) {
      ADD_FAILURE() << extracted.describe();
      return discarded;
    }
  }
  return parse_json(read_file(blob_path(layout, manifest["config"].value("digest", ""))));
}

std::string describe_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "missing";
  char mode[16];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  std::string out =
      std::string(mode) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " ";
  if (S_ISDIR(st.st_mode)) {
    out += "dir";
  } else if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t len = ::readlink(path.c_str(), target, sizeof target - 1);
    out += "symlink -> " + std::string(target, len > 0 ? static_cast<size_t>(len) : 0);
  } else if (S_ISREG(st.st_mode)) {
    out += "file " + std::to_string(st.st_size) + " " + read_file(path).substr(0, 64);
  } else {
    out += "other";
  }
  return out;
}

std::string describe_tree(const std::string& root) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    paths.push_back(std::filesystem::relative(it->path(), root).string());
  }
  std::sort(paths.begin(), paths.end());
  std::string out;
  for (const auto& p : paths) out += p + ": " + describe_path(root + "/" + p) + "\n";
  return out;
}

}  // namespace krill::it
