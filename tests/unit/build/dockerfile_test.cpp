#include "build/dockerfile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace krill::build {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Dockerfile parse_ok(std::string_view text) {
  auto result = parse_dockerfile(text, "Dockerfile");
  EXPECT_TRUE(result.has_value()) << result.error().message();
  return result.value_or(Dockerfile{});
}

std::string parse_error(std::string_view text) {
  auto result = parse_dockerfile(text, "Dockerfile");
  EXPECT_FALSE(result.has_value());
  return result ? "" : result.error().message();
}

std::vector<std::string> keywords(const Dockerfile& dockerfile) {
  std::vector<std::string> result;
  for (const Instruction& instruction : dockerfile.instructions) {
    result.push_back(instruction.keyword);
  }
  return result;
}

TEST(DockerfileParse, ReadsInstructionsWithLinesAndRest) {
  const Dockerfile dockerfile = parse_ok("FROM alpine:3.19\nRUN echo hi\nCMD [\"sh\"]\n");
  EXPECT_EQ(dockerfile.file_name, "Dockerfile");
  EXPECT_EQ(dockerfile.escape, '\\');
  ASSERT_EQ(dockerfile.instructions.size(), 3u);
  const Instruction& from = dockerfile.instructions[0];
  EXPECT_EQ(from.keyword, "FROM");
  EXPECT_EQ(from.line, 1);
  EXPECT_EQ(from.end_line, 1);
  EXPECT_EQ(from.rest, "alpine:3.19");
  EXPECT_EQ(from.original, "FROM alpine:3.19");
  const Instruction& run = dockerfile.instructions[1];
  EXPECT_EQ(run.keyword, "RUN");
  EXPECT_EQ(run.line, 2);
  EXPECT_EQ(run.rest, "echo hi");
  EXPECT_FALSE(run.json_form);
  EXPECT_THAT(run.args, IsEmpty());
  EXPECT_EQ(dockerfile.instructions[2].line, 3);
}

TEST(DockerfileParse, KeywordsAreCaseInsensitive) {
  const Dockerfile dockerfile = parse_ok("from alpine\nRun echo\ncOpY a b\n");
  EXPECT_THAT(keywords(dockerfile), ElementsAre("FROM", "RUN", "COPY"));
}

TEST(DockerfileParse, LastLineWithoutNewlineAndCrlfLineEnds) {
  const Dockerfile dockerfile = parse_ok("FROM a\r\nRUN x\r\nUSER me");
  EXPECT_THAT(keywords(dockerfile), ElementsAre("FROM", "RUN", "USER"));
  EXPECT_EQ(dockerfile.instructions[1].rest, "x");
  EXPECT_EQ(dockerfile.instructions[2].rest, "me");
}

TEST(DockerfileParse, SkipsCommentsAndBlankLinesAndLeadingWhitespace) {
  const Dockerfile dockerfile =
      parse_ok("\n# comment\n   # indented comment\n\n  FROM a\n\t RUN b\n");
  ASSERT_EQ(dockerfile.instructions.size(), 2u);
  EXPECT_EQ(dockerfile.instructions[0].line, 5);
  EXPECT_EQ(dockerfile.instructions[0].original, "FROM a");
  EXPECT_EQ(dockerfile.instructions[1].line, 6);
}

TEST(DockerfileParse, HashInsideInstructionIsNotAComment) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN echo # not a comment\n");
  EXPECT_EQ(dockerfile.instructions[1].rest, "echo # not a comment");
}

TEST(DockerfileParse, JoinsContinuationLinesWithNothingBetween) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nRUN apt-get update && \\\n    apt-get install x\nUSER u\n");
  const Instruction& run = dockerfile.instructions[1];
  EXPECT_EQ(run.original, "RUN apt-get update &&     apt-get install x");
  EXPECT_EQ(run.rest, "apt-get update &&     apt-get install x");
  EXPECT_EQ(run.line, 2);
  EXPECT_EQ(run.end_line, 3);
  EXPECT_EQ(dockerfile.instructions[2].line, 4);
}

TEST(DockerfileParse, ContinuationAllowsTrailingWhitespaceAfterEscape) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN a \\  \t\n b\n");
  EXPECT_EQ(dockerfile.instructions[1].rest, "a  b");
}

