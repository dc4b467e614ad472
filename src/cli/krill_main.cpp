// krill: the user-facing command. `krill runtime ...` is the OCI runtime.
#include "cli/runtime/runtime_cli.h"

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "runtime") == 0)
    return krill::cli::runtime_main(argc - 1, argv + 1);
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::cout << "krill version " << KRILL_VERSION << "\n";
    return 0;
  }
  std::cerr << "Usage: krill runtime COMMAND [ARGS...]\n"
               "\n"
               "krill builds, ships and runs OCI containers without a daemon.\n"
               "Commands:\n"
               "  runtime   the OCI runtime (runc-compatible), e.g. krill runtime list\n";
  return (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) ? 0 : 125;
}
