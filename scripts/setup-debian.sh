#!/usr/bin/env bash
# Installs everything bertscope needs to build and test on Debian 12, from Debian's archive only.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libdnnl-dev          # oneDNN 2.6: the matmul kernels
  nlohmann-json3-dev   # config.json, safetensors headers, result files
  libutf8proc-dev      # Unicode tables for the tokenizer
  libcli11-dev         # command-line parsing
  libtomlplusplus-dev  # experiment specs
  libagg-dev           # figures: Anti-Grain Geometry rasterizes the PNGs
  libfreetype-dev      # figures: reads the font, for text in PNGs and measuring labels
  libpng-dev           # figures: encodes the PNGs
  fonts-dejavu-core    # the font the figures are drawn and measured with
  libgtest-dev         # tests
  chromium             # tests: report.html is opened in headless Chromium
  clang                # fuzz/: libFuzzer targets (clang 14); the sanitizer build uses gcc's ASan
  libclang-rt-14-dev   # libFuzzer and clang's ASan/UBSan runtimes
  libomp-dev           # OpenMP for clang (gcc has its own libgomp)
)
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
