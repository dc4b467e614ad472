// `krill build` corpus, part 2: config instructions (CMD, ENTRYPOINT, EXPOSE, LABEL, VOLUME,
// STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER), parser details (escape directive,
// continuations, comments, substitution), .dockerignore, the command-line flags, the context
// sources, the cache, reproducible timestamps and the history.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <filesystem>

#include "build_test_support.h"

namespace krill::it {
namespace {

const std::string kFrom = std::string("FROM ") + EngineEnv::kImage + "\n";

TEST(BuildCorpus, CmdAndEntrypointExecAndShellForms) {
  BuildEnv env;
  auto exec = env.build(kFrom + "ENTRYPOINT [\"/bin/echo\", \"hello\"]\nCMD [\"world\"]\n", {},
                        {"-t", "localhost/entry:1"});
  ASSERT_TRUE(exec.ok()) << exec.describe();
  json config = env.config(exec.id)["config"];
  EXPECT_EQ(config["Entrypoint"], json::array({"/bin/echo", "hello"})) << config.dump();
  EXPECT_EQ(config["Cmd"], json::array({"world"})) << config.dump();
  auto ran = env.krill({"run", "--rm", exec.id});
  EXPECT_EQ(ran.out, "hello world\n") << ran.describe();

  auto shell = env.build(kFrom + "CMD echo from $HOME shell\nENTRYPOINT echo ep\n");
  ASSERT_TRUE(shell.ok()) << shell.describe();
  config = env.config(shell.id)["config"];
  EXPECT_EQ(config["Entrypoint"], json::array({"/bin/sh", "-c", "echo ep"})) << config.dump();
  // ENTRYPOINT after CMD in the same stage keeps that CMD.
  EXPECT_EQ(config["Cmd"], json::array({"/bin/sh", "-c", "echo from $HOME shell"}))
      << config.dump();
}

TEST(BuildCorpus, EntrypointResetsTheInheritedCmd) {
  BuildEnv env;
  auto built = env.build(std::string("FROM ") + EngineEnv::kImage +
                         " AS base\n"
                         "CMD [\"inherited\"]\n"
                         "FROM base AS keeps\n"
                         "ENV X=1\n"
                         "FROM base\n"
                         "ENTRYPOINT [\"/bin/echo\"]\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  json config = env.config(built.id)["config"];
  EXPECT_TRUE(!config.contains("Cmd") || config["Cmd"].is_null() || config["Cmd"].empty())
      << config.dump();
  auto kept = env.build("", {}, {"--target", "keeps"});
  ASSERT_TRUE(kept.ok()) << kept.describe();
  EXPECT_EQ(env.config(kept.id)["config"]["Cmd"], json::array({"inherited"}));
}

TEST(BuildCorpus, ExposeExpandsRangesAndKeepsProtocols) {
  BuildEnv env;
  auto built = env.build(kFrom + "ARG P=9000\nEXPOSE 80 53/udp 8000-8002/tcp $P/sctp\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  json ports = env.config(built.id)["config"]["ExposedPorts"];
  std::vector<std::string> keys;
  for (const auto& [key, value] : ports.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp",
                                            "9000/sctp"}));
}

TEST(BuildCorpus, LabelVolumeStopsignalAndMaintainerLandInTheConfig) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "LABEL a=b \"c d\"=\"e f\"\n"
                         "LABEL old style\n"
                         "VOLUME /v1 /v2\n"
                         "VOLUME [\"/v3\"]\n"
                         "STOPSIGNAL SIGUSR1\n"
                         "MAINTAINER Jane Doe <jane@example.com>\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  json config = env.config(built.id);
  json c = config["config"];
  EXPECT_EQ(c["Labels"], json({{"a", "b"}, {"c d", "e f"}, {"old", "style"}})) << c.dump();
  EXPECT_EQ(c["Volumes"],
            json({{"/v1", json::object()}, {"/v2", json::object()}, {"/v3", json::object()}}))
      << c.dump();
  EXPECT_EQ(c["StopSignal"], "SIGUSR1") << c.dump();
  EXPECT_EQ(config["author"], "Jane Doe <jane@example.com>") << config.dump();
}

TEST(BuildCorpus, HealthcheckFlagsAndNone) {
  BuildEnv env;
  auto built = env.build(std::string("FROM ") + EngineEnv::kImage +
                             " AS checked\n"
                             "HEALTHCHECK --interval=5s --timeout=2s --start-period=1m --retries=4 "
                             "CMD test -e /tmp\n"
                             "FROM checked\n"
                             "HEALTHCHECK NONE\n",
                         {}, {"--target", "checked", "--format", "docker"});
  ASSERT_TRUE(built.ok()) << built.describe();
  json health = env.config(built.id)["config"]["Healthcheck"];
  EXPECT_EQ(health["Test"], json::array({"CMD-SHELL", "test -e /tmp"})) << health.dump();
  EXPECT_EQ(health["Interval"], 5000000000LL) << health.dump();
  EXPECT_EQ(health["Timeout"], 2000000000LL) << health.dump();
  EXPECT_EQ(health["StartPeriod"], 60000000000LL) << health.dump();
  EXPECT_EQ(health["Retries"], 4) << health.dump();
  auto none = env.build("", {}, {"--format", "docker"});
  ASSERT_TRUE(none.ok()) << none.describe();
  EXPECT_EQ(env.config(none.id)["config"]["Healthcheck"]["Test"], json::array({"NONE"}));
}

TEST(BuildCorpus, ShellChangesTheShellOfRunAndShellFormCmd) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "RUN printf '#!/bin/sh\\necho \"$@\" > /shell-args\\n' > /myshell && "
                         "busybox chmod 755 /myshell\n"
                         "SHELL [\"/myshell\", \"-x\"]\n"
                         "RUN hello world\n"
                         "CMD run me\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/shell-args").value_or("<none>"), "-x hello world\n");
  EXPECT_EQ(env.config(built.id)["config"]["Cmd"], json::array({"/myshell", "-x", "run me"}));
}

