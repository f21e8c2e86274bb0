#!/usr/bin/env bash
# Builds the fuzz targets (clang's libFuzzer with ASan + UBSan, in build-fuzz/) and runs each
# for a bounded time. Fails when any target finds a crash, a sanitizer report, an exception
# other than bertscope::Error, a timeout (10 s on one input) or an allocation out of
# proportion to the input (any single one over 64 MB; inputs are at most 16 KB).
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]   (default: every target)
# Environment:
#   FUZZ_JOBS   targets fuzzed at once (default 1; the shared build machine allows 2)
#   FUZZ_BUILD  build folder (default build-fuzz); its corpus/ keeps what earlier runs found
#   FUZZ_ARGS   extra libFuzzer flags, e.g. "-runs=10000000"
# A finding is saved as build-fuzz/artifacts/<target>/crash-*; reproduce it with
#   build-fuzz/fuzz/<target> build-fuzz/artifacts/<target>/crash-...
# then fix the source and commit the input to fuzz/corpus/<target>/ as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
build="${FUZZ_BUILD:-build-fuzz}"
jobs="${FUZZ_JOBS:-1}"

scripts/setup-debian.sh fuzz
cmake --preset fuzz -B "$build" >/dev/null  # CMakePresets.json: clang++, BERTSCOPE_FUZZ=ON
cmake --build "$build" --target bertscope_fuzzers -j"${BUILD_JOBS:-2}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzzer.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

# Seeds generated from the reference data (fuzz/make_seeds.cpp), beside the committed ones.
rm -rf "$build/seeds"
"$build/fuzz/make_seeds" . "$build/seeds"

# Per target: the dictionary of its format and the largest input worth mutating.
dict_of() {
  case "$1" in
    safetensors_fuzzer | weights_fuzzer | shard_index_fuzzer) echo safetensors ;;
    config_fuzzer) echo config ;;
    spec_fuzzer) echo spec ;;
    tokenizer_json_file_fuzzer) echo tokenizer_json ;;
    *) echo text ;;
  esac
}
max_len_of() {
  case "$1" in
    safetensors_fuzzer | weights_fuzzer | vocab_fuzzer) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

run_one() {
  local t="$1"
  local corpus="$build/corpus/$t" artifacts="$build/artifacts/$t" log="$build/logs/$t.log" status
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  local dirs=("$corpus")
  [ -d "fuzz/corpus/$t" ] && dirs+=("fuzz/corpus/$t")
  [ -d "$build/seeds/$t" ] && dirs+=("$build/seeds/$t")
  # shellcheck disable=SC2086
  "$build/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10 \
    -max_len="$(max_len_of "$t")" -dict="fuzz/dict/$(dict_of "$t").dict" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1 && status=0 || status=$?
  echo "$status" >"$build/logs/$t.status"
}

summary() {
  local t="$1" status="$2" log="$build/logs/$1.log"
  local runs rate
  # The last report: a run that stops on a finding prints its statistics twice.
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
  printf '%-20s %-6s %12s executions %8s/s  corpus %s\n' "$t" "$status" "${runs:-?}" "${rate:-?}" \
    "$(find "$build/corpus/$t" -type f | wc -l)"
}

for t in "${targets[@]}"; do
  [ -x "$build/fuzz/$t" ] || { echo "fuzz/run.sh: no target '$t'" >&2; exit 2; }
done
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  echo "fuzzing $t for ${seconds}s (log: $build/logs/$t.log)"
  rm -f "$build/logs/$t.status"
  run_one "$t" &
done
wait
echo
failed=0
for t in "${targets[@]}"; do
  if [ "$(cat "$build/logs/$t.status" 2>/dev/null)" = 0 ]; then
    summary "$t" ok
  else
    summary "$t" FAILED
    failed=1
    grep -m1 -E '^==[0-9]+==ERROR|SUMMARY|bertscope fuzz:|terminate called|runtime error' "$build/logs/$t.log" | sed 's/^/    /' || true
    ls "$build/artifacts/$t" | sed "s|^|    artifact: $build/artifacts/$t/|" || true
  fi
done
exit "$failed"
