#!/usr/bin/env bash
# Build the engines' C++ tests with AddressSanitizer + UBSan (and the score engine's threads
# with ThreadSanitizer too) and run them.
# Needs cmake, ninja (or make) and a C++17 compiler; the PyPI cmake/ninja packages do.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build/native-tests}"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug > /dev/null
cmake --build "$build"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
"$build/test_cone"
"$build/test_score"
"$build/test_threads"
"$build/test_threads_tsan"
