// `krill build` corpus, part 1: FROM, RUN (forms, heredocs, mounts, network), COPY / ADD, and the
// instructions that only change the config. Every expectation is Docker's (BuildKit) behaviour.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "build_test_support.h"

namespace krill::it {
namespace {

const std::string kFrom = std::string("FROM ") + EngineEnv::kImage + "\n";

TEST(BuildCorpus, FromScratchCopyKeepsContentModeAndRootOwner) {
  BuildEnv env;
  auto built = env.build("FROM scratch\nCOPY a.txt /a.txt\nCOPY run.sh /bin/run.sh\n",
                         {{"a.txt", "alpha\n"}, {"run.sh", ContextFile("#!/bin/sh\n", 0750)}});
  ASSERT_TRUE(built.ok()) << built.describe();
  std::string root = env.unpack(built.id);
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(describe_path(root + "/a.txt"), "0644 0:0 file 6 alpha\n");
  EXPECT_EQ(describe_path(root + "/bin/run.sh"), "0750 0:0 file 10 #!/bin/sh\n");
  EXPECT_EQ(describe_path(root + "/bin"), "0755 0:0 dir");
  json config = env.config(built.id);
  EXPECT_EQ(config["rootfs"]["diff_ids"].size(), 2u) << config.dump(2);
  // Nothing inherited, but BuildKit (and buildah) always set the default PATH.
  EXPECT_EQ(config["config"]["Env"],
            json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}))
      << config.dump(2);
}

TEST(BuildCorpus, MultiStageCopyFromNamedStageAndIndexLeavesBuilderFilesBehind) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "RUN echo built > /out && echo tmp > /builder-only\n"
                         "FROM " +
                         EngineEnv::kImage +
                         " AS second\n"
                         "RUN echo second > /second\n"
                         "FROM scratch AS final\n"
                         "COPY --from=0 /out /o1\n"
                         "COPY --from=second /second /o2\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  std::string root = env.unpack(built.id);
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(read_file(root + "/o1"), "built\n");
  EXPECT_EQ(read_file(root + "/o2"), "second\n");
  EXPECT_FALSE(path_exists(root + "/builder-only"));
  EXPECT_FALSE(path_exists(root + "/bin")) << "the final stage is FROM scratch";
}

TEST(BuildCorpus, FromEarlierStageInheritsItsFilesAndConfig) {
  BuildEnv env;
  auto built = env.build(std::string("FROM ") + EngineEnv::kImage +
                         " AS base\n"
                         "ENV FROM_BASE=yes\n"
                         "WORKDIR /srv\n"
                         "RUN echo base > /base.txt\n"
                         "FROM base\n"
                         "RUN echo \"$FROM_BASE $(pwd)\" > /child.txt\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/base.txt").value_or("<none>"), "base\n");
  EXPECT_EQ(env.file(built.id, "/child.txt").value_or("<none>"), "yes /srv\n");
  EXPECT_EQ(env.inspect(built.id, "{{.Config.WorkingDir}}"), "/srv");
}

TEST(BuildCorpus, GlobalArgInFromAndItsStageScope) {
  BuildEnv env;
  const std::string dockerfile =
      "ARG TAG=nope\n"
      "FROM localhost/kbox:${TAG}\n"
      "RUN echo \"[$TAG]\" > /before\n"
      "ARG TAG\n"
      "RUN echo \"[$TAG]\" > /after\n";
  auto bad = env.build(dockerfile);
  EXPECT_FALSE(bad.result.ok()) << "localhost/kbox:nope does not exist\n" << bad.describe();
  auto built = env.build(dockerfile, {}, {"--build-arg", "TAG=latest"});
  ASSERT_TRUE(built.ok()) << built.describe();
  // A global ARG is not visible in a stage until the stage declares it again.
  EXPECT_EQ(env.file(built.id, "/before").value_or("<none>"), "[]\n");
  EXPECT_EQ(env.file(built.id, "/after").value_or("<none>"), "[latest]\n");
}

TEST(BuildCorpus, RunShellFormExpandsAndExecFormDoesNotSubstitute) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "ENV V=val\n"
                         "RUN echo shell $V > /shell.txt\n"
                         "RUN [\"/bin/touch\", \"/exec-$V\"]\n"
                         "RUN [\"/bin/sh\", \"-c\", \"echo exec $V > /exec.txt\"]\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/shell.txt").value_or("<none>"), "shell val\n");
  // The builder does not substitute in the exec form; the environment still reaches the process.
  EXPECT_EQ(env.sh(built.id, "ls / | grep exec-"), "exec-$V");
  EXPECT_EQ(env.file(built.id, "/exec.txt").value_or("<none>"), "exec val\n");
}

