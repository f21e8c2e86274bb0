#!/usr/bin/env bash
# Makes `import bertscope` work in a virtual environment of Debian's /usr/bin/python3, with
# nothing downloaded: creates VENV with --system-site-packages (so Debian's numpy, pandas,
# matplotlib and ipykernel are there) unless it exists, and writes bertscope.pth into its
# site-packages: the path of the package in BUILD_DIR (built with -DBERTSCOPE_PYTHON=ON), so
# a rebuild is what the environment imports. Also for your own existing environment.
# Usage: scripts/python-venv.sh [VENV (default .venv)] [BUILD_DIR (default build)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv}"
build="${2:-$root/build}"
package=""
for dir in "$build"/lib/python3.*/site-packages; do
  if [ -f "$dir/bertscope/__init__.py" ]; then package="$(cd "$dir" && pwd)"; fi
done
if [ -z "$package" ]; then
  echo "python-venv.sh: no bertscope package in $build: build it first (cmake -DBERTSCOPE_PYTHON=ON," \
       "then cmake --build $build --target bertscope_python)" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
echo "$package" > "$site/bertscope.pth"
"$venv/bin/python" -c "import bertscope; print('python-venv.sh: $venv/bin/python imports bertscope', bertscope.__version__, 'from', bertscope.__path__[0])"
