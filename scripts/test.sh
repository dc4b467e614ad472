#!/usr/bin/env bash
# Installs what is needed, builds krill, and runs the whole test suite: the integration tests
# against the optimised build (build/), then the unit tests under ASan+UBSan (build-asan/).
# The unit tests are built only there, where they run (KRILL_BUILD_UNIT_TESTS).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DKRILL_BUILD_UNIT_TESTS=OFF
(cd build && ctest --output-on-failure --timeout 300 -j2)

export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKRILL_SANITIZE=ON \
  -DKRILL_BUILD_UNIT_TESTS=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --timeout 300 -j2 -L unit)
