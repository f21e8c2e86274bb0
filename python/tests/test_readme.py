"""The README's Python example runs as shown."""
import os
import re

from conftest import SOURCE_DIR


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    with open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 1, "the README has one Python example"
    code = blocks[0]
    assert 'out="out/py"' in code
    monkeypatch.chdir(SOURCE_DIR)  # its paths are relative to the source folder, as the README's commands
    code = code.replace('out="out/py"', f"out={str(tmp_path / 'py')!r}")  # but nothing is written there
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["m"].is_demo
    assert sorted(os.listdir(tmp_path / "py")) == sorted(os.path.basename(f) for f in namespace["r"].files)
    assert "target_logsoftmax_mean" in namespace["r"].summary
