// `krill build` against `buildah bud` (the reference implementation podman uses): the same
// Dockerfile and context built by both, the resulting trees (modes, owners, types, contents) and
// configs compared. buildah runs with private storage (vfs, its own root and run root, chroot
// isolation, our own signature policy), so nothing touches the machine's containers storage.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "build_test_support.h"

namespace krill::it {
namespace {

class Buildah {
 public:
  explicit Buildah(const BuildEnv& env) : env_(env), dir_("buildah") {
    policy_ = dir_.path() + "/policy.json";
    write_file(policy_, R"({"default":[{"type":"insecureAcceptAnything"}]})");
    std::filesystem::create_directories(dir_.path() + "/tmp");
  }
  ~Buildah() {
    // vfs layers are plain directories; containers left by a failed bud are removed first.
    run({"rm", "--all"});
    auto removed = run({"rmi", "--all", "--force"});
    (void)removed;
  }
  Buildah(const Buildah&) = delete;
  Buildah& operator=(const Buildah&) = delete;

  CommandResult run(const std::vector<std::string>& args, CommandOptions options = {}) const {
    std::vector<std::string> argv = {
        "buildah",          "--root", dir_.path() + "/storage", "--runroot", dir_.path() + "/run",
        "--storage-driver", "vfs"};
    argv.insert(argv.end(), args.begin(), args.end());
    options.env.push_back("TMPDIR=" + dir_.path() + "/tmp");
    options.env.push_back("BUILDAH_ISOLATION=chroot");
    options.env.push_back("STORAGE_DRIVER=vfs");
    options.timeout = std::chrono::seconds(300);
    return run_command(argv, options);
  }

  // Puts the krill busybox image into buildah's storage under the same name.
  bool import_kbox() const {
    const std::string archive = dir_.path() + "/kbox.oci.tar";
    auto exported =
        env_.krill({"image", "copy", "-q", std::string("containers-storage:") + EngineEnv::kImage,
                    "oci-archive:" + archive});
    if (!exported.ok()) {
      ADD_FAILURE() << exported.describe();
      return false;
    }
    auto pulled = run({"pull", "--signature-policy", policy_, "oci-archive:" + archive});
    if (!pulled.ok()) {
      ADD_FAILURE() << pulled.describe();
      return false;
    }
    std::string id = pulled.out;
    while (!id.empty() && id.back() == '\n') id.pop_back();
    id = id.substr(id.find_last_of('\n') + 1);
    auto tagged = run({"tag", id, EngineEnv::kImage});
    if (!tagged.ok()) ADD_FAILURE() << tagged.describe();
    return tagged.ok();
  }

  // Builds the context into an image named `name`, then unpacks it into `into`; returns the
  // config blob (discarded on failure, with the reason in `log`).
  json build(const std::string& context, const std::string& name, const std::string& into,
             std::string& log) const {
    auto built = run({"bud", "--signature-policy", policy_, "--isolation", "chroot", "--pull-never",
                      "--format", "oci", "-t", name, context});
    log = built.describe();
    if (!built.ok()) return json(json::value_t::discarded);
    const std::string layout = dir_.path() + "/layout-" + std::to_string(++counter_);
    auto pushed = run({"push", "--signature-policy", policy_, name, "oci:" + layout});
    log += pushed.describe();
    if (!pushed.ok()) return json(json::value_t::discarded);
    return unpack_oci_layout(layout, into);
  }

