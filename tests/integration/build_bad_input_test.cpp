// `krill build` with bad input: syntax errors, failing steps, missing sources, bad stage
// references, symlinks leading out of the context; and what is left behind (mounts, temp dirs).
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "build_test_support.h"

namespace krill::it {
namespace {

const std::string kFrom = std::string("FROM ") + EngineEnv::kImage + "\n";

// Entries of a directory ("" when missing); `runtime` (the RUN runtime's state root) is
// described by its own entries, so an empty state root is not a leftover.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "runtime" && it->is_directory()) {
      for (const auto& inner : entries(it->path().string())) out.push_back("runtime/" + inner);
      continue;
    }
    out.push_back(name);
  }
  return out;
}

void expect_nothing_left(const BuildEnv& env) {
  EXPECT_TRUE(env.leftover_mounts().empty());
  for (const auto& mount : env.leftover_mounts()) ADD_FAILURE() << "mount left: " << mount;
  for (const char* sub : {"/build/work", "/build/tmp"}) {
    auto left = entries(env.store() + sub);
    std::string listing;
    for (const auto& e : left) listing += e + " ";
    EXPECT_TRUE(left.empty()) << env.store() << sub << " holds: " << listing;
  }
}

bool mentions(const CommandResult& result, const std::string& text) {
  return result.err.find(text) != std::string::npos || result.out.find(text) != std::string::npos;
}

TEST(BuildBadInput, SyntaxErrorNamesTheFileAndLine) {
  BuildEnv env;
  auto built = env.build(kFrom + "RUN echo ok\nFROM a b\n");
  EXPECT_NE(built.result.exit_code, 0) << built.describe();
  EXPECT_TRUE(built.id.empty());
  EXPECT_TRUE(mentions(built.result, "Dockerfile:3")) << built.describe();
  EXPECT_TRUE(mentions(built.result, "FROM")) << built.describe();
  expect_nothing_left(env);
}

TEST(BuildBadInput, UnknownInstructionIsNamed) {
  BuildEnv env;
  auto built = env.build(kFrom + "\nRUNN echo typo\n");
  EXPECT_NE(built.result.exit_code, 0) << built.describe();
  EXPECT_TRUE(mentions(built.result, "Dockerfile:3")) << built.describe();
  EXPECT_TRUE(mentions(built.result, "unknown instruction")) << built.describe();
  EXPECT_TRUE(mentions(built.result, "RUNN")) << built.describe();
  // Nothing ran: the syntax is checked before the first step.
  EXPECT_EQ(built.result.out.find("STEP"), std::string::npos) << built.describe();
}

TEST(BuildBadInput, InstructionBeforeFromAndMissingFromAreErrors) {
  BuildEnv env;
  auto early = env.build("RUN echo no stage\n" + kFrom);
  EXPECT_NE(early.result.exit_code, 0) << early.describe();
  EXPECT_TRUE(mentions(early.result, "Dockerfile:1")) << early.describe();
  auto empty = env.build("# only a comment\n");
  EXPECT_NE(empty.result.exit_code, 0) << empty.describe();
}

TEST(BuildBadInput, FailingRunNamesLineAndExitCodeAndTagsNothing) {
  BuildEnv env;
  auto built = env.build(kFrom + "RUN echo fine\nRUN exit 7\nRUN echo never > /never\n", {},
                         {"-t", "localhost/failed:1"});
  EXPECT_NE(built.result.exit_code, 0) << built.describe();
  EXPECT_TRUE(built.id.empty()) << built.describe();
  EXPECT_TRUE(mentions(built.result, "Dockerfile:3")) << built.describe();
  EXPECT_TRUE(mentions(built.result, "exit code: 7")) << built.describe();
  EXPECT_FALSE(mentions(built.result, "/never")) << "steps after the failure do not run\n"
                                                 << built.describe();
  auto inspected = env.krill({"image", "inspect", "localhost/failed:1"});
  EXPECT_FALSE(inspected.ok()) << inspected.describe();
  expect_nothing_left(env);
}

TEST(BuildBadInput, MissingCopySourceIsNamed) {
  BuildEnv env;
  auto built = env.build(kFrom + "COPY does-not-exist.txt /x\n", {{"other.txt", "o"}});
  EXPECT_NE(built.result.exit_code, 0) << built.describe();
  EXPECT_TRUE(mentions(built.result, "does-not-exist.txt")) << built.describe();
  EXPECT_TRUE(mentions(built.result, "Dockerfile:2")) << built.describe();
  auto wildcard = env.build(kFrom + "COPY *.nothing /x/\n");
  EXPECT_NE(wildcard.result.exit_code, 0) << "a wildcard matching nothing\n" << wildcard.describe();
  expect_nothing_left(env);
}

TEST(BuildBadInput, UnknownFromStageOrImageFailsWithoutNetwork) {
  BuildEnv env;
  auto built = env.build(kFrom + "COPY --from=nowhere /x /x\n");
  EXPECT_NE(built.result.exit_code, 0) << built.describe();
  EXPECT_TRUE(mentions(built.result, "nowhere")) << built.describe();
  auto base = env.build("FROM localhost/no-such-image:1\n");
  EXPECT_NE(base.result.exit_code, 0) << base.describe();
  EXPECT_TRUE(mentions(base.result, "no-such-image")) << base.describe();
  auto target = env.build(kFrom + "RUN true\n", {}, {"--target", "missing-stage"});
  EXPECT_NE(target.result.exit_code, 0) << target.describe();
  EXPECT_TRUE(mentions(target.result, "missing-stage")) << target.describe();
  expect_nothing_left(env);
}

