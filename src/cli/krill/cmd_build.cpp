// `krill build` (podman build / docker build): the flags into build::BuildOptions, the context
// from a directory, a tar archive or stdin, and the result printed as podman prints it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/file_io.h"
#include "base/process_stat.h"
#include "base/unique_fd.h"
#include "base/user_namespace.h"
#include "build/build_context.h"
#include "build/builder.h"
#include "build/dockerfile.h"
#include "cli/krill/image_pull_policy.h"
#include "cli/krill/krill_cli.h"
#include "cli/krill/store_access.h"

namespace krill::cli {
namespace {

Result<std::string> read_all(std::istream& in) {
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

// Whether `data` starts like a tar archive or a compressed stream.
bool looks_like_archive(std::string_view data) {
  auto starts = [&](std::string_view magic) { return data.starts_with(magic); };
  if (starts("\x1f\x8b") || starts("BZh") ||
      starts("\xfd"
             "7zXZ") ||
      starts("\x28\xb5\x2f\xfd"))
    return true;
  return data.size() > 262 && data.substr(257, 5) == "ustar";
}

// "K=V" pairs into a map; a bare "K" takes the environment's value (skipped when unset).
Result<std::map<std::string, std::string>> parse_build_args(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    if (key.empty()) return fail("--build-arg " + item + ": empty name");
    if (eq != std::string::npos) {
      out[key] = item.substr(eq + 1);
    } else if (const char* value = std::getenv(key.c_str())) {
      out[key] = value;
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_labels(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == 0) return fail("--label " + item + ": empty key");
    out[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
  }
  return out;
}

// --secret id=x,src=file | id=x,env=VAR (the value written to a private temp file).
Result<std::map<std::string, std::string>> parse_secrets(const std::vector<std::string>& items,
                                                         const std::string& temp_dir) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    std::map<std::string, std::string> fields;
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      std::string field = item.substr(start, comma - start);
      size_t eq = field.find('=');
      if (!field.empty())
        fields[field.substr(0, eq)] = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    std::string id = fields["id"];
    if (id.empty()) return fail("--secret " + item + ": id is required");
    std::string source = fields.count("src") ? fields["src"] : fields["source"];
    if (fields.count("env")) {
      const char* value = std::getenv(fields["env"].c_str());
      if (!value) return fail("--secret " + item + ": environment variable not set");
      source = temp_dir + "/secret-" + std::to_string(out.size());
      KRILL_CHECK(write_file_atomic(source, value, 0600));
    }
    if (source.empty()) return fail("--secret " + item + ": src or env is required");
    if (::access(source.c_str(), R_OK) != 0) return fail_errno("--secret " + item + ": " + source);
    char resolved[PATH_MAX];
    if (!::realpath(source.c_str(), resolved)) return fail_errno("--secret " + source);
    out[id] = resolved;
  }
  return out;
}

Result<std::optional<int64_t>> build_timestamp(const std::string& flag) {
  std::string text = flag;
  if (text.empty()) {
    const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
    if (!epoch || !*epoch) return std::optional<int64_t>();
    text = epoch;
  }
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || value < 0)
    return fail("--timestamp " + text + ": not seconds since the epoch");
  return std::optional<int64_t>(value);
}

class TempDir {
 public:
  static Result<TempDir> create(const std::string& parent) {
    KRILL_CHECK(mkdir_all(parent, 0700));
    std::string path = parent + "/build-XXXXXX";
    if (!::mkdtemp(path.data())) return fail_errno("create a temp directory in " + parent);
    return TempDir(path);
  }
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ~TempDir() {
    if (!path_.empty()) (void)remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Result<int> run_build(Context& ctx, const BuildFlags& o) {
  // Rootless builds run in the user's krill namespace (cmd_rootless.cpp), where mounting
  // overlayfs and owning files as other ids are allowed.
  auto store = KRILL_TRY(open_store(ctx));
  const std::string build_root = store.root() + "/build";
  auto temp = KRILL_TRY(TempDir::create(build_root + "/tmp"));

  // The context and the Dockerfile's text.
  std::optional<build::BuildContext> context;
  std::string dockerfile_text;
  std::string dockerfile_name;
  if (o.context == "-") {
    std::string data = KRILL_TRY(read_all(ctx.in));
    if (looks_like_archive(data)) {
      std::string archive = temp.path() + "/context.tar";
      KRILL_CHECK(write_file_atomic(archive, data, 0600));
      UniqueFd fd(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
      context = KRILL_TRY(build::BuildContext::from_tar(fd.get(), temp.path()));
    } else {
      // `docker build - < Dockerfile`: no context at all.
      KRILL_CHECK(mkdir_all(temp.path() + "/empty-context", 0700));
      context = KRILL_TRY(build::BuildContext::from_directory(temp.path() + "/empty-context"));
      dockerfile_text = data;
      dockerfile_name = "Dockerfile";
    }
  } else {
    struct stat st {};
    if (::stat(o.context.c_str(), &st) != 0) return fail_errno("build context " + o.context);
    if (S_ISDIR(st.st_mode)) {
      context = KRILL_TRY(build::BuildContext::from_directory(o.context));
    } else {
      UniqueFd fd(::open(o.context.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.get() < 0) return fail_errno("open build context " + o.context);
      context = KRILL_TRY(build::BuildContext::from_tar(fd.get(), temp.path()));
    }
  }
  if (dockerfile_name.empty()) {
    if (o.file == "-") {
      if (o.context == "-") return fail("-f - and context - cannot both read stdin");
      dockerfile_text = KRILL_TRY(read_all(ctx.in));
      dockerfile_name = "Dockerfile";
    } else {
      std::string path = KRILL_TRY(context->dockerfile_path(o.file));
      dockerfile_text = KRILL_TRY(read_file(path));
      dockerfile_name = o.file.empty() ? path.substr(path.find_last_of('/') + 1) : o.file;
    }
  }

  build::BuildOptions options;
  options.context = &*context;
  options.dockerfile = KRILL_TRY(build::parse_dockerfile(dockerfile_text, dockerfile_name));
  for (const auto& tag : o.tags) options.tags.push_back(KRILL_TRY(normalize_name(tag)));
  options.build_args = KRILL_TRY(parse_build_args(o.build_args));
  options.target = o.target;
  options.no_cache = o.no_cache;
  options.layers = o.layers;
  options.labels = KRILL_TRY(parse_labels(o.labels));
  options.format = o.format;
  options.secrets = KRILL_TRY(parse_secrets(o.secrets, temp.path()));
  options.network = o.network == "default" || o.network.empty() ? "host" : o.network;
  options.squash = o.squash;
  options.timestamp = KRILL_TRY(build_timestamp(o.timestamp));
  options.isolation = o.isolation;
  constexpr int kCapSysAdmin = 21;
  if (options.isolation == "oci" && in_krill_user_namespace()) {
    // Rootless (as buildah's chroot isolation): no cgroups of our own to give a runtime.
    options.isolation = "chroot";
  } else if (options.isolation == "oci" && !has_effective_capability(kCapSysAdmin)) {
    // kaniko's case: in an unprivileged container no namespace can be made for RUN.
    ctx.warn("no CAP_SYS_ADMIN: RUN steps run with --isolation chroot");
    options.isolation = "chroot";
  }
  if (!o.platform.empty()) {
    auto wanted = KRILL_TRY(image::parse_platform(o.platform));
    image::Platform host = image::host_platform();
    if (wanted.os != host.os || wanted.architecture != host.architecture)
      return fail("--platform " + o.platform + ": only the host's platform (" + host.str() +
                  ") can be built here (no emulation)");
  }
  options.runtime_path = o.runtime.empty() ? krill_executable_dir() + "/krill-runtime" : o.runtime;
  options.work_root = build_root + "/work";
  options.runtime_root = ctx.run_root() + "/build-runtime";
  options.cache_root = build_root + "/cache";
  NullStream null_out;
  options.out = o.quiet ? &null_out : &ctx.out;
  UniqueFd dev_null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  options.run_stdout_fd = o.quiet ? dev_null.get() : STDOUT_FILENO;
  options.run_stderr_fd = o.quiet ? dev_null.get() : STDERR_FILENO;
  std::string pull_policy = o.pull.empty() ? "always" : o.pull;
  options.resolve_image = [&](const std::string& reference) -> Result<build::BaseImage> {
    PullPolicyRequest request;
    request.image = reference;
    request.policy = pull_policy;
    request.platform = o.platform;
    request.quiet = o.quiet;
    request.registry = o.registry;
    auto record = KRILL_TRY(ensure_local_image(ctx, request));
    auto reopened = KRILL_TRY(open_store(ctx));
    auto loaded = KRILL_TRY(load_image(reopened, record));
    return build::BaseImage{record, loaded.manifest, loaded.config};
  };
  if (ctx.out_is_terminal) ctx.out.flush();
  auto result = KRILL_TRY(build::build_image(store, options));
  for (const auto& warning : result.warnings) ctx.warn(warning);
  const std::string id = result.image.id.hex();
  if (!o.quiet) {
    if (!options.tags.empty()) ctx.out << "COMMIT " << options.tags.front() << "\n";
    ctx.out << "--> " << id.substr(0, 12) << "\n";
    for (const auto& tag : options.tags) ctx.out << "Successfully tagged " << tag << "\n";
  }
  ctx.out << id << "\n";
  if (!o.iidfile.empty()) KRILL_CHECK(write_file_atomic(o.iidfile, result.image.id.str(), 0644));
  return 0;
}

}  // namespace

void KrillCommandLine::register_build_commands(CLI::App& parent) {
  BuildFlags& o = options.build;
  auto* c = add(parent, "build", "Build an image from a Containerfile or Dockerfile", "[CONTEXT]",
                "krill build -t localhost/app:1 -f Containerfile .",
                [&o](Context& ctx) { return run_build(ctx, o); });
  c->add_option("CONTEXT", o.context, "directory, tar archive, or - for stdin (default .)");
  c->add_option("-f,--file", o.file,
                "the Containerfile (default CONTEXT/Containerfile or Dockerfile; - for stdin)");
  c->add_option("-t,--tag", o.tags, "name the image (repeatable)")->allow_extra_args(false);
  c->add_option("--build-arg", o.build_args, "a build argument K=V (K alone takes $K)")
      ->allow_extra_args(false);
  c->add_option("--target", o.target, "build up to this stage");
  c->add_flag("--no-cache", o.no_cache, "do not use cached steps");
  c->add_option("--pull", o.pull, "pull base images: always, missing, never, newer")
      ->expected(0, 1);
  c->add_option("--label", o.labels, "a label K=V on the image (repeatable)")
      ->allow_extra_args(false);
  c->add_option("--iidfile", o.iidfile, "write the image id to this file");
  c->add_option("--format", o.format, "manifest format: oci or docker")
      ->check(CLI::IsMember({"oci", "docker"}));
  c->add_option("--secret", o.secrets, "a secret for RUN --mount=type=secret: id=x,src=FILE")
      ->allow_extra_args(false);
  c->add_option("--network", o.network, "network for RUN: host (default) or none")
      ->check(CLI::IsMember({"host", "none", "default"}));
  c->add_flag("--squash", o.squash, "squash the new layers into one");
  c->add_flag("--layers,!--no-layers", o.layers, "cache intermediate steps (default true)");
  c->add_option("--timestamp", o.timestamp,
                "seconds since the epoch for every created time and file mtime (reproducible)");
  c->add_option("--platform", o.platform, "the platform to build for (the host's only)");
  c->add_option("--progress", o.progress, "output style: auto, plain or tty")
      ->check(CLI::IsMember({"auto", "plain", "tty"}));
  c->add_flag("-q,--quiet", o.quiet, "print only the image id");
  c->add_option("--isolation", o.isolation, "how RUN runs: oci (namespaces) or chroot")
      ->check(CLI::IsMember({"oci", "chroot"}));
  c->add_option("--runtime", o.runtime, "the OCI runtime binary for RUN (default krill-runtime)");
  c->add_flag("--tls-verify,!--no-tls-verify", o.registry.tls_verify,
              "require HTTPS and verify certificates when pulling");
  c->add_option("--cert-dir", o.registry.cert_dir, "certificates for pulling");
  c->add_option("--creds", o.registry.creds, "credentials USERNAME[:PASSWORD] for pulling");
  c->add_option("--authfile", o.registry.authfile, "path of the authentication file");
}

}  // namespace krill::cli