TEST(DockerfileParse, CommentsAndEmptyLinesInsideContinuationAreSkipped) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nRUN one \\\n# a comment\n\n   \n  # another\n two\nUSER x\n");
  ASSERT_EQ(dockerfile.instructions.size(), 3u);
  EXPECT_EQ(dockerfile.instructions[1].rest, "one  two");
  EXPECT_EQ(dockerfile.instructions[1].end_line, 7);
  EXPECT_EQ(dockerfile.instructions[2].line, 8);
}

TEST(DockerfileParse, ContinuationAtEndOfFileEndsTheInstruction) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN a \\");
  EXPECT_EQ(dockerfile.instructions[1].rest, "a");
}

TEST(DockerfileDirectives, SyntaxAndEscapeAreRead) {
  const Dockerfile dockerfile =
      parse_ok("# syntax=docker/dockerfile:1\n#ESCAPE = `\nFROM a\nRUN a `\n b\n");
  EXPECT_EQ(dockerfile.syntax, "docker/dockerfile:1");
  EXPECT_EQ(dockerfile.escape, '`');
  EXPECT_EQ(dockerfile.instructions[1].rest, "a  b");
  EXPECT_EQ(dockerfile.instructions[0].line, 3);
}

TEST(DockerfileDirectives, BacktickEscapeMakesBackslashOrdinary) {
  const Dockerfile dockerfile = parse_ok("# escape=`\nFROM a\nWORKDIR C:\\\nUSER u\n");
  ASSERT_EQ(dockerfile.instructions.size(), 3u);
  EXPECT_EQ(dockerfile.instructions[1].rest, "C:\\");
}

TEST(DockerfileDirectives, CheckDirectiveIsAcceptedAndIgnored) {
  const Dockerfile dockerfile = parse_ok("# check=skip=all\n# escape=`\nFROM a\n");
  EXPECT_EQ(dockerfile.escape, '`');
}

TEST(DockerfileDirectives, DirectiveAfterCommentIsAComment) {
  const Dockerfile dockerfile = parse_ok("# hello\n# escape=`\nFROM a\n");
  EXPECT_EQ(dockerfile.escape, '\\');
}

TEST(DockerfileDirectives, DirectiveAfterBlankLineIsAComment) {
  const Dockerfile dockerfile = parse_ok("\n# escape=`\nFROM a\n");
  EXPECT_EQ(dockerfile.escape, '\\');
}

TEST(DockerfileDirectives, DirectiveAfterInstructionIsAComment) {
  const Dockerfile dockerfile = parse_ok("FROM a\n# escape=`\n# syntax=x\nRUN b\n");
  EXPECT_EQ(dockerfile.escape, '\\');
  EXPECT_EQ(dockerfile.syntax, "");
}

TEST(DockerfileDirectives, UnknownDirectiveEndsDirectives) {
  const Dockerfile dockerfile = parse_ok("# foo=bar\n# escape=`\nFROM a\n");
  EXPECT_EQ(dockerfile.escape, '\\');
}

TEST(DockerfileDirectives, InvalidEscapeTokenIsAnError) {
  EXPECT_EQ(parse_error("# escape=%\nFROM a\n"),
            "Dockerfile:1: invalid escape token '%': must be ` or \\");
}

TEST(DockerfileDirectives, RepeatedDirectiveIsAnError) {
  EXPECT_EQ(parse_error("# escape=`\n# escape=\\\nFROM a\n"),
            "Dockerfile:2: only one escape parser directive can be used");
}

TEST(DockerfileDirectives, ByteOrderMarkIsIgnored) {
  const Dockerfile dockerfile = parse_ok("\xEF\xBB\xBF# escape=`\nFROM a\n");
  EXPECT_EQ(dockerfile.escape, '`');
}

