"""Issue 25, "Nothing lost, round two", from Python: one Model shared by many threads, the
size of run_with_cache checked before work, inputs that are outputs, and messages that name
the argument at fault."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import bertscope
from conftest import DEMO_MODEL, PROMPT


def _in_threads(n, fn):
    errors, results = [], [None] * n

    def run(i):
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_one_model_shared_by_many_threads_gives_the_serial_results(demo):
    # Each thread scales block 1's output by its own factor: a pass that saw another
    # thread's scratch or hook gets another thread's logits.
    factors = [0.5, 1.5, 2.0, 3.0]

    def hooked(factor):
        def hook(name, h):
            h *= factor
        return demo.run_with_hooks(PROMPT, {"blocks.1.out": hook})

    expected = [hooked(f) for f in factors]

    def many(i):
        return [hooked(factors[i]) for _ in range(12)]

    for i, passes in enumerate(_in_threads(len(factors), many)):
        for logits in passes:
            np.testing.assert_array_equal(logits, expected[i])


def test_concurrent_sweeps_of_one_model_equal_the_serial_sweep(demo):
    def sweep(_):
        return demo.sweep(PROMPT, "behind", "noise", trials=10, seed=1).runs

    serial = sweep(0)
    for runs in _in_threads(4, sweep):
        assert runs.equals(serial)


def test_run_with_cache_too_large_for_memory_is_refused_before_work():
    # 2,000 texts of 400 tokens: 2000 x 400 x 30522 x 4 bytes = 98 GB of logits alone.
    code = (
        "import resource, bertscope\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "m = bertscope.load()\n"
        "texts = ['word ' * 400 + '[MASK]'] * 2000\n"
        "try:\n"
        "    m.run_with_cache(texts)\n"
        "except bertscope.Error as e:\n"
        "    print('refused:', e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "refused:" in proc.stdout and "memory" in proc.stdout, proc.stdout + proc.stderr


def test_save_into_the_model_folder_is_refused(tmp_path):
    model_dir = tmp_path / "model"
    import shutil
    shutil.copytree(DEMO_MODEL, model_dir)
    model = bertscope.load(str(model_dir))
    r = model.sweep(PROMPT, "behind", "zero", layers=[0])
    with pytest.raises(bertscope.Error, match="reads"):
        r.save(model_dir)
    assert sorted(os.listdir(model_dir)) == sorted(os.listdir(DEMO_MODEL))


def test_empty_and_repeated_layers_are_errors(demo):
    for layers in ([], "", [0, 0], "1,1"):
        with pytest.raises(bertscope.Error, match="layers"):
            demo.sweep(PROMPT, "behind", "zero", layers=layers)


def test_messages_name_the_argument_at_fault(demo):
    with pytest.raises(bertscope.Error) as e:
        demo.sweep(PROMPT, "behind", "zero", heads=[], site="attn.z")
    assert "heads" in str(e.value) and "positions" not in str(e.value)
    # One head as an int, as layers take one: accepted (it was a TypeError about positions).
    assert len(demo.sweep(PROMPT, "behind", "zero", heads=3, site="attn.z", layers=[0]).runs) == 1
    with pytest.raises(TypeError) as e:
        demo.sweep(PROMPT, "behind", "zero", heads=3.5, site="attn.z")
    assert "heads" in str(e.value) and "positions" not in str(e.value)
    with pytest.raises(bertscope.Error) as e:
        demo.sweep(PROMPT, "behind", "zero", layers=[2 ** 63])
    assert "layers" in str(e.value) and "Unable to cast" not in str(e.value)