TEST(BuildCorpus, OnbuildTriggersRunInTheChildBuildOnly) {
  BuildEnv env;
  auto parent = env.build(kFrom +
                              "ONBUILD RUN echo triggered > /trigger\n"
                              "ONBUILD COPY a.txt /from-child-context\n",
                          {{"a.txt", "child context\n"}}, {"-t", "localhost/onbuild-parent:1"});
  ASSERT_TRUE(parent.ok()) << parent.describe();
  json parent_config = env.config(parent.id)["config"];
  EXPECT_EQ(parent_config["OnBuild"],
            json::array({"RUN echo triggered > /trigger", "COPY a.txt /from-child-context"}))
      << parent_config.dump();
  EXPECT_EQ(env.sh(parent.id, "test -e /trigger && echo ran || echo pending"), "pending");

  auto child = env.build("FROM localhost/onbuild-parent:1\nRUN cat /trigger > /seen\n");
  ASSERT_TRUE(child.ok()) << child.describe();
  EXPECT_EQ(env.file(child.id, "/seen").value_or("<none>"), "triggered\n");
  EXPECT_EQ(env.file(child.id, "/from-child-context").value_or("<none>"), "child context\n");
  json child_config = env.config(child.id)["config"];
  EXPECT_TRUE(!child_config.contains("OnBuild") || child_config["OnBuild"].is_null() ||
              child_config["OnBuild"].empty())
      << "triggers are not inherited by grandchildren: " << child_config.dump();
}

TEST(BuildCorpus, EscapeDirectiveMakesBacktickTheEscape) {
  BuildEnv env;
  auto built = env.build(
      "# escape=`\n"
      "FROM " +
      std::string(EngineEnv::kImage) +
      "\n"
      "ENV WINPATH=C:\\dir\\file\n"
      "RUN echo one `\n"
      "    two > /joined\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/joined").value_or("<none>"), "one two\n");
  json c = env.config(built.id)["config"];
  EXPECT_EQ(c["Env"], json::array({"PATH=/bin", "WINPATH=C:\\dir\\file"})) << c.dump();
}