TEST(BuildCorpus, RunHeredocsRunAsScripts) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "ENV WHO=world\n"
                         "RUN <<EOF\n"
                         "echo one > /h1\n"
                         "echo two > /h2\n"
                         "EOF\n"
                         "RUN <<EOF\n"
                         "#!/bin/sh\n"
                         "echo \"shebang $0\" > /h3\n"
                         "EOF\n"
                         "RUN cat <<EOF > /h4\n"
                         "hello $WHO\n"
                         "EOF\n"
                         "RUN cat <<'EOF' > /h5\n"
                         "hello $WHO\n"
                         "EOF\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/h1").value_or("<none>"), "one\n");
  EXPECT_EQ(env.file(built.id, "/h2").value_or("<none>"), "two\n");
  EXPECT_TRUE(env.file(built.id, "/h3").value_or("<none>").starts_with("shebang "));
  EXPECT_EQ(env.file(built.id, "/h4").value_or("<none>"), "hello world\n");
  EXPECT_EQ(env.file(built.id, "/h5").value_or("<none>"), "hello $WHO\n");
  // The script file used for the #! heredoc is not left in the image.
  EXPECT_EQ(env.sh(built.id, "ls -a / | grep -c heredoc || true"), "0");
}

TEST(BuildCorpus, RunMountCachePersistsAcrossBuildsButStaysOutOfTheImage) {
  BuildEnv env;
  const std::string dockerfile = kFrom +
                                 "RUN --mount=type=cache,target=/cache "
                                 "echo run >> /cache/log && wc -l < /cache/log > /seen\n";
  auto first = env.build(dockerfile);
  ASSERT_TRUE(first.ok()) << first.describe();
  EXPECT_EQ(env.sh(first.id, "cat /seen"), "1");
  auto second = env.build(dockerfile, {}, {"--no-cache"});
  ASSERT_TRUE(second.ok()) << second.describe();
  EXPECT_EQ(env.sh(second.id, "cat /seen"), "2");
  EXPECT_EQ(env.sh(second.id, "ls -A /cache 2>/dev/null | wc -l"), "0");
}

TEST(BuildCorpus, RunMountBindTmpfsAndSecretAreNotCommitted) {
  BuildEnv env;
  const std::string secret = env.dir() + "/token";
  write_file(secret, "s3cr3t");
  auto built = env.build(
      std::string("FROM ") + EngineEnv::kImage +
          " AS other\n"
          "RUN echo from-stage > /stage.txt\n"
          "FROM " +
          EngineEnv::kImage +
          "\n"
          "RUN --mount=type=bind,source=b.txt,target=/mnt/b.txt cat /mnt/b.txt > /bound\n"
          "RUN --mount=type=bind,from=other,source=/stage.txt,target=/s.txt cat /s.txt > /fs\n"
          "RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/f && "
          "grep ' /scratch tmpfs ' /proc/mounts | wc -l > /tmpfs-count\n"
          "RUN --mount=type=secret,id=tok cat /run/secrets/tok > /secret-copy\n"
          "RUN --mount=type=secret,id=tok,target=/etc/tok.txt wc -c < /etc/tok.txt > /len\n",
      {{"b.txt", "bound\n"}}, {"--secret", "id=tok,src=" + secret});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/bound").value_or("<none>"), "bound\n");
  EXPECT_EQ(env.file(built.id, "/fs").value_or("<none>"), "from-stage\n");
  EXPECT_EQ(env.sh(built.id, "cat /tmpfs-count"), "1");
  EXPECT_EQ(env.file(built.id, "/secret-copy").value_or("<none>"), "s3cr3t");
  EXPECT_EQ(env.sh(built.id, "cat /len"), "6");
  EXPECT_EQ(env.sh(built.id, "test -e /mnt/b.txt && echo present || echo absent"), "absent");
  EXPECT_EQ(env.sh(built.id, "ls -A /scratch 2>/dev/null | wc -l"), "0");
  EXPECT_EQ(env.sh(built.id, "test -e /run/secrets/tok && echo present || echo absent"), "absent");
  EXPECT_EQ(env.sh(built.id, "test -s /etc/tok.txt && echo content || echo none"), "none");
}