 private:
  const BuildEnv& env_;
  TempDir dir_;
  std::string policy_;
  mutable int counter_ = 0;
};

// The config fields both builders must agree on (buildah's own version label removed).
json comparable_config(const json& config) {
  json c = config.value("config", json::object());
  json out = json::object();
  for (const char* key : {"Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels",
                          "ExposedPorts", "Volumes", "StopSignal"}) {
    if (!c.contains(key) || c[key].is_null()) continue;
    if (c[key].is_string() && c[key].get<std::string>().empty()) continue;
    if ((c[key].is_object() || c[key].is_array()) && c[key].empty()) continue;
    out[key] = c[key];
  }
  if (out.contains("Labels")) {
    out["Labels"].erase("io.buildah.version");
    if (out["Labels"].empty()) out.erase("Labels");
  }
  // Docker replaces an existing variable in place, buildah appends it: compare as a set.
  if (out.contains("Env")) {
    auto env = out["Env"].get<std::vector<std::string>>();
    std::sort(env.begin(), env.end());
    out["Env"] = env;
  }
  // Docker expands EXPOSE ranges into one key per port; buildah keeps "7000-7001/tcp".
  if (out.contains("ExposedPorts")) {
    json ports = json::object();
    for (const auto& [key, value] : out["ExposedPorts"].items()) {
      size_t dash = key.find('-'), slash = key.find('/');
      if (dash == std::string::npos || slash == std::string::npos || dash > slash) {
        ports[key] = value;
        continue;
      }
      int first = std::stoi(key.substr(0, dash));
      int last = std::stoi(key.substr(dash + 1, slash - dash - 1));
      for (int port = first; port <= last; ++port)
        ports[std::to_string(port) + key.substr(slash)] = value;
    }
    out["ExposedPorts"] = ports;
  }
  return out;
}

struct Compared {
  std::string krill_tree, buildah_tree;
  json krill_config, buildah_config;
  std::string krill_root, buildah_root;
};

// Builds env's context with both and describes `subtree` (relative to the root) of each.
bool build_both(BuildEnv& env, Buildah& buildah, const std::string& subtree, Compared& out) {
  auto built = env.build("");
  if (!built.ok()) {
    ADD_FAILURE() << "krill build\n" << built.describe();
    return false;
  }
  out.krill_root = env.unpack(built.id);
  if (out.krill_root.empty()) return false;
  out.krill_config = env.config(built.id);
  out.buildah_root = env.dir() + "/buildah-rootfs";
  std::string log;
  out.buildah_config =
      buildah.build(env.context(), "localhost/compare:latest", out.buildah_root, log);
  if (out.buildah_config.is_discarded()) {
    ADD_FAILURE() << "buildah bud\n" << log;
    return false;
  }
  out.krill_tree = describe_tree(out.krill_root + "/" + subtree);
  out.buildah_tree = describe_tree(out.buildah_root + "/" + subtree);
  return true;
}

#define SKIP_WITHOUT_BUILDAH() \
  if (!have_program("buildah")) GTEST_SKIP() << "buildah is not installed"

TEST(BuildVsBuildah, ScratchCopyTreesMatch) {
  SKIP_WITHOUT_BUILDAH();
  BuildEnv env;
  Buildah buildah(env);
  env.write("Dockerfile",
            "FROM scratch\n"
            "COPY dir /out/tree/\n"
            "COPY --chmod=0700 a.txt /out/chmod\n"
            "COPY --chown=5:6 dir /out/owned\n"
            "COPY a.txt b*.txt /out/multi/\n"
            "COPY a.txt /out/renamed\n"
            "ADD t.tar /out/extracted/\n"
            "COPY link /out/followed\n");
  env.write("a.txt", ContextFile("a\n", 0640));
  env.write("b1.txt", "b1\n");
  env.write("b2.txt", ContextFile("b2\n", 0600));
  env.write("dir/exe", ContextFile("#!/bin/sh\n", 0755));
  env.write("dir/sub/deep.txt", ContextFile("deep\n", 0604));
  ASSERT_EQ(::symlink("exe", (env.context() + "/dir/sub-link").c_str()), 0);
  ASSERT_EQ(::symlink("a.txt", (env.context() + "/link").c_str()), 0);
  const std::string src = env.dir() + "/tar-src";
  std::filesystem::create_directories(src + "/t");
  write_file(src + "/t/in-tar", "tar\n");
  auto tarred = run_command({"tar", "-C", src, "--owner=3", "--group=4", "--numeric-owner", "-cf",
                             env.context() + "/t.tar", "t"});
  ASSERT_TRUE(tarred.ok()) << tarred.describe();
  Compared c;
  ASSERT_TRUE(build_both(env, buildah, "out", c));
  EXPECT_EQ(c.krill_tree, c.buildah_tree);
  EXPECT_EQ(describe_path(c.krill_root + "/out"), describe_path(c.buildah_root + "/out"));
}

TEST(BuildVsBuildah, RunStepsAndConfigMatch) {
  SKIP_WITHOUT_BUILDAH();
  BuildEnv env;
  Buildah buildah(env);
  ASSERT_TRUE(buildah.import_kbox());
  env.write("Dockerfile", std::string("FROM ") + EngineEnv::kImage +
                              "\n"
                              "ARG VERSION=1.0\n"
                              "ENV APP=demo PATH=/bin:/usr/local/bin\n"
                              "ENV LEGACY value with spaces\n"
                              "LABEL version=$VERSION \"org.example.name\"=\"$APP app\"\n"
                              "WORKDIR /out/work\n"
                              "RUN echo \"$APP $VERSION\" > made.txt && busybox chmod 0751 "
                              "made.txt && mkdir -p sub/dir && busybox ln -s made.txt link && "
                              "busybox chown 12:34 sub\n"
                              "COPY --chown=1:2 ctx.txt rel/\n"
                              "USER 1000:1000\n"
                              "EXPOSE 8080 53/udp 7000-7001\n"
                              "VOLUME /data\n"
                              "STOPSIGNAL SIGTERM\n"
                              "ENTRYPOINT [\"/bin/sh\", \"-c\"]\n"
                              "CMD [\"echo hi\"]\n");
  env.write("ctx.txt", "context\n");
  Compared c;
  ASSERT_TRUE(build_both(env, buildah, "out", c));
  EXPECT_EQ(c.krill_tree, c.buildah_tree);
  EXPECT_EQ(comparable_config(c.krill_config).dump(2), comparable_config(c.buildah_config).dump(2));
}

TEST(BuildVsBuildah, MultiStageShellFormsAndInheritedCmdMatch) {
  SKIP_WITHOUT_BUILDAH();
  BuildEnv env;
  Buildah buildah(env);
  ASSERT_TRUE(buildah.import_kbox());
  env.write("Dockerfile", std::string("ARG BASE=") + EngineEnv::kImage +
                              "\n"
                              "FROM ${BASE} AS builder\n"
                              "CMD [\"inherited\"]\n"
                              "RUN mkdir -p /out && echo built > /out/artifact && "
                              "busybox chmod 0600 /out/artifact\n"
                              "FROM builder AS middle\n"
                              "ENTRYPOINT /bin/echo shell form\n"
                              "FROM ${BASE}\n"
                              "COPY --from=builder /out /out/copied\n"
                              "COPY --from=middle /out/artifact /out/again\n"
                              // Not SHELL before a shell-form CMD: Docker applies it to CMD,
                              // buildah 1.28 does not (BuildCorpus tests Docker's behaviour).
                              "CMD echo via shell\n");
  Compared c;
  ASSERT_TRUE(build_both(env, buildah, "out", c));
  EXPECT_EQ(c.krill_tree, c.buildah_tree);
  EXPECT_EQ(comparable_config(c.krill_config).dump(2), comparable_config(c.buildah_config).dump(2));
}

TEST(BuildVsBuildah, DockerignoreAndDestinationRulesMatch) {
  SKIP_WITHOUT_BUILDAH();
  BuildEnv env;
  Buildah buildah(env);
  env.write("Dockerfile",
            "FROM scratch\n"
            "COPY . /out/all/\n"
            "WORKDIR /out/wd\n"
            "COPY keep.log relative\n"
            "COPY keep.log relative-dir/\n"
            "COPY src/ /out/contents\n"
            "COPY src /out/contents-too/\n");
  env.write(".dockerignore", "*.log\n!keep.log\nignored/\n**/*.tmp\nDockerfile\n.dockerignore\n");
  env.write("a.log", "a");
  env.write("keep.log", "k");
  env.write("ignored/x", "x");
  env.write("src/y.tmp", "t");
  env.write("src/y.txt", "y");
  env.write("src/nested/z.txt", ContextFile("z", 0755));
  Compared c;
  ASSERT_TRUE(build_both(env, buildah, "out", c));
  EXPECT_EQ(c.krill_tree, c.buildah_tree);
  EXPECT_EQ(comparable_config(c.krill_config).dump(2), comparable_config(c.buildah_config).dump(2));
}

}  // namespace
}  // namespace krill::it
