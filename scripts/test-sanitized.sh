#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (preset
# "asan" of CMakePresets.json). The runtime options, leak detection included, are compiled
# into every binary (cmake/sanitizer_default_options.cpp), so plain ctest runs them right.
# Usage: scripts/test-sanitized.sh [build-dir (default build-asan)]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-asan}"
scripts/setup-debian.sh tests
cmake --preset asan -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
