#!/usr/bin/env bash
# bertscope as a library for another project (run by ctest as consumer.*):
#   installed   cmake --install BUILD into a fresh prefix; tests/consumer finds it with
#               find_package(bertscope) and builds the README's example; the installed CLI
#               (and the installed Python module, when built) finds the installed demo model
#               by itself and agrees with the example;
#   subproject  tests/consumer adds bertscope's source tree with add_subdirectory() and
#               builds the example from it (a full build of the engine, unoptimised: minutes).
# Usage: check-consumer.sh installed|subproject BUILD_DIR SOURCE_DIR
set -euo pipefail
mode=$1 build=$(realpath "$2") source=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/bertscope-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

case $mode in
  installed)
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    for f in bin/bertscope include/bertscope/bertscope.h include/bertscope/model/encoder.h include/bertscope/model/families/common.h \
             share/bertscope/models/bert-mini-uncased-demo/model.safetensors; do
      [ -e "$work/prefix/$f" ] || fail "the install lacks $f"
    done
    ls "$work"/prefix/lib*/cmake/bertscope/bertscopeConfig.cmake >/dev/null || fail "no bertscopeConfig.cmake installed"
    # The library must not carry the build machine's CPU: no -march=native in its package.
    ! grep -rq -- '-march=native' "$work"/prefix/lib*/cmake/bertscope || fail "-march=native in the installed package"
    cmake -S "$source/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
    cmake --build "$work/build" -j"$(nproc)" >/dev/null
    model="$work/prefix/share/bertscope/models/bert-mini-uncased-demo"
    # The installed CLI without --model finds the installed demo model beside itself.
    top1=$("$work/prefix/bin/bertscope" predict --top 1 --json "Pay no attention to that man [MASK] the curtain!" |
           grep -o '"token": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
    # A build with -DBERTSCOPE_PYTHON=ON installs the Python package too: without a path it
    # loads the installed demo model, found relative to itself, and predicts what the CLI does.
    for package in "$work"/prefix/lib/python3*/site-packages; do
      [ -d "$package/bertscope" ] || continue
      py_top1=$(PYTHONPATH="$package" /usr/bin/python3 -c 'import bertscope
print(bertscope.load().predict("Pay no attention to that man [MASK] the curtain!", top=1)[0][0][0])')
      [ "$py_top1" = "$top1" ] || fail "the installed Python module predicts '$py_top1', bertscope predict '$top1'"
      echo "installed Python module: $package/bertscope predicts '$py_top1'"
    done
    ;;
  subproject)
    # What this checks is the CMake wiring, not speed: unoptimised and without debug
    # information (this test took 231 s, against 353 s at Release, beside ctest's others).
    cmake -S "$source/tests/consumer" -B "$work/build" -DBERTSCOPE_SOURCE_DIR="$source" \
      -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 >/dev/null
    cmake --build "$work/build" -j"$(nproc)" --target example >/dev/null
    model="$source/models/bert-mini-uncased-demo"
    top1=$("$build/bin/bertscope" predict --model "$model" --top 1 --json "Pay no attention to that man [MASK] the curtain!" |
           grep -o '"token": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
    ;;
  *) fail "unknown mode $mode" ;;
esac

out=$("$work/build/example" "$model")
echo "$out"
clean=$(sed -n 's/^clean: \([^ ]*\) .*/\1/p' <<<"$out")
edited=$(sed -n 's/^blocks.1.out reversed: //p' <<<"$out")
[ -n "$top1" ] || fail "bertscope predict printed no top-1 token"
[ "$clean" = "$top1" ] || fail "the example's clean top-1 '$clean' is not bertscope predict's '$top1'"
[ -n "$edited" ] || fail "no edited prediction"
[ "$edited" != "$(sed -n 's/^clean: //p' <<<"$out")" ] || fail "the hook changed nothing"
echo "consumer ($mode): passed"