TEST(DockerfileJson, ExecFormFillsArgs) {
  const Dockerfile dockerfile = parse_ok(
      "FROM a\nRUN [\"echo\", \"a b\"]\nCMD [ \"x\" ]  \nENTRYPOINT []\nSHELL [\"/bin/sh\", "
      "\"-c\"]\n");
  const Instruction& run = dockerfile.instructions[1];
  EXPECT_TRUE(run.json_form);
  EXPECT_THAT(run.args, ElementsAre("echo", "a b"));
  EXPECT_THAT(dockerfile.instructions[2].args, ElementsAre("x"));
  EXPECT_TRUE(dockerfile.instructions[3].json_form);
  EXPECT_THAT(dockerfile.instructions[3].args, IsEmpty());
  EXPECT_THAT(dockerfile.instructions[4].args, ElementsAre("/bin/sh", "-c"));
}

TEST(DockerfileJson, InvalidJsonFallsBackToShellForm) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN [\"echo\", hi]\nCMD [\"a\"] extra\n");
  EXPECT_FALSE(dockerfile.instructions[1].json_form);
  EXPECT_EQ(dockerfile.instructions[1].rest, "[\"echo\", hi]");
  EXPECT_FALSE(dockerfile.instructions[2].json_form);
}

TEST(DockerfileJson, NonStringArrayIsAnError) {
  EXPECT_EQ(parse_error("FROM a\nCMD [\"a\", 1]\n"),
            "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings "
            "only");
}

TEST(DockerfileJson, CopyAndVolumeAcceptJson) {
  const Dockerfile dockerfile = parse_ok("FROM a\nCOPY [\"a b\", \"/d\"]\nVOLUME [\"/v\"]\n");
  EXPECT_TRUE(dockerfile.instructions[1].json_form);
  EXPECT_THAT(dockerfile.instructions[1].args, ElementsAre("a b", "/d"));
  EXPECT_THAT(dockerfile.instructions[2].args, ElementsAre("/v"));
}

TEST(DockerfileJson, EnvAndLabelNeverUseJsonForm) {
  const Dockerfile dockerfile = parse_ok("FROM a\nLABEL [\"a\"] b\nWORKDIR [\"/x\"]\n");
  EXPECT_FALSE(dockerfile.instructions[1].json_form);
  EXPECT_FALSE(dockerfile.instructions[2].json_form);
}

TEST(DockerfileJson, ShellRequiresJsonForm) {
  EXPECT_EQ(parse_error("FROM a\nSHELL /bin/sh -c\n"),
            "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(parse_error("FROM a\nSHELL []\n"),
            "Dockerfile:2: SHELL requires at least one argument");
}

TEST(DockerfileJson, HealthcheckCmdMayBeJson) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"x\"]\n");
  const Instruction& health = dockerfile.instructions[1];
  EXPECT_EQ(health.rest, "CMD [\"curl\", \"-f\", \"x\"]");
  EXPECT_TRUE(health.json_form);
  EXPECT_THAT(health.args, ElementsAre("curl", "-f", "x"));
  EXPECT_EQ(find_flag(health, "interval")->value, "5s");
}

TEST(DockerfileFlags, ReadsFlagsInOrderAndLeavesRest) {
  const Dockerfile dockerfile = parse_ok("FROM a\nCOPY --from=build --chown=1:2 --link src /dst\n");
  const Instruction& copy = dockerfile.instructions[1];
  ASSERT_EQ(copy.flags.size(), 3u);
  EXPECT_EQ(copy.flags[0].name, "from");
  EXPECT_EQ(copy.flags[0].value, "build");
  EXPECT_TRUE(copy.flags[0].has_value);
  EXPECT_EQ(copy.flags[1].value, "1:2");
  EXPECT_EQ(copy.flags[2].name, "link");
  EXPECT_FALSE(copy.flags[2].has_value);
  EXPECT_EQ(copy.flags[2].value, "");
  EXPECT_EQ(copy.rest, "src /dst");
}

TEST(DockerfileFlags, FlagValueKeepsQuotesAndMayContainSpacesInQuotes) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nRUN --mount=type=cache,target=\"/a b\" --network=$NET echo\n");
  const Instruction& run = dockerfile.instructions[1];
  ASSERT_EQ(run.flags.size(), 2u);
  EXPECT_EQ(run.flags[0].value, "type=cache,target=\"/a b\"");
  EXPECT_EQ(run.flags[1].value, "$NET");
  EXPECT_EQ(run.rest, "echo");
}

