"""Shared fixtures of the Python tests: the models (the demo model and the golden reference
models of tests/data/reference), their golden HuggingFace outputs, and the CLI to compare with.

ctest sets BERTSCOPE_CLI (the built bertscope), BERTSCOPE_SOURCE_DIR and PYTHONPATH (the built
package); run by hand: PYTHONPATH=build/lib/python3.11/site-packages BERTSCOPE_CLI=build/bin/bertscope
/usr/bin/python3 -m pytest python/tests
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

# The weights cache (on by default) of every load in these tests, and of the CLI they run:
# the build folder's (ctest sets it) or a temporary one, never the user's own cache.
os.environ["XDG_CACHE_HOME"] = os.environ.get("BERTSCOPE_TEST_CACHE_HOME") or tempfile.mkdtemp(
    prefix="bertscope-test-cache-")

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

import bertscope  # noqa: E402

SOURCE_DIR = os.environ.get("BERTSCOPE_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
REFERENCE = os.path.join(SOURCE_DIR, "tests", "data", "reference")
DEMO_MODEL = os.path.join(SOURCE_DIR, "models", "bert-mini-uncased-demo")
REFERENCE_CASES = ["tiny-fp32", "tiny-legacy-f16", "small-bf16"]
PROMPT = "Pay no attention to that man [MASK] the curtain!"


def reference_model_dir(case):
    return os.path.join(REFERENCE, "models", case)


def cli_path():
    path = os.environ.get("BERTSCOPE_CLI")
    if not path:
        pytest.skip("BERTSCOPE_CLI is not set (ctest sets it to the built bertscope)")
    return path


def run_cli(*args, check=True):
    """Runs the bertscope CLI; returns the CompletedProcess (text)."""
    env = dict(os.environ)
    env.pop("BERTSCOPE_MODEL", None)
    proc = subprocess.run([cli_path(), *args], capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"bertscope {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def cli_error(*args):
    """The message of a CLI run that fails as a user error: stderr without 'bertscope: error: '."""
    proc = run_cli(*args, check=False)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    prefix = "bertscope: error: "
    errors = [line for line in proc.stderr.splitlines() if line.startswith(prefix)]  # after notes, if any
    assert len(errors) == 1, proc.stderr
    return errors[0][len(prefix):]


def python_words(message):
    """A CLI message as Python words it: the option's flag spelled as its keyword (the
    option table's name) where the message starts with it."""
    for row in bertscope.options() + [dict(flag="--intervention", name="intervention")]:
        if message.startswith(row["flag"] + " ") or message.startswith(row["flag"] + ":"):
            return row["name"] + message[len(row["flag"]):]
    return message


@pytest.fixture(autouse=True)
def _no_model_from_environment(monkeypatch):
    monkeypatch.delenv("BERTSCOPE_MODEL", raising=False)


@pytest.fixture(scope="session")
def demo():
    # f32 whatever the host: the default, auto, is bf16 on AMX CPUs, and the tests' tolerances are f32's.
    return bertscope.load(dtype="f32", threads=2)


_models = {}


def reference_model(case):
    if case not in _models:
        _models[case] = bertscope.load(reference_model_dir(case), dtype="f32")
    return _models[case]


class Golden:
    """golden/<case>.json (readable) and golden/<case>.safetensors (tensors)."""

    def __init__(self, case):
        with open(os.path.join(REFERENCE, "golden", case + ".json")) as f:
            self.readable = json.load(f)
        self.tensors = safetensors_np.load_file(os.path.join(REFERENCE, "golden", case + ".safetensors"))

    @property
    def prompts(self):
        return self.readable["prompts"]

    @property
    def layers(self):
        return self.readable["case"]["L"]

    def __getitem__(self, name):
        return self.tensors[name]


@pytest.fixture(scope="session", params=REFERENCE_CASES)
def reference(request):
    """(model, golden) of each reference case."""
    return reference_model(request.param), Golden(request.param)


def assert_close(actual, expected, atol=1e-4, rtol=1e-3, what=""):
    """The agreement tests/data/reference/README.md says a float32 engine must reach."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    worst = int(np.argmax(excess))
    assert excess.flat[worst] <= 0, (f"{what}: element {worst}: {actual.flat[worst]} vs {expected.flat[worst]} "
                                     f"(max |diff| {np.max(np.abs(actual - expected)):.3g})")