TEST(BuildCorpus, LineContinuationsSkipCommentsAndBlankLines) {
  BuildEnv env;
  auto built = env.build(
      "# a comment before FROM\n"
      "FROM " +
      std::string(EngineEnv::kImage) +
      "\n"
      "   # indented comment\n"
      "RUN echo a \\\n"
      "# comment inside the continuation\n"
      "\n"
      "    b \\\n"
      "    c > /joined\n"
      "LABEL x=\"has # no comment\"\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/joined").value_or("<none>"), "a b c\n");
  EXPECT_EQ(env.config(built.id)["config"]["Labels"]["x"], "has # no comment");
}

TEST(BuildCorpus, DockerignoreExcludesWithExceptions) {
  BuildEnv env;
  auto built = env.build(kFrom + "COPY . /ctx/\n",
                         {{".dockerignore", "*.log\n!keep.log\nsecret/\n# comment\n**/*.tmp\n"},
                          {"a.log", "a"},
                          {"keep.log", "k"},
                          {"secret/key", "s"},
                          {"deep/x.tmp", "t"},
                          {"deep/y.txt", "y"},
                          {"main.txt", "m"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.sh(built.id,
                   "cd /ctx && ls a.log keep.log secret deep/x.tmp deep/y.txt main.txt "
                   "2>/dev/null | tr '\\n' ' '"),
            "deep/y.txt keep.log main.txt ");
  // An excluded file cannot be named in COPY either.
  auto excluded = env.build(kFrom + "COPY a.log /a.log\n");
  EXPECT_FALSE(excluded.result.ok()) << excluded.describe();
}

TEST(BuildCorpus, VariableSubstitutionModifiersAndEscapes) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "ENV SET=v\n"
                         "LABEL a=${SET:-w} b=${UNSET:-w} c=${SET:+w} d=\"${UNSET:+w}\" "
                         "e=\\$SET f='$SET' g=\"$SET\" h=${SET}x\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  json labels = env.config(built.id)["config"]["Labels"];
  EXPECT_EQ(labels, json({{"a", "v"},
                          {"b", "w"},
                          {"c", "w"},
                          {"d", ""},
                          {"e", "$SET"},
                          {"f", "$SET"},
                          {"g", "v"},
                          {"h", "vx"}}))
      << labels.dump();
}

TEST(BuildCorpus, TargetSkipsStagesItDoesNotNeed) {
  BuildEnv env;
  auto built = env.build(std::string("FROM ") + EngineEnv::kImage +
                             " AS broken\n"
                             "RUN exit 3\n"
                             "FROM " +
                             EngineEnv::kImage +
                             " AS good\n"
                             "RUN echo ok > /ok\n"
                             "FROM good AS final\n"
                             "RUN echo final > /final\n",
                         {}, {"--target", "good"});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(built.result.out.find("exit 3"), std::string::npos) << built.describe();
  EXPECT_EQ(built.result.out.find("/final"), std::string::npos) << built.describe();
  EXPECT_EQ(env.file(built.id, "/ok").value_or("<none>"), "ok\n");
  EXPECT_EQ(env.sh(built.id, "test -e /final && echo final || echo good"), "good");
}

TEST(BuildCorpus, DefaultBuildSkipsAnUnneededFailingStage) {
  BuildEnv env;
  auto built = env.build(std::string("FROM ") + EngineEnv::kImage +
                         " AS broken\n"
                         "RUN exit 3\n"
                         "FROM " +
                         EngineEnv::kImage + "\nRUN echo ok > /ok\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/ok").value_or("<none>"), "ok\n");
}

