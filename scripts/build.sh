#!/usr/bin/env bash
# Configures and builds krill into build/ (ccache speeds up rebuilds). Arguments go to cmake's
# configure step, e.g. -DKRILL_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache can reuse objects built with precompiled headers only with these.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
