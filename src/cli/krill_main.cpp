// krill: the user-facing command (podman/docker/skopeo verbs); `krill runtime ...` is the OCI
// runtime.
#include "cli/krill/krill_cli.h"

int main(int argc, char** argv) { return krill::cli::krill_main(argc, argv); }