TEST(DockerfileFlags, FlagsOnlyAtTheStart) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN echo --mount=x\n");
  EXPECT_THAT(dockerfile.instructions[1].flags, IsEmpty());
  EXPECT_EQ(dockerfile.instructions[1].rest, "echo --mount=x");
}

TEST(DockerfileFlags, DoubleDashEndsFlags) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN --network=none -- --not-a-flag\n");
  const Instruction& run = dockerfile.instructions[1];
  ASSERT_EQ(run.flags.size(), 1u);
  EXPECT_EQ(run.rest, "--not-a-flag");
}

TEST(DockerfileFlags, FlagsBeforeJsonForm) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN --network=none [\"ls\"]\n");
  EXPECT_TRUE(dockerfile.instructions[1].json_form);
  EXPECT_THAT(dockerfile.instructions[1].args, ElementsAre("ls"));
}

TEST(DockerfileFlags, KnownFlagsPerInstructionAreAccepted) {
  parse_ok(
      "FROM --platform=linux/amd64 a\n"
      "RUN --mount=type=bind --network=host --security=insecure x\n"
      "COPY --from=a --chown=1 --chmod=755 --link --parents --exclude=*.md a /b\n"
      "ADD --checksum=sha256:x --chown=1 --chmod=1 --link --keep-git-dir --exclude=x a /b\n"
      "HEALTHCHECK --interval=1s --timeout=1s --start-period=1s --start-interval=1s "
      "--retries=3 CMD true\n");
}

TEST(DockerfileFlags, UnknownFlagIsAnError) {
  EXPECT_EQ(parse_error("FROM a\nUSER u\nCOPY --chmodd=7 a b\n"),
            "Dockerfile:3: unknown flag: --chmodd");
  EXPECT_EQ(parse_error("FROM a\nENV --x=1 a=b\n"), "Dockerfile:2: unknown flag: --x");
  EXPECT_EQ(parse_error("FROM --from=x a\n"), "Dockerfile:1: unknown flag: --from");
  EXPECT_EQ(parse_error("FROM a\nCOPY --keep-git-dir a b\n"),
            "Dockerfile:2: unknown flag: --keep-git-dir");
}

TEST(DockerfileFlags, HealthcheckNoneTakesNoFlags) {
  EXPECT_EQ(parse_error("FROM a\nHEALTHCHECK --interval=5s NONE\n"),
            "Dockerfile:2: unknown flag: --interval");
  EXPECT_EQ(parse_ok("FROM a\nHEALTHCHECK none\n").instructions[1].rest, "none");
}

TEST(DockerfileFlags, FindFlagReturnsLastMatchOrNull) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nRUN --mount=type=a --network=none --mount=type=b x\n");
  const Instruction& run = dockerfile.instructions[1];
  ASSERT_NE(find_flag(run, "mount"), nullptr);
  EXPECT_EQ(find_flag(run, "mount")->value, "type=b");
  EXPECT_EQ(find_flag(run, "security"), nullptr);
}

TEST(DockerfileHeredoc, RunHeredocBodyIsCollected) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN <<EOF\necho hi\n  echo $x\nEOF\nUSER u\n");
  ASSERT_EQ(dockerfile.instructions.size(), 3u);
  const Instruction& run = dockerfile.instructions[1];
  EXPECT_EQ(run.rest, "<<EOF");
  EXPECT_EQ(run.line, 2);
  EXPECT_EQ(run.end_line, 5);
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "echo hi\n  echo $x\n");
  EXPECT_TRUE(run.heredocs[0].expand);
  EXPECT_FALSE(run.heredocs[0].strip_tabs);
  EXPECT_EQ(dockerfile.instructions[2].line, 6);
}

TEST(DockerfileHeredoc, BodyLinesAreNotCommentsOrContinuations) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN <<EOF\n# kept\nline \\\n\nEOF\n");
  EXPECT_EQ(dockerfile.instructions[1].heredocs[0].content, "# kept\nline \\\n\n");
}

TEST(DockerfileHeredoc, MarkerInsideCommandLine) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN cat <<EOF > /x\nhello\nEOF\n");
  const Instruction& run = dockerfile.instructions[1];
  EXPECT_EQ(run.rest, "cat <<EOF > /x");
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].content, "hello\n");
}