TEST(BuildBadInput, CyclicStageReferencesAreRejected) {
  BuildEnv env;
  auto built = env.build(std::string("FROM ") + EngineEnv::kImage +
                         " AS a\n"
                         "COPY --from=b /etc/passwd /b-passwd\n"
                         "FROM " +
                         EngineEnv::kImage +
                         " AS b\n"
                         "COPY --from=a /etc/passwd /a-passwd\n");
  EXPECT_NE(built.result.exit_code, 0) << built.describe();
  EXPECT_TRUE(mentions(built.result, "circular")) << built.describe();
  auto self = env.build(std::string("FROM ") + EngineEnv::kImage +
                        " AS self\nCOPY --from=self /etc/passwd /x\n");
  EXPECT_NE(self.result.exit_code, 0) << self.describe();
  expect_nothing_left(env);
}

TEST(BuildBadInput, ContextSymlinksAreNeverFollowedOutOfTheContext) {
  BuildEnv env;
  const std::string marker = "HOST-ONLY-" + std::to_string(::getpid()) + "-SECRET";
  const std::string outside = env.dir() + "/outside";
  std::filesystem::create_directories(outside);
  ASSERT_TRUE(write_file(outside + "/secret.txt", marker + "\n"));
  env.write("dir/plain.txt", "plain\n");
  ASSERT_EQ(::symlink((outside + "/secret.txt").c_str(), (env.context() + "/abs-link").c_str()), 0);
  ASSERT_EQ(::symlink("../outside/secret.txt", (env.context() + "/rel-link").c_str()), 0);
  ASSERT_EQ(::symlink("../../outside/secret.txt", (env.context() + "/dir/inner").c_str()), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (env.context() + "/dir-link").c_str()), 0);

  const std::vector<std::string> cases = {
      "COPY dir /d/\n",
      "COPY abs-link /abs\n",
      "COPY rel-link /rel\n",
      "ADD rel-link /added\n",
      "COPY dir-link/secret.txt /through-dir\n",
      "COPY . /all/\n",
      "RUN --mount=type=bind,source=rel-link,target=/m cat /m > /mounted || true\n",
      "RUN --mount=type=bind,source=dir-link,target=/m cat /m/secret.txt > /mounted || true\n",
  };
  for (const auto& step : cases) {
    SCOPED_TRACE(step);
    auto built = env.build(kFrom + step);
    if (!built.ok()) continue;  // refusing is fine; leaking is not
    std::string root = env.unpack(built.id);
    ASSERT_FALSE(root.empty());
    auto grep = run_command({"grep", "-r", "-l", marker, root});
    EXPECT_NE(grep.exit_code, 0) << "the host file's content is in the image: " << grep.out;
    if (step == "COPY dir /d/\n") {
      std::string link = describe_path(root + "/d/inner");
      EXPECT_EQ(link, "0777 0:0 symlink -> ../../outside/secret.txt");
    }
  }
  expect_nothing_left(env);
}

TEST(BuildBadInput, NothingIsLeftBehindAfterSuccessOrFailure) {
  BuildEnv env;
  auto ok = env.build(kFrom +
                          "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t "
                          "echo x > /x\n"
                          "FROM localhost/kbox:latest\n"
                          "COPY --from=0 /x /y\n"
                          "COPY <<EOF /z\nz\nEOF\n",
                      {{"a.txt", "a"}});
  ASSERT_TRUE(ok.ok()) << ok.describe();
  expect_nothing_left(env);
  auto failed = env.build(kFrom + "RUN --mount=type=tmpfs,target=/t exit 1\n");
  EXPECT_NE(failed.result.exit_code, 0);
  expect_nothing_left(env);
  auto failed_copy = env.build(kFrom + "COPY --from=0 /missing /m\n");
  EXPECT_NE(failed_copy.result.exit_code, 0);
  expect_nothing_left(env);
  auto from_stdin_tar = env.build_args({"--pull=never", "-"}, [] {
    CommandOptions o;
    o.stdin_data = std::string(1024, '\0');  // neither a Dockerfile nor a usable context
    return o;
  }());
  EXPECT_NE(from_stdin_tar.result.exit_code, 0) << from_stdin_tar.describe();
  expect_nothing_left(env);
}

TEST(BuildBadInput, BadFlagsAndOptionValuesAreRejected) {
  BuildEnv env;
  env.write("Dockerfile", kFrom + "RUN true\n");
  auto isolation = env.build("", {}, {"--isolation", "vm"});
  EXPECT_EQ(isolation.result.exit_code, 125);
  EXPECT_TRUE(mentions(isolation.result, "isolation")) << isolation.describe();
  auto chmod = env.build(kFrom + "COPY --chmod=999 Dockerfile /x\n");
  EXPECT_NE(chmod.result.exit_code, 0) << chmod.describe();
  EXPECT_TRUE(mentions(chmod.result, "chmod")) << chmod.describe();
  auto flag = env.build(kFrom + "COPY --bogus=1 Dockerfile /x\n");
  EXPECT_NE(flag.result.exit_code, 0) << flag.describe();
  EXPECT_TRUE(mentions(flag.result, "bogus")) << flag.describe();
  auto secret =
      env.build(kFrom + "RUN --mount=type=secret,id=s,required=true cat /run/secrets/s\n");
  EXPECT_NE(secret.result.exit_code, 0) << "a required secret that was not given\n"
                                        << secret.describe();
  auto chown = env.build(kFrom + "COPY --chown=nosuchuser Dockerfile /x\n");
  EXPECT_NE(chown.result.exit_code, 0) << chown.describe();
  EXPECT_TRUE(mentions(chown.result, "nosuchuser")) << chown.describe();
  expect_nothing_left(env);
}

}  // namespace
}  // namespace krill::it
