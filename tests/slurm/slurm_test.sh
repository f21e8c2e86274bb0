#!/usr/bin/env bash
# The Slurm example, end to end, on a private one-node cluster (one-node-cluster.sh): submits
# examples/slurm/submit.sh for a demo-model experiment in 3 shards (a job array, then the
# merge after it), and checks that the merged folder is what the unsharded run writes:
# every file byte for byte, except that results.json and report.html may name another
# command line (and results.json a shard).
#   tests/slurm/slurm_test.sh BERTSCOPE_BINARY
# Exits 77 (ctest's SKIP_RETURN_CODE) with the reason when Slurm or munge are not installed
# or it does not run as root; set BERTSCOPE_SLURM_REQUIRED=1 to make that a failure (CI).
# The daemons are stopped whatever happens: on exit, on a signal, and, should this script be
# killed outright, by a watcher that outlives it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
bertscope="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shards=3
budget_s=240  # well under ctest's TIMEOUT, so the clean-up below always gets to run

# shellcheck source=tests/slurm/one-node-cluster.sh
source "$here/one-node-cluster.sh"
why_not="$(cluster_missing)"
for tool in jq cmp diff; do
  command -v "$tool" >/dev/null || why_not="${why_not:+$why_not; }not installed: $tool"
done
if [ -n "$why_not" ]; then
  if [ "${BERTSCOPE_SLURM_REQUIRED:-0}" = 1 ]; then
    echo "slurm test: cannot run, and BERTSCOPE_SLURM_REQUIRED=1: $why_not" >&2
    exit 1
  fi
  echo "slurm test skipped: $why_not"
  exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/bertscope-slurm.XXXXXX")"
cleanup() {
  cluster_stop "$work/cluster"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# The watcher: once this shell is gone (even by SIGKILL), stop whatever the cluster left.
# shellcheck disable=SC2016 # expanded by the watcher's shell, from its arguments
setsid bash -c 'source "$1"; while kill -0 "$2" 2>/dev/null; do sleep 1; done; cluster_stop "$3/cluster"; rm -rf "$3"' \
  watcher "$here/one-node-cluster.sh" $$ "$work" </dev/null >/dev/null 2>&1 &

fail() {
  echo "slurm test: $*" >&2
  exit 1
}

started=$SECONDS
mkdir "$work/cluster"
cluster_start "$work/cluster" || fail "the one-node cluster did not start"
echo "slurm test: cluster up in $((SECONDS - started)) s ($(sinfo -h -o '%n %T %c CPUs'))"

# A small experiment on the demo model: 2 prompts x 2 interventions x 4 layers x 5 trials.
cat >"$work/spec.toml" <<EOF
name = "slurm-test"
model = "$source_dir/models/bert-mini-uncased-demo"
layers = "all"
trials = 5
seed = 7
top = 3

[[prompts]]
text = "Pay no attention to that man [MASK] the curtain!"
target = "behind"

[[prompts]]
text = "The capital of France is [MASK]."
target = "paris"

[[interventions]]
kind = "shuffle"

[[interventions]]
kind = "noise"
factor = 2.0
std_of = "vector"
EOF

# The jobs carry the cluster's marker, so that its clean-up finds their processes too.
ids=$(env BERTSCOPE_SLURM_CLUSTER="$work/cluster" BERTSCOPE="$bertscope" \
  "$source_dir/examples/slurm/submit.sh" "$work/spec.toml" "$shards" "$work/out" --cpus-per-task=1 --mem=512M) ||
  fail "submit.sh failed"
array_job=$(sed -n 1p <<<"$ids")
merge_job=$(sed -n 2p <<<"$ids")
echo "slurm test: submitted array job $array_job ($shards tasks) and merge job $merge_job"

# The unsharded run, on this machine, while the cluster works. In the background, so that a
# signal is handled at once (bash runs traps only between foreground commands), and marked,
# so that the clean-up stops it too.
env BERTSCOPE_SLURM_CLUSTER="$work/cluster" timeout 120 \
  "$bertscope" run "$work/spec.toml" --out "$work/whole" >"$work/whole.log" 2>&1 &
unsharded=$!

deadline=$((started + budget_s))
while [ -n "$(squeue -h -j "$array_job,$merge_job" 2>/dev/null)" ]; do
  [ $SECONDS -lt $deadline ] || { squeue >&2; fail "the jobs did not finish within $budget_s s"; }
  sleep 0.5
done
for job in "$array_job" "$merge_job"; do
  states=$(scontrol show job "$job" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | tr '\n' ' ')
  if [ "$states" != "COMPLETED " ]; then
    tail -n 20 "$work/out/logs/"*.out >&2 || true
    fail "job $job ended $states(expected COMPLETED)"
  fi
done
echo "slurm test: jobs done $((SECONDS - started)) s after start"
wait "$unsharded" || { cat "$work/whole.log" >&2; fail "the unsharded run failed"; }

# The merged folder is the unsharded run's folder.
whole="$work/whole" merged="$work/out/merged"
diff <(cd "$whole" && find . -type f | sort) <(cd "$merged" && find . -type f | sort) ||
  fail "the merged folder's files differ from the unsharded run's (above: < unsharded, > merged)"
# The command line, in results.json and in the report's header, may differ; nothing else.
without_command() {
  case "$1" in
    *.json) jq -S 'del(.command)' "$1" ;;
    *.html) sed 's|^\(<p class="meta">.*\)<code>[^<]*</code></p>$|\1<code>COMMAND</code></p>|' "$1" ;;
  esac
}
# Where this CPU's matmul is not row-invariant (results.json's model.batches_bit_exact, see
# src/kernels/linear.h: oneDNN 2.6 on AVX2), shards batch the trials otherwise than the whole
# run and the last bits differ: the tables are compared cell by cell, numbers within 1e-5
# relative, and the files drawn from them are not compared.
if [ "$(jq -r .model.batches_bit_exact "$whole/results.json")" = false ]; then
  echo "slurm test: this CPU's batches are not bit-exact; comparing the CSV files to float precision"
  while IFS= read -r file; do
    /usr/bin/python3 - "$whole/$file" "$merged/$file" <<'PY' || fail "$file differs between the merged and the unsharded run"
import csv, sys
a, b = (list(csv.reader(open(p, newline=""))) for p in sys.argv[1:3])
assert len(a) == len(b), f"{len(a)} rows against {len(b)}"
for ra, rb in zip(a, b):
    assert len(ra) == len(rb), (ra, rb)
    for x, y in zip(ra, rb):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            raise AssertionError(f"{x!r} against {y!r}")
        assert abs(fx - fy) <= 1e-5 * (1 + abs(fx)), f"{x} against {y}"
PY
  done < <(cd "$whole" && find . -type f -name '*.csv' | sort)
  echo "slurm test: passed, $(cd "$merged" && find . -type f | wc -l) files, tables equal to float precision, in $((SECONDS - started)) s"
  exit 0
fi
while IFS= read -r file; do
  case "$file" in
    ./results.json | ./report.html)
      diff <(without_command "$whole/$file") <(without_command "$merged/$file") ||
        fail "$file differs between the merged and the unsharded run beyond the command line" ;;
    *) cmp "$whole/$file" "$merged/$file" || fail "$file differs between the merged and the unsharded run" ;;
  esac
done < <(cd "$whole" && find . -type f | sort)
echo "slurm test: passed, $(cd "$merged" && find . -type f | wc -l) files equal, in $((SECONDS - started)) s"
