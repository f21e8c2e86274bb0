#!/usr/bin/env bash
# Installs the build dependencies (Debian packages), builds with warnings as errors, and
# runs the whole test suite with ctest: the C++ tests, the Python module's pytest suite and
# the example notebook. Usage: scripts/test.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
scripts/setup-debian.sh tests python-tests
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBERTSCOPE_WERROR=ON -DBERTSCOPE_TESTS=ON -DBERTSCOPE_BENCH=ON \
  -DBERTSCOPE_PYTHON=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
