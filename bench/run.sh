#!/usr/bin/env bash
# The benchmark in one command: bertscope against PyTorch on a bert-large-shaped model with
# random weights. Builds a Release build in build-bench/ if needed, writes the model to
# bench/.cache/ once (~1.3 GB), runs every case, prints a markdown table and writes
# bench/results/latest.json. Options: bench/run.sh --help; what it measures: bench/README.md.
#   bench/run.sh            the full run (several minutes on 2 cores)
#   bench/run.sh --quick    a 4-layer model and fewer runs: a sanity check in about a minute
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's python: the PyTorch baselines need its python3-torch (the driver itself only
# needs the standard library, so any python3 runs bertscope's rows).
python=/usr/bin/python3
[ -x "$python" ] || python=python3
exec "$python" bench/run.py "$@"
