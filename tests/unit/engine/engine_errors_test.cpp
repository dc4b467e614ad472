// The engine's mapping of runtime failures to Docker's exit statuses, and runtime stderr parsing.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace krill::engine {
namespace {

TEST(EngineErrors, StartErrorExitStatuses) {
  EXPECT_EQ(
      exit_status_for_start_error(Error("exec: \"nope\": executable file not found in $PATH")),
      127);
  EXPECT_EQ(exit_status_for_start_error(Error("exec: \"/x\": stat /x: no such file or directory")),
            127);
  EXPECT_EQ(exit_status_for_start_error(Error("exec: \"/etc/passwd\": permission denied")), 126);
  EXPECT_EQ(exit_status_for_start_error(Error("mount proc: Operation not permitted")), 125);
}

TEST(EngineErrors, RuntimeErrorText) {
  RuntimeOutput krill_runtime{1, "", "Error: container \"x\" does not exist\n"};
  EXPECT_EQ(runtime_error_text(krill_runtime), "container \"x\" does not exist");
  RuntimeOutput runc{1, "",
                     "time=\"2026-11-28T11:00:00Z\" level=error msg=\"exec: \\\"nope\\\": "
                     "executable file not found in $PATH\"\n"};
  EXPECT_EQ(runtime_error_text(runc), "exec: \"nope\": executable file not found in $PATH");
  RuntimeOutput silent{3, "", ""};
  EXPECT_EQ(runtime_error_text(silent), "exit status 3");
}

TEST(EngineErrors, RunCapturedCollectsBothStreams) {
  auto output = run_captured({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"});
  ASSERT_TRUE(output) << output.error().message();
  EXPECT_EQ(output->exit_code, 4);
  EXPECT_EQ(output->out, "out\n");
  EXPECT_EQ(output->err, "err\n");
}

}  // namespace
}  // namespace krill::engine
