// krill-runtime: the runc-compatible OCI runtime command line.
#include "cli/runtime/runtime_cli.h"

int main(int argc, char** argv) { return krill::cli::runtime_main(argc, argv); }
