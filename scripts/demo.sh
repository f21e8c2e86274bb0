#!/usr/bin/env bash
# Fresh Debian 12 machine -> the code challenge on the shipped demo model, in one command:
# installs the Debian packages, builds bertscope, runs examples/noisy-and-shuffled.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertscope
./build/bertscope run examples/noisy-and-shuffled.toml "$@"
out="out/noisy-and-shuffled"
if [ -f "$out/report.html" ]; then
  echo "report: $(pwd)/$out/report.html"
else
  echo "results: $(pwd)/$out/"
fi