TEST(DockerfileHeredoc, QuotedDelimiterDisablesExpansion) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN <<\"EOF\"\n$x\nEOF\nRUN <<'END'\n$y\nEND\n");
  EXPECT_EQ(dockerfile.instructions[1].heredocs[0].name, "EOF");
  EXPECT_FALSE(dockerfile.instructions[1].heredocs[0].expand);
  EXPECT_EQ(dockerfile.instructions[2].heredocs[0].name, "END");
  EXPECT_FALSE(dockerfile.instructions[2].heredocs[0].expand);
}

TEST(DockerfileHeredoc, DashStripsLeadingTabsFromBodyAndDelimiter) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN <<-EOF\n\t\techo a\n  b\n\tEOF\n");
  const Heredoc& heredoc = dockerfile.instructions[1].heredocs[0];
  EXPECT_TRUE(heredoc.strip_tabs);
  EXPECT_EQ(heredoc.name, "EOF");
  EXPECT_EQ(heredoc.content, "echo a\n  b\n");
}

TEST(DockerfileHeredoc, WithoutDashIndentedDelimiterDoesNotEnd) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN <<EOF\n\tEOF\nEOF\n");
  EXPECT_EQ(dockerfile.instructions[1].heredocs[0].content, "\tEOF\n");
}

TEST(DockerfileHeredoc, SeveralHeredocsOnOneLineInOrder) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nCOPY <<A <<B /dst/\nfile a\nA\nfile b\nB\nUSER u\n");
  const Instruction& copy = dockerfile.instructions[1];
  ASSERT_EQ(copy.heredocs.size(), 2u);
  EXPECT_EQ(copy.heredocs[0].name, "A");
  EXPECT_EQ(copy.heredocs[0].content, "file a\n");
  EXPECT_EQ(copy.heredocs[1].name, "B");
  EXPECT_EQ(copy.heredocs[1].content, "file b\n");
  EXPECT_EQ(copy.end_line, 6);
  EXPECT_EQ(dockerfile.instructions[2].line, 7);
}

TEST(DockerfileHeredoc, EmptyBodyAndFileDescriptorPrefix) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN python3 3<<EOF\nEOF\n");
  const Instruction& run = dockerfile.instructions[1];
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "");
}

TEST(DockerfileHeredoc, AddAcceptsHeredocs) {
  const Dockerfile dockerfile = parse_ok("FROM a\nADD <<EOF /x\nbody\nEOF\n");
  EXPECT_EQ(dockerfile.instructions[1].heredocs.size(), 1u);
}

TEST(DockerfileHeredoc, QuotedMarkerIsNotAHeredoc) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN echo '<<EOF'\nUSER u\n");
  EXPECT_THAT(dockerfile.instructions[1].heredocs, IsEmpty());
  EXPECT_EQ(dockerfile.instructions.size(), 3u);
}

TEST(DockerfileHeredoc, OtherInstructionsAndJsonFormTakeNoHeredocs) {
  const Dockerfile dockerfile = parse_ok("FROM a\nCMD cat <<EOF\nRUN [\"cat\", \"<<EOF\"]\n");
  EXPECT_THAT(dockerfile.instructions[1].heredocs, IsEmpty());
  EXPECT_THAT(dockerfile.instructions[2].heredocs, IsEmpty());
  EXPECT_EQ(dockerfile.instructions.size(), 3u);
}

TEST(DockerfileHeredoc, OnbuildRunTriggerTakesHeredocs) {
  const Dockerfile dockerfile = parse_ok("FROM a\nONBUILD RUN <<EOF\necho\nEOF\n");
  ASSERT_EQ(dockerfile.instructions.size(), 2u);
  EXPECT_EQ(dockerfile.instructions[1].heredocs.size(), 1u);
}

TEST(DockerfileHeredoc, HeredocAfterContinuation) {
  const Dockerfile dockerfile = parse_ok("FROM a\nRUN --network=none \\\n  <<EOF\nx\nEOF\n");
  const Instruction& run = dockerfile.instructions[1];
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.rest, "<<EOF");
  EXPECT_EQ(run.end_line, 5);
}

TEST(DockerfileHeredoc, MissingDelimiterIsAnError) {
  EXPECT_EQ(parse_error("FROM a\nUSER u\nENV a=b\nWORKDIR /\nRUN <<EOF\necho\n"),
            "Dockerfile:5: unterminated heredoc EOF");
}

