// The krill-runtime command line (runc-compatible), also `krill runtime ...`.
//
// Output conventions:
//   - results go to stdout (state, list, ps, events, spec, features);
//   - errors go to stderr as "krill-runtime: error: <message>" and, with --log FILE,
//     also to FILE as a text or json record (see logger.h);
//   - exit status: 0 on success, 1 on errors and usage errors, 3 for an unknown
//     command (as runc), 255 when exec cannot start the process, and the
//     process's own status for attached `run` and `exec`.
#pragma once

#include <iosfwd>

namespace krill::cli {

int runtime_main(int argc, char** argv);

// The same with explicit streams, for tests.
int runtime_main(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace krill::cli
