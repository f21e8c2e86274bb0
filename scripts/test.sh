#!/usr/bin/env bash
# Installs the build dependencies (Debian packages), builds, and runs the whole test suite
# with ctest: the C++ tests, the Python module's pytest suite and the example notebook.
# Usage: scripts/test.sh [build-dir]
# The build options are scripts/demo.sh's plus the tests, so that after the demo only the
# tests, benchmarks and tools compile. Warnings as errors (-DBERTSCOPE_WERROR=ON) would change
# every compile command and build the engine a second time; the sanitizer build
# (scripts/test-sanitized.sh, CI's second step) has them on.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
scripts/setup-debian.sh tests python-tests
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBERTSCOPE_TESTS=ON -DBERTSCOPE_BENCH=ON \
  -DBERTSCOPE_PYTHON=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