TEST(DockerfileErrors, EmptyFileHasNoInstructions) {
  EXPECT_EQ(parse_error(""), "Dockerfile: file with no instructions");
  EXPECT_EQ(parse_error("# just a comment\n\n"), "Dockerfile: file with no instructions");
}

TEST(DockerfileErrors, UnknownInstruction) {
  EXPECT_EQ(parse_error("FROM a\n\nRUNN x\n"), "Dockerfile:3: unknown instruction: RUNN");
  EXPECT_EQ(parse_error("FROM a\nfoo bar\n"), "Dockerfile:2: unknown instruction: FOO");
}

TEST(DockerfileErrors, InstructionBeforeFromHasNoBuildStage) {
  EXPECT_EQ(parse_error("ARG V=1\nRUN x\nFROM a\n"),
            "Dockerfile:2: no build stage in current context");
}

TEST(DockerfileErrors, ArgBeforeFromIsKept) {
  const Dockerfile dockerfile = parse_ok("ARG BASE=alpine\nARG TAG\nFROM $BASE:$TAG\n");
  EXPECT_THAT(keywords(dockerfile), ElementsAre("ARG", "ARG", "FROM"));
  EXPECT_EQ(dockerfile.instructions[0].rest, "BASE=alpine");
}

TEST(DockerfileErrors, FromNeedsOneOrThreeArguments) {
  EXPECT_EQ(parse_error("FROM\n"), "Dockerfile:1: FROM requires either one or three arguments");
  EXPECT_EQ(parse_error("FROM a b\n"), "Dockerfile:1: FROM requires either one or three arguments");
  EXPECT_EQ(parse_error("FROM a to b\n"),
            "Dockerfile:1: FROM requires either one or three arguments");
  EXPECT_EQ(parse_error("FROM a AS b c\n"),
            "Dockerfile:1: FROM requires either one or three arguments");
}

TEST(DockerfileErrors, FromAsIsCaseInsensitive) {
  const Dockerfile dockerfile = parse_ok("FROM a as build\nFROM b AS Final\nFROM c aS x\n");
  EXPECT_EQ(dockerfile.instructions[0].rest, "a as build");
  EXPECT_EQ(dockerfile.instructions.size(), 3u);
}

TEST(DockerfileErrors, InvalidStageName) {
  EXPECT_EQ(parse_error("FROM a AS 1st\n"),
            "Dockerfile:1: invalid name for build stage: \"1st\", name can't start with a number "
            "or contain symbols");
}

TEST(DockerfileErrors, EnvLabelArgNeedANameAndValueSyntax) {
  EXPECT_EQ(parse_error("FROM a\nENV\n"), "Dockerfile:2: ENV requires at least one argument");
  EXPECT_EQ(parse_error("FROM a\nLABEL\n"), "Dockerfile:2: LABEL requires at least one argument");
  EXPECT_EQ(parse_error("FROM a\nARG\n"), "Dockerfile:2: ARG requires at least one argument");
  EXPECT_EQ(parse_error("FROM a\nENV name\n"), "Dockerfile:2: ENV must have two arguments");
  EXPECT_EQ(parse_error("FROM a\nENV a=1 b\n"),
            "Dockerfile:2: Syntax error - can't find = in \"b\". Must be of the form: name=value");
  EXPECT_EQ(parse_error("FROM a\nLABEL =x\n"), "Dockerfile:2: LABEL names can not be blank");
}

TEST(DockerfileErrors, EnvFormsAccepted) {
  const Dockerfile dockerfile =
      parse_ok("FROM a\nENV A 1 2 3\nENV B=\"x y\" C=z\\ w D=\nLABEL \"k k\"=v\n");
  EXPECT_EQ(dockerfile.instructions[1].rest, "A 1 2 3");
  EXPECT_EQ(dockerfile.instructions[2].rest, "B=\"x y\" C=z\\ w D=");
}

