"""The README's Python examples run as shown, one after the other."""
import os
import re

from conftest import SOURCE_DIR


def test_the_readme_python_examples_run(tmp_path, monkeypatch):
    with open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 2, "the README has the Python example and the neurons one"
    code = "\n".join(blocks)
    assert 'out="out/py"' in code and '"out/neurons' in code
    monkeypatch.chdir(SOURCE_DIR)  # its paths are relative to the source folder, as the README's commands
    # But nothing is written there.
    code = code.replace('out="out/py"', f"out={str(tmp_path / 'py')!r}").replace('"out/neurons', f'"{tmp_path}/neurons')
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["m"].is_demo
    assert sorted(os.listdir(tmp_path / "py")) == sorted(os.path.basename(f) for f in namespace["r"].files)
    assert "target_logsoftmax_mean" in namespace["r"].summary
    assert len(namespace["s"].blocks) == len(namespace["ablated"].runs) == namespace["m"].config["layers"]
    assert namespace["t"]["t"].shape == (namespace["m"].config["ffn"],)


def test_the_notebooks_name_the_kernel_that_the_demo_registers():
    """Opened in Jupyter, a notebook starts the kernel its metadata names: the one demo.sh
    registers for .venv (where bertscope imports), not whatever `python3` is."""
    import json

    with open(os.path.join(SOURCE_DIR, "scripts", "demo.sh"), encoding="utf-8") as f:
        registered = re.findall(r"ipykernel install --user --name (\S+)", f.read())
    assert registered == ["bertscope"]
    folder = os.path.join(SOURCE_DIR, "examples", "notebooks")
    notebooks = sorted(n for n in os.listdir(folder) if n.endswith(".ipynb"))
    assert notebooks
    for name in notebooks:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            assert json.load(f)["metadata"]["kernelspec"]["name"] == registered[0], name
