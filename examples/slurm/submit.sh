#!/usr/bin/env bash
# Runs a bertscope experiment as a Slurm job array of N shards, then merges them:
#   examples/slurm/submit.sh SPEC N OUT [SBATCH_OPTION...]
# SPEC: the experiment (.toml); N: the number of shards (array tasks); OUT: a folder on a
# file system every node sees. Shard K writes OUT/shard-K, the merge writes OUT/merged, logs
# go to OUT/logs. The bertscope binary is $BERTSCOPE (default: bertscope on PATH). Extra
# arguments are passed to both sbatch calls (e.g. --partition=gpu --time=1:00:00); the
# defaults are the #SBATCH lines of shard.sbatch and merge.sbatch.
# Prints the two job ids: the array's, then the merge's.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 SPEC N OUT [SBATCH_OPTION...]" >&2
  exit 2
fi
spec="$1" shards="$2" out="$3"
shift 3
here="$(cd "$(dirname "$0")" && pwd)"
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
  echo "submit.sh: N must be a positive whole number, got '$shards'" >&2
  exit 2
fi
[ -f "$spec" ] || { echo "submit.sh: no experiment spec at '$spec'" >&2; exit 2; }
bertscope="$(command -v "${BERTSCOPE:-bertscope}")" || {
  echo "submit.sh: no bertscope binary '${BERTSCOPE:-bertscope}' (set BERTSCOPE=/path/to/bertscope)" >&2
  exit 2
}
# Absolute paths: the jobs may start in another folder on another node.
spec="$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")"
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"

# --parsable prints "jobid" or "jobid;cluster".
array_job=$(sbatch --parsable --array="0-$((shards - 1))" --output="$out/logs/shard-%a.out" "$@" \
  "$here/shard.sbatch" "$spec" "$out" "$bertscope")
array_job="${array_job%%;*}"
merge_job=$(sbatch --parsable --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --output="$out/logs/merge.out" "$@" "$here/merge.sbatch" "$out" "$shards" "$bertscope")
merge_job="${merge_job%%;*}"
echo "$array_job"
echo "$merge_job"
