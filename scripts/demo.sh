#!/usr/bin/env bash
# Fresh Debian 12 machine -> the code challenge on the shipped demo model, in one command:
# installs the Debian packages the build needs, builds bertscope and its Python module,
# makes `import bertscope` work in .venv (scripts/python-venv.sh), runs
# examples/noisy-and-shuffled.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh python
# Only what the demo needs: the tests and benchmarks are configured by scripts/test.sh.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBERTSCOPE_TESTS=OFF -DBERTSCOPE_BENCH=OFF -DBERTSCOPE_PYTHON=ON >/dev/null
cmake --build build -j"$(nproc)" --target bertscope bertscope_python
scripts/python-venv.sh .venv build
# The Jupyter kernel that the notebooks in examples/notebooks name: "bertscope", this .venv.
# Only where ipykernel is installed (scripts/setup-debian.sh python-tests, which test.sh runs):
# the demo itself does not need its 75 packages.
if .venv/bin/python -c "import ipykernel" 2>/dev/null; then
  .venv/bin/python -m ipykernel install --user --name bertscope --display-name "bertscope (.venv)" >/dev/null
  echo "jupyter kernel: bertscope (.venv)"
fi
./build/bin/bertscope run examples/noisy-and-shuffled.toml "$@"
out="out/noisy-and-shuffled"
if [ -f "$out/report.html" ]; then
  echo "report: $(pwd)/$out/report.html"
else
  echo "results: $(pwd)/$out/"
fi
