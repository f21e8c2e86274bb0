#!/usr/bin/python3
"""Executes a notebook cell by cell in a Jupyter kernel of this interpreter (nbclient) and
fails when any cell fails. Usage: run_notebook.py NOTEBOOK OUT_DIR

OUT_DIR receives the executed notebook and every PNG figure it displayed
(<notebook>-<cell>-<n>.png). ctest runs it with PYTHONPATH set to the built package; the
kernel inherits that environment.
"""
import base64
import json
import os
import sys
import tempfile
import time


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    notebook_path, out_dir = sys.argv[1], sys.argv[2]
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as e:
        sys.exit(f"notebook: {e}: install python3-nbclient and python3-ipykernel "
                 f"(scripts/setup-debian.sh python-tests)")
    os.makedirs(out_dir, exist_ok=True)
    nb = nbformat.read(notebook_path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="bertscope-kernel-") as jupyter_dir:
        # A kernel spec of this very interpreter, found first: not whatever `python3` a
        # machine's default spec or PATH names.
        spec_dir = os.path.join(jupyter_dir, "kernels", "bertscope-test")
        os.makedirs(spec_dir)
        with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": "bertscope test", "language": "python"}, f)
        os.environ["JUPYTER_PATH"] = jupyter_dir + os.pathsep + os.environ.get("JUPYTER_PATH", "")
        # The kernel runs in the notebook's folder: a relative PYTHONPATH would point elsewhere.
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in paths)
        client = NotebookClient(nb, kernel_name="bertscope-test", timeout=600,
                                resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook_path))}})
        start = time.perf_counter()
        failed = None
        try:
            client.execute()
        except CellExecutionError as e:
            failed = e
        elapsed = time.perf_counter() - start
    stem = os.path.splitext(os.path.basename(notebook_path))[0]
    nbformat.write(nb, os.path.join(out_dir, stem + ".executed.ipynb"))
    figures = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code_cells):
        n = 0
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                n += 1
                path = os.path.join(out_dir, f"{stem}-cell{i + 1:02d}-{n}.png")
                with open(path, "wb") as f:
                    f.write(base64.b64decode(png))
                figures.append(path)
    if failed is not None:
        print(f"notebook: a cell failed:\n{failed}", file=sys.stderr)
        sys.exit(1)
    ran = sum(1 for c in code_cells if c.get("execution_count"))
    if ran == 0:
        sys.exit("notebook: no code cell ran")
    print(f"notebook: {ran} cells ran, none failed, in {elapsed:.1f} s; {len(figures)} figures in {out_dir}")
    for path in figures:
        print(f"  {path}")


if __name__ == "__main__":
    main()
