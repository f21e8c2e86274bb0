#!/usr/bin/env bash
# Installs what bertscope needs on Debian 12, from Debian's archive only, in groups, so
# that each command installs no more than it uses:
#   scripts/setup-debian.sh            build: compile and run bertscope
#   scripts/setup-debian.sh tests      build + the test suite (scripts/test.sh)
#   scripts/setup-debian.sh fuzz       build + the fuzz targets (fuzz/run.sh)
#   scripts/setup-debian.sh python     build + the Python module (-DBERTSCOPE_PYTHON=ON, scripts/demo.sh)
#   scripts/setup-debian.sh python-tests   its tests and the example notebook's (scripts/test.sh)
#   scripts/setup-debian.sh slurm      build + the Slurm test (ctest -L slurm: a private one-node
#                                      cluster, tests/slurm/, with daemons of its own)
# Installed size on a minimal Debian 12, measured with `apt-get install -s
# --no-install-recommends` in a fresh chroot (../shared/tools/fresh-debian-check):
#   compiler and CMake 340 MB, build's libraries +69 MB, tests +656 MB (chromium), fuzz +281 MB.
#   python +144 MB, python-tests about +500 MB more (matplotlib, the Jupyter kernel; measured
#   with apt-get install --assume-no in the same chroot) and +500 MB for PyTorch (its 152
#   packages, 128 MB to download, measured with apt-get install -s on a development machine). slurm +16 MB (19 packages: the
#   daemons, munge, jq and their libraries).
set -euo pipefail

build=(
  g++ make cmake pkg-config  # the compiler and build tools (not build-essential: no dpkg-dev/perl)
  libdnnl-dev                # oneDNN 2.6: the matmul kernels
  ocl-icd-opencl-dev         # OpenCL: Debian's dnnl-config.cmake requires it (libdnnl-dev only recommends it)
  nlohmann-json3-dev         # config.json, safetensors headers, result files
  libutf8proc-dev            # Unicode tables for the tokenizer
  libpcre2-dev               # Split pre-tokenizer regexes (\p{L}, \p{N}) of tokenizer.json
  libcli11-dev               # command-line parsing
  libtomlplusplus-dev        # experiment specs
  libgsl-dev                 # GNU Scientific Library: the t distribution's tails for unit t-tests (+11 MB: libgsl27, libgslcblas0)
  libagg-dev                 # figures: Anti-Grain Geometry rasterizes the PNGs
  libfreetype-dev            # figures: reads the font, for text in PNGs and measuring labels
  libpng-dev                 # figures: encodes the PNGs
  fonts-dejavu-core          # figures: the font they are drawn and measured with
)
tests=(
  libgtest-dev               # GoogleTest
  chromium                   # report.html is opened in headless Chromium
)
python=(
  pybind11-dev               # the Python module (python/)
  python3-dev                # Python's headers, for /usr/bin/python3
  python3-numpy              # its arrays
  python3-pandas             # its tables (Result.runs, .summary)
  python3-venv               # the virtual environment scripts/python-venv.sh makes
)
python_tests=(
  python3-pytest             # the module's tests (python/tests)
  python3-nbclient           # executes examples/notebooks/*.ipynb
  python3-ipykernel          # the notebook's kernel
  python3-matplotlib         # the notebook's figures
  python3-scipy              # test only: the reference t-tests of test_unit_statistics.py
  python3-torch              # test only: autograd, the reference of the gradients (test_gradients.py; +500 MB, 152 packages)
)
# The daemons' packages do not start them without /etc/slurm/slurm.conf (their init scripts
# exit 0, their systemd units need the file); munge's starts the system munged, which the
# test does not use: it runs its own, with its own key and socket.
slurm=(
  slurmctld slurmd           # the controller and node daemons
  slurm-client               # sbatch, squeue, scontrol, scancel
  munge                      # Slurm's authentication daemon
  jq                         # the test compares results.json without the fields naming the command
)
fuzz=(
  clang                      # libFuzzer targets (clang 14); the sanitizer build uses gcc's ASan
  libclang-rt-14-dev         # libFuzzer and clang's ASan/UBSan runtimes
  libomp-dev                 # OpenMP for clang (gcc has its own libgomp)
)

packages=("${build[@]}")
for group in "$@"; do
  case $group in
    tests) packages+=("${tests[@]}") ;;
    fuzz) packages+=("${fuzz[@]}") ;;
    python) packages+=("${python[@]}") ;;
    python-tests) packages+=("${python[@]}" "${python_tests[@]}") ;;
    slurm) packages+=("${slurm[@]}") ;;
    *) echo "setup-debian.sh: unknown group '$group' (tests, fuzz, python, python-tests, slurm)" >&2; exit 1 ;;
  esac
done

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-debian.sh: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