TEST(BuildCorpus, RunNetworkNoneSeesOnlyLoopback) {
  BuildEnv env;
  auto built = env.build(kFrom +
                             "RUN --network=none cat /proc/net/dev > /per-step\n"
                             "RUN cat /proc/net/dev > /build-flag\n",
                         {}, {"--network", "none"});
  ASSERT_TRUE(built.ok()) << built.describe();
  for (const char* file : {"/per-step", "/build-flag"}) {
    SCOPED_TRACE(file);
    std::string interfaces =
        env.sh(built.id, std::string("tail -n +3 ") + file + " | cut -d: -f1 | tr -d ' '");
    EXPECT_EQ(interfaces, "lo");
  }
}

TEST(BuildCorpus, CopyChownTakesNamesAndNumbersAndUidAloneMeansSameGid) {
  BuildEnv env;
  auto built = env.build(kFrom +
                             "RUN echo 'app:x:1234:4321::/:/bin/sh' >> /etc/passwd && "
                             "echo 'grp:x:4321:' >> /etc/group\n"
                             "COPY --chown=app:grp a.txt /by-name\n"
                             "COPY --chown=1000:1001 a.txt /by-number\n"
                             "COPY --chown=app a.txt /user-only\n"
                             "COPY --chown=7 a.txt /uid-only\n"
                             "COPY --chown=5:6 dir /owned/\n"
                             "COPY a.txt /default\n",
                         {{"a.txt", "a\n"}, {"dir/sub/f", "f\n"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.stat(built.id, "/by-name", "%u:%g"), "1234:4321");
  EXPECT_EQ(env.stat(built.id, "/by-number", "%u:%g"), "1000:1001");
  EXPECT_EQ(env.stat(built.id, "/user-only", "%u:%g"), "1234:1234");
  EXPECT_EQ(env.stat(built.id, "/uid-only", "%u:%g"), "7:7");
  EXPECT_EQ(env.stat(built.id, "/owned/sub", "%u:%g"), "5:6");
  EXPECT_EQ(env.stat(built.id, "/owned/sub/f", "%u:%g"), "5:6");
  EXPECT_EQ(env.stat(built.id, "/default", "%u:%g"), "0:0");
}

TEST(BuildCorpus, CopyChmodSetsModeOfFilesAndDirectories) {
  BuildEnv env;
  auto built = env.build(kFrom +
                             "COPY --chmod=0751 a.txt /a\n"
                             "COPY --chmod=700 dir/ /d/\n"
                             "COPY a.txt /kept\n",
                         {{"a.txt", ContextFile("a\n", 0640)}, {"dir/sub/f", "f\n"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.stat(built.id, "/a", "%a"), "751");
  EXPECT_EQ(env.stat(built.id, "/d/sub/f", "%a"), "700");
  EXPECT_EQ(env.stat(built.id, "/d/sub", "%a"), "700");
  EXPECT_EQ(env.stat(built.id, "/kept", "%a"), "640");
}

TEST(BuildCorpus, CopyWildcardsMatchOnlyTheirFiles) {
  BuildEnv env;
  auto built = env.build(kFrom +
                             "COPY a*.txt /w/\n"
                             "COPY ?2.txt /q/\n"
                             "COPY [ab]1.txt /set/\n",
                         {{"a1.txt", "1"}, {"a2.txt", "2"}, {"b1.txt", "b"}, {"c.dat", "c"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.sh(built.id, "ls /w | tr '\\n' ' '"), "a1.txt a2.txt ");
  EXPECT_EQ(env.sh(built.id, "ls /q | tr '\\n' ' '"), "a2.txt ");
  EXPECT_EQ(env.sh(built.id, "ls /set | tr '\\n' ' '"), "a1.txt b1.txt ");
}

TEST(BuildCorpus, CopyDirectoryCopiesItsContentsAndDestinationSlashRules) {
  BuildEnv env;
  auto built =
      env.build(kFrom +
                    "COPY dir /d\n"
                    "COPY a.txt /x/\n"
                    "COPY a.txt /y\n"
                    "WORKDIR /w\n"
                    "COPY a.txt rel\n"
                    "COPY a.txt reldir/\n"
                    "COPY a.txt b.txt /multi/\n",
                {{"dir/f", "f\n"}, {"dir/sub/g", "g\n"}, {"a.txt", "a\n"}, {"b.txt", "b"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/d/f").value_or("<none>"), "f\n");
  EXPECT_EQ(env.file(built.id, "/d/sub/g").value_or("<none>"), "g\n");
  EXPECT_EQ(env.sh(built.id, "test -e /d/dir && echo nested || echo flat"), "flat");
  EXPECT_EQ(env.stat(built.id, "/x", "%F"), "directory");
  EXPECT_EQ(env.file(built.id, "/x/a.txt").value_or("<none>"), "a\n");
  EXPECT_EQ(env.stat(built.id, "/y", "%F"), "regular file");
  EXPECT_EQ(env.stat(built.id, "/w/rel", "%F"), "regular file");
  EXPECT_EQ(env.file(built.id, "/w/reldir/a.txt").value_or("<none>"), "a\n");
  EXPECT_EQ(env.sh(built.id, "ls /multi | tr '\\n' ' '"), "a.txt b.txt ");
}

TEST(BuildCorpus, AddExtractsLocalTarAndGzipButCopyDoesNot) {
  BuildEnv env;
  const std::string src = env.dir() + "/tar-src";
  std::filesystem::create_directories(src + "/top");
  write_file(src + "/top/inside.txt", "inside\n");
  env.write("placeholder", "");
  auto tarred = run_command({"tar", "-C", src, "-cf", env.context() + "/t.tar", "top"});
  ASSERT_TRUE(tarred.ok()) << tarred.describe();
  auto gz = run_command({"tar", "-C", src, "-czf", env.context() + "/t.tar.gz", "top"});
  ASSERT_TRUE(gz.ok()) << gz.describe();
  auto built = env.build(kFrom +
                         "ADD t.tar /plain/\n"
                         "ADD t.tar.gz /gz\n"
                         "COPY t.tar /copied/\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/plain/top/inside.txt").value_or("<none>"), "inside\n");
  EXPECT_EQ(env.file(built.id, "/gz/top/inside.txt").value_or("<none>"), "inside\n");
  EXPECT_EQ(env.stat(built.id, "/copied/t.tar", "%F"), "regular file");
  EXPECT_EQ(env.sh(built.id, "test -e /copied/top && echo extracted || echo kept"), "kept");
}

TEST(BuildCorpus, CopyHeredocCreatesFilesWithSubstitutionUnlessQuoted) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "ENV WHO=world\n"
                         "COPY <<EOF /greeting\n"
                         "hello $WHO\n"
                         "EOF\n"
                         "COPY <<'EOF' /literal\n"
                         "hello $WHO\n"
                         "EOF\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/greeting").value_or("<none>"), "hello world\n");
  EXPECT_EQ(env.file(built.id, "/literal").value_or("<none>"), "hello $WHO\n");
}

TEST(BuildCorpus, CopyExcludeSkipsMatchingFiles) {
  BuildEnv env;
  auto built = env.build(kFrom + "COPY --exclude=*.log --exclude=tmp dir/ /d/\n",
                         {{"dir/keep.txt", "k"},
                          {"dir/drop.log", "d"},
                          {"dir/tmp/x", "x"},
                          {"dir/sub/also.txt", "a"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.sh(built.id, "cd /d && ls -R | grep -v '^$' | tr '\\n' ' '"),
            ".: keep.txt sub ./sub: also.txt ");
}

TEST(BuildCorpus, CopyKeepsSymlinksInDirectoriesAndFollowsASymlinkSource) {
  BuildEnv env;
  env.write("dir/f", "target\n");
  env.write("top.txt", "top\n");
  ASSERT_EQ(::symlink("f", (env.context() + "/dir/link").c_str()), 0);
  ASSERT_EQ(::symlink("top.txt", (env.context() + "/toplink").c_str()), 0);
  auto built = env.build(kFrom + "COPY dir /d/\nCOPY toplink /followed\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.stat(built.id, "/d/link", "%F %N"), "symbolic link '/d/link' -> 'f'");
  EXPECT_EQ(env.stat(built.id, "/followed", "%F"), "regular file");
  EXPECT_EQ(env.file(built.id, "/followed").value_or("<none>"), "top\n");
}

TEST(BuildCorpus, CopyKeepsHardlinksTogether) {
  BuildEnv env;
  env.write("dir/h1", "same\n");
  ASSERT_EQ(::link((env.context() + "/dir/h1").c_str(), (env.context() + "/dir/h2").c_str()), 0);
  auto built = env.build(kFrom + "COPY dir /d\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.stat(built.id, "/d/h1", "%h"), "2");
  EXPECT_EQ(env.stat(built.id, "/d/h1", "%i"), env.stat(built.id, "/d/h2", "%i"));
}

TEST(BuildCorpus, EnvBothFormsAreUsedByLaterInstructions) {
  BuildEnv env;
  auto built = env.build(kFrom +
                             "ENV A=1 B=\"two words\"\n"
                             "ENV C three four\n"
                             "ENV D=${A}-x\n"
                             "WORKDIR /dir-$A\n"
                             "COPY a.txt /file-$D\n"
                             "RUN echo \"$A|$B|$C|$D\" > /env.txt\n",
                         {{"a.txt", "a"}});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/env.txt").value_or("<none>"), "1|two words|three four|1-x\n");
  EXPECT_EQ(env.inspect(built.id, "{{.Config.WorkingDir}}"), "/dir-1");
  EXPECT_EQ(env.file(built.id, "/file-1-x").value_or("<none>"), "a");
  json config = env.config(built.id);
  json want = json::array({"PATH=/bin", "A=1", "B=two words", "C=three four", "D=1-x"});
  EXPECT_EQ(config["config"]["Env"], want) << config.dump(2);
}

TEST(BuildCorpus, ArgDefaultsBuildArgOverridesAndArgsAreNotPersisted) {
  BuildEnv env;
  const std::string dockerfile = kFrom +
                                 "ARG X=def\n"
                                 "ARG Y\n"
                                 "ARG Z=zdef\n"
                                 "ENV Z=from-env\n"
                                 "RUN echo \"$X|$Y|$Z\" > /args\n";
  auto built = env.build(dockerfile, {}, {"--build-arg", "Y=given", "--build-arg", "Z=ignored"});
  ASSERT_TRUE(built.ok()) << built.describe();
  // ENV wins over an ARG of the same name.
  EXPECT_EQ(env.file(built.id, "/args").value_or("<none>"), "def|given|from-env\n");
  json config = env.config(built.id);
  EXPECT_EQ(config["config"]["Env"], json::array({"PATH=/bin", "Z=from-env"})) << config.dump(2);
  EXPECT_EQ(env.sh(built.id, "echo \"[$X][$Y]\""), "[][]");
}

TEST(BuildCorpus, UnusedBuildArgIsReportedAsAWarning) {
  BuildEnv env;
  auto built = env.build(kFrom + "ARG USED\nRUN echo $USED > /u\n", {},
                         {"--build-arg", "USED=1", "--build-arg", "NEVER_DECLARED=2"});
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_NE(built.result.err.find("NEVER_DECLARED"), std::string::npos) << built.describe();
  EXPECT_EQ(built.result.err.find("[USED]"), std::string::npos) << built.describe();
}

TEST(BuildCorpus, WorkdirRelativeChainIsCreated) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "WORKDIR /a\n"
                         "WORKDIR b\n"
                         "WORKDIR c\n"
                         "RUN pwd > /pwd.txt\n"
                         "WORKDIR /made/without/run\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/pwd.txt").value_or("<none>"), "/a/b/c\n");
  EXPECT_EQ(env.inspect(built.id, "{{.Config.WorkingDir}}"), "/made/without/run");
  std::string root = env.unpack(built.id);
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(describe_path(root + "/made/without/run"), "0755 0:0 dir");
}

TEST(BuildCorpus, UserAppliesToLaterRunSteps) {
  BuildEnv env;
  auto built = env.build(kFrom +
                         "RUN echo 'app:x:1234:4321::/:/bin/sh' >> /etc/passwd && "
                         "echo 'grp:x:4321:' >> /etc/group\n"
                         "USER app\n"
                         "RUN id -u > /tmp/by-name && id -g >> /tmp/by-name\n"
                         "USER 1001:1002\n"
                         "RUN id -u > /tmp/by-number && id -g >> /tmp/by-number\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.file(built.id, "/tmp/by-name").value_or("<none>"), "1234\n4321\n");
  EXPECT_EQ(env.file(built.id, "/tmp/by-number").value_or("<none>"), "1001\n1002\n");
  EXPECT_EQ(env.inspect(built.id, "{{.Config.User}}"), "1001:1002");
  EXPECT_EQ(env.stat(built.id, "/tmp/by-number", "%u:%g"), "1001:1002");
}

}  // namespace
}  // namespace krill::it