TEST(DockerfileErrors, ArgumentCounts) {
  EXPECT_EQ(parse_error("FROM a\nCOPY onlyone\n"),
            "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
            "Destination could not be determined.");
  EXPECT_EQ(parse_error("FROM a\nWORKDIR\n"),
            "Dockerfile:2: WORKDIR requires exactly one argument");
  EXPECT_EQ(parse_error("FROM a\nEXPOSE\n"), "Dockerfile:2: EXPOSE requires at least one argument");
  EXPECT_EQ(parse_error("FROM a\nVOLUME [\"\"]\n"),
            "Dockerfile:2: VOLUME specified can not be an empty string");
  EXPECT_EQ(parse_error("FROM a\nHEALTHCHECK CMD\n"),
            "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  EXPECT_EQ(parse_error("FROM a\nHEALTHCHECK NONE x\n"),
            "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(parse_error("FROM a\nHEALTHCHECK RUN x\n"),
            "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
}

TEST(DockerfileErrors, OnbuildRestrictions) {
  EXPECT_EQ(parse_error("FROM a\nONBUILD ONBUILD RUN x\n"),
            "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(parse_error("FROM a\nONBUILD from b\n"),
            "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(parse_error("FROM a\nONBUILD MAINTAINER me\n"),
            "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(parse_error("FROM a\nONBUILD\n"),
            "Dockerfile:2: ONBUILD requires at least one argument");
}

TEST(DockerfileErrors, OnbuildRestIsTheWholeTrigger) {
  const Dockerfile dockerfile = parse_ok("FROM a\nONBUILD COPY --from=x a /b\n");
  const Instruction& onbuild = dockerfile.instructions[1];
  EXPECT_EQ(onbuild.keyword, "ONBUILD");
  EXPECT_EQ(onbuild.rest, "COPY --from=x a /b");
  EXPECT_THAT(onbuild.flags, IsEmpty());
}

TEST(DockerfileErrors, ErrorUsesTheGivenFileName) {
  auto result = parse_dockerfile("FROM a\nBAD x\n", "Containerfile");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(), "Containerfile:2: unknown instruction: BAD");
}

TEST(DockerfileOnbuildTrigger, ParsesTriggerWithoutFrom) {
  auto result = parse_onbuild_trigger("RUN <<EOF\necho hi\nEOF", "Dockerfile (ONBUILD)");
  ASSERT_TRUE(result.has_value()) << result.error().message();
  ASSERT_EQ(result->instructions.size(), 1u);
  EXPECT_EQ(result->instructions[0].keyword, "RUN");
  ASSERT_EQ(result->instructions[0].heredocs.size(), 1u);
  EXPECT_EQ(result->instructions[0].heredocs[0].content, "echo hi\n");
}

TEST(DockerfileOnbuildTrigger, StillChecksTheInstruction) {
  auto result = parse_onbuild_trigger("COPY --bad=1 a b", "T");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(), "T:1: unknown flag: --bad");
}

TEST(DockerfileParse, FullExampleParses) {
  const Dockerfile dockerfile = parse_ok(R"(# syntax=docker/dockerfile:1.7
ARG GO=1.22
FROM golang:${GO} AS build
WORKDIR /src
COPY --link go.mod go.sum ./
RUN --mount=type=cache,target=/root/.cache \
    go build -o /out/app .

FROM scratch
COPY --from=build /out/app /app
EXPOSE 8080/tcp
ENV PATH=/bin \
    MODE=prod
LABEL org.opencontainers.image.title="app"
USER 1000:1000
HEALTHCHECK --interval=30s CMD ["/app", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app"]
)");
  EXPECT_EQ(dockerfile.syntax, "docker/dockerfile:1.7");
  EXPECT_THAT(keywords(dockerfile),
              ElementsAre("ARG", "FROM", "WORKDIR", "COPY", "RUN", "FROM", "COPY", "EXPOSE", "ENV",
                          "LABEL", "USER", "HEALTHCHECK", "STOPSIGNAL", "ENTRYPOINT"));
  EXPECT_EQ(dockerfile.instructions[4].rest, "go build -o /out/app .");
  EXPECT_EQ(dockerfile.instructions[8].rest, "PATH=/bin     MODE=prod");
  EXPECT_EQ(dockerfile.instructions[8].line, 12);
  EXPECT_EQ(dockerfile.instructions[8].end_line, 13);
}

}  // namespace
}  // namespace krill::build