TEST(BuildCorpus, TagLabelAndIidfileFlags) {
  BuildEnv env;
  const std::string iidfile = env.dir() + "/iid";
  auto built =
      env.build(kFrom + "LABEL from.file=1\n", {},
                {"-t", "localhost/flags:1", "-t", "localhost/flags:2", "--label", "from.flag=yes",
                 "--label", "from.file=overridden", "--iidfile", iidfile});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(read_file(iidfile), "sha256:" + built.id);
  for (const char* tag : {"localhost/flags:1", "localhost/flags:2"}) {
    EXPECT_EQ(env.inspect_json(tag).value("Id", ""), built.id) << tag;
  }
  EXPECT_EQ(env.config(built.id)["config"]["Labels"],
            json({{"from.file", "overridden"}, {"from.flag", "yes"}}));
}

TEST(BuildCorpus, FormatDockerWritesASchema2Manifest) {
  BuildEnv env;
  const std::string dockerfile = kFrom + "RUN echo x > /x\n";
  auto oci = env.build(dockerfile);
  ASSERT_TRUE(oci.ok()) << oci.describe();
  json manifest = env.manifest(oci.id);
  EXPECT_EQ(manifest.value("mediaType", ""), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(manifest["config"].value("mediaType", ""), "application/vnd.oci.image.config.v1+json");

  auto docker = env.build(dockerfile, {}, {"--format", "docker"});
  ASSERT_TRUE(docker.ok()) << docker.describe();
  manifest = env.manifest(docker.id);
  EXPECT_EQ(manifest.value("mediaType", ""),
            "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(manifest["config"].value("mediaType", ""),
            "application/vnd.docker.container.image.v1+json");
  for (const auto& layer : manifest["layers"])
    EXPECT_TRUE(layer.value("mediaType", "").starts_with("application/vnd.docker.image.rootfs."))
        << layer.dump();
}

TEST(BuildCorpus, DockerfileFromCustomPathAndFromStdin) {
  BuildEnv env;
  env.write("sub/Other.df", kFrom + "RUN echo custom > /which\n");
  env.write("Dockerfile", kFrom + "RUN echo default > /which\n");
  auto custom =
      env.build_args({"--pull=never", "-f", env.context() + "/sub/Other.df", env.context()});
  ASSERT_TRUE(custom.ok()) << custom.describe();
  EXPECT_EQ(env.file(custom.id, "/which").value_or("<none>"), "custom\n");

  CommandOptions stdin_file;
  stdin_file.stdin_data = kFrom + "COPY sub/Other.df /copied\nRUN echo stdin > /which\n";
  auto piped = env.build_args({"--pull=never", "-f", "-", env.context()}, stdin_file);
  ASSERT_TRUE(piped.ok()) << piped.describe();
  EXPECT_EQ(env.file(piped.id, "/which").value_or("<none>"), "stdin\n");
  EXPECT_TRUE(env.file(piped.id, "/copied").has_value()) << "the context is still the directory";
}

TEST(BuildCorpus, ContextFromTarFileFromStdinTarAndBareDockerfileOnStdin) {
  BuildEnv env;
  env.write("Dockerfile", kFrom + "COPY data.txt /data.txt\n");
  env.write("data.txt", "from the tar\n");
  const std::string tar = env.dir() + "/context.tar";
  auto tarred = run_command({"tar", "-C", env.context(), "-cf", tar, "."});
  ASSERT_TRUE(tarred.ok()) << tarred.describe();

  auto from_file = env.build_args({"--pull=never", tar});
  ASSERT_TRUE(from_file.ok()) << from_file.describe();
  EXPECT_EQ(env.file(from_file.id, "/data.txt").value_or("<none>"), "from the tar\n");

  CommandOptions tar_in;
  tar_in.stdin_data = read_file(tar);
  auto from_stdin = env.build_args({"--pull=never", "-"}, tar_in);
  ASSERT_TRUE(from_stdin.ok()) << from_stdin.describe();
  EXPECT_EQ(env.file(from_stdin.id, "/data.txt").value_or("<none>"), "from the tar\n");

  CommandOptions bare;
  bare.stdin_data = kFrom + "RUN echo bare > /bare\n";
  auto bare_built = env.build_args({"--pull=never", "-"}, bare);
  ASSERT_TRUE(bare_built.ok()) << bare_built.describe();
  EXPECT_EQ(env.file(bare_built.id, "/bare").value_or("<none>"), "bare\n");
  CommandOptions bare_copy;
  bare_copy.stdin_data = kFrom + "COPY data.txt /data.txt\n";
  auto no_context = env.build_args({"--pull=never", "-"}, bare_copy);
  EXPECT_FALSE(no_context.result.ok()) << "a bare Dockerfile on stdin has no context\n"
                                       << no_context.describe();
}

const std::string kCacheDockerfile = kFrom +
                                     "ENV STAGE=one\n"
                                     "RUN echo before > /before\n"
                                     "COPY a.txt /a.txt\n"
                                     "RUN cat /a.txt > /after\n"
                                     "CMD [\"/bin/cat\", \"/after\"]\n";

TEST(BuildCorpus, RebuildWithoutChangesReusesEveryStep) {
  BuildEnv env;
  auto first = env.build(kCacheDockerfile, {{"a.txt", "v1\n"}});
  ASSERT_TRUE(first.ok()) << first.describe();
  EXPECT_EQ(first.cache_hits(), 0) << first.describe();
  auto second = env.build(kCacheDockerfile);
  ASSERT_TRUE(second.ok()) << second.describe();
  EXPECT_EQ(second.id, first.id) << second.describe();
  for (const char* step : {"ENV STAGE=one", "RUN echo before > /before", "COPY a.txt /a.txt",
                           "RUN cat /a.txt > /after", "CMD [\"/bin/cat\", \"/after\"]"}) {
    EXPECT_TRUE(second.line_after_step(step).starts_with("--> Using cache")) << step << "\n"
                                                                             << second.describe();
  }
}

TEST(BuildCorpus, ChangedCopySourceRerunsOnlyTheDependentSteps) {
  BuildEnv env;
  auto first = env.build(kCacheDockerfile, {{"a.txt", "v1\n"}});
  ASSERT_TRUE(first.ok()) << first.describe();
  auto second = env.build("", {{"a.txt", "v2\n"}});
  ASSERT_TRUE(second.ok()) << second.describe();
  EXPECT_NE(second.id, first.id);
  EXPECT_TRUE(second.line_after_step("RUN echo before > /before").starts_with("--> Using cache"))
      << second.describe();
  EXPECT_FALSE(second.line_after_step("COPY a.txt /a.txt").starts_with("--> Using cache"))
      << second.describe();
  EXPECT_FALSE(second.line_after_step("RUN cat /a.txt > /after").starts_with("--> Using cache"))
      << second.describe();
  EXPECT_EQ(env.file(second.id, "/after").value_or("<none>"), "v2\n");
  // The cached layer below is the same layer.
  json layers1 = env.config(first.id)["rootfs"]["diff_ids"];
  json layers2 = env.config(second.id)["rootfs"]["diff_ids"];
  ASSERT_EQ(layers1.size(), layers2.size());
  ASSERT_GE(layers1.size(), 3u);
  EXPECT_EQ(layers1[layers1.size() - 3], layers2[layers2.size() - 3]);
  EXPECT_NE(layers1[layers1.size() - 2], layers2[layers2.size() - 2]);
  // Touching the file without changing it keeps the cache (content, not mtime, is the key).
  ASSERT_EQ(::utime((env.context() + "/a.txt").c_str(), nullptr), 0);
  auto third = env.build("");
  ASSERT_TRUE(third.ok()) << third.describe();
  EXPECT_EQ(third.id, second.id) << third.describe();
}

TEST(BuildCorpus, NoCacheRerunsEveryStep) {
  BuildEnv env;
  auto first = env.build(kCacheDockerfile, {{"a.txt", "v1\n"}});
  ASSERT_TRUE(first.ok()) << first.describe();
  auto again = env.build("", {}, {"--no-cache"});
  ASSERT_TRUE(again.ok()) << again.describe();
  EXPECT_EQ(again.cache_hits(), 0) << again.describe();
  EXPECT_NE(again.id, first.id) << "new created times";
  EXPECT_EQ(env.file(again.id, "/after").value_or("<none>"), "v1\n");
}

TEST(BuildCorpus, TimestampMakesNoCacheBuildsByteIdentical) {
  BuildEnv env;
  const std::string dockerfile = kFrom +
                                 "RUN echo $RANDOM_FREE > /x && busybox mkdir -p /made/dir\n"
                                 "COPY a.txt /a.txt\n"
                                 "ENV DONE=1\n";
  auto first =
      env.build(dockerfile, {{"a.txt", "a\n"}}, {"--no-cache", "--timestamp", "1700000000"});
  ASSERT_TRUE(first.ok()) << first.describe();
  ::sleep(1);
  auto second = env.build("", {}, {"--no-cache", "--timestamp", "1700000000"});
  ASSERT_TRUE(second.ok()) << second.describe();
  EXPECT_EQ(second.id, first.id);
  json config = env.config(first.id);
  EXPECT_EQ(config.value("created", ""), "2023-11-14T22:13:20Z") << config.dump(2);
  for (const auto& entry : config["history"]) {
    if (entry.value("comment", "") == "krill build") {
      EXPECT_EQ(entry.value("created", ""), "2023-11-14T22:13:20Z") << entry.dump();
    }
  }
  EXPECT_EQ(env.stat(first.id, "/x", "%Y"), "1700000000");
  EXPECT_EQ(env.stat(first.id, "/made/dir", "%Y"), "1700000000");

  CommandOptions epoch;
  epoch.env = {"SOURCE_DATE_EPOCH=1700000000"};
  auto from_env = env.build("", {}, {"--no-cache"}, epoch);
  ASSERT_TRUE(from_env.ok()) << from_env.describe();
  EXPECT_EQ(from_env.id, first.id) << "SOURCE_DATE_EPOCH is the default of --timestamp";
}

TEST(BuildCorpus, HistoryRecordsEveryStepAndMarksConfigOnlySteps) {
  BuildEnv env;
  auto built = env.build(kFrom +
                             "ENV A=1\n"
                             "RUN echo x > /x\n"
                             "COPY a.txt /a.txt\n"
                             "LABEL l=v\n"
                             "CMD [\"/bin/sh\"]\n",
                         {{"a.txt", "a"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  json config = env.config(built.id);
  json history = config["history"];
  ASSERT_GE(history.size(), 5u) << config.dump(2);
  json ours(json::array());
  for (size_t i = history.size() - 5; i < history.size(); ++i) ours.push_back(history[i]);
  auto empty = [](const json& e) { return e.value("empty_layer", false); };
  EXPECT_NE(ours[0].value("created_by", "").find("ENV A=1"), std::string::npos) << ours.dump(2);
  EXPECT_TRUE(empty(ours[0])) << ours.dump(2);
  EXPECT_NE(ours[1].value("created_by", "").find("echo x > /x"), std::string::npos);
  EXPECT_FALSE(empty(ours[1])) << ours.dump(2);
  EXPECT_NE(ours[2].value("created_by", "").find("COPY"), std::string::npos);
  EXPECT_FALSE(empty(ours[2])) << ours.dump(2);
  EXPECT_NE(ours[3].value("created_by", "").find("LABEL l=v"), std::string::npos);
  EXPECT_TRUE(empty(ours[3])) << ours.dump(2);
  EXPECT_NE(ours[4].value("created_by", "").find("CMD [\"/bin/sh\"]"), std::string::npos);
  EXPECT_TRUE(empty(ours[4])) << ours.dump(2);
  size_t non_empty = 0;
  for (const auto& entry : history)
    if (!empty(entry)) ++non_empty;
  EXPECT_EQ(non_empty, config["rootfs"]["diff_ids"].size()) << config.dump(2);
  auto listed = env.krill({"history", "--no-trunc", built.id});
  ASSERT_TRUE(listed.ok()) << listed.describe();
  EXPECT_NE(listed.out.find("echo x > /x"), std::string::npos) << listed.out;
}

}  // namespace
}  // namespace krill::it
