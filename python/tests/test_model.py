"""bertscope.load and Model: config, tokenizer, predictions, and errors with the CLI's messages."""
import json
import os

import pytest

import bertscope
from conftest import DEMO_MODEL, PROMPT, cli_error, reference_model_dir, run_cli

TEXTS = [PROMPT, "Crème brûlée [MASK].", "Hello, world! 東京 is big.", "unbelievably [MASK][MASK]", ""]


def test_load_without_path_opens_the_shipped_demo_model(demo):
    assert demo.is_demo
    assert os.path.samefile(demo.path, DEMO_MODEL)
    assert "demo model" in repr(demo)


def test_load_without_path_follows_BERTSCOPE_MODEL_as_the_cli_does(monkeypatch):
    monkeypatch.setenv("BERTSCOPE_MODEL", reference_model_dir("tiny-fp32"))
    m = bertscope.load()
    assert not m.is_demo
    assert m.config["layers"] == 2 and m.config["hidden"] == 32


def test_a_path_may_start_with_a_tilde(monkeypatch, tmp_path):
    (tmp_path / "models").symlink_to(os.path.dirname(reference_model_dir("tiny-fp32")))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert bertscope.load("~/models/tiny-fp32").config["layers"] == 2


def test_config_has_short_and_config_json_names(demo):
    with open(os.path.join(DEMO_MODEL, "config.json")) as f:
        raw = json.load(f)
    c = demo.config
    for short, long in [("layers", "num_hidden_layers"), ("hidden", "hidden_size"), ("heads", "num_attention_heads"),
                        ("ffn", "intermediate_size"), ("vocab", "vocab_size"),
                        ("max_positions", "max_position_embeddings")]:
        assert c[short] == c[long] == raw[long]
    assert c["head_dim"] * c["heads"] == c["hidden"]
    assert demo.hook_sites()[0] == "embed.out"
    assert len(demo.hook_sites()) == 1 + 14 * c["layers"]
    assert demo.hook_sites()[-1] == f"blocks.{c['layers'] - 1}.out"


@pytest.mark.parametrize("text", TEXTS)
def test_tokenize_equals_the_cli(demo, text):
    expected = json.loads(run_cli("tokenize", "--json", text).stdout)
    tokens, ids = demo.tokenize(text)
    assert tokens == expected["tokens"] and ids == expected["ids"]
    with_special, special_ids = demo.encode(text)
    assert with_special == ["[CLS]", *tokens, "[SEP]"]
    assert special_ids[1:-1] == ids


def test_tokens_and_ids_round_trip(demo):
    tokens, ids = demo.tokenize(PROMPT)
    assert [demo.token(i) for i in ids] == tokens
    assert [demo.token_id(t) for t in tokens] == ids
    with pytest.raises(bertscope.Error, match="not an entry of the vocabulary"):
        demo.token_id("not-a-word-piece")
    with pytest.raises(bertscope.Error, match="outside the vocabulary"):
        demo.token(demo.config["vocab"])


@pytest.mark.parametrize("text", [PROMPT, "the [MASK] sat on the [MASK] ."])
def test_predict_equals_the_cli(demo, text):
    expected = json.loads(run_cli("predict", "--json", "--dtype", "f32", "--threads", "2", "--top", "7", text).stdout)
    got = demo.predict(text, top=7)
    assert len(got) == len(expected["masks"])
    for row, mask in zip(got, expected["masks"]):
        assert [t for t, _ in row] == [t["token"] for t in mask["top"]]
        for (_, p), t in zip(row, mask["top"]):
            assert p == pytest.approx(t["prob"], rel=1e-6)


def test_error_is_a_value_error_with_the_cli_message(demo):
    assert issubclass(bertscope.Error, ValueError)
    text = "no mask here"
    with pytest.raises(bertscope.Error) as e:
        demo.predict(text)
    assert str(e.value) == cli_error("predict", text)


def test_a_missing_model_folder_has_the_cli_message(tmp_path):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(bertscope.Error) as e:
        bertscope.load(missing)
    assert str(e.value) == cli_error("predict", "--model", missing, "a [MASK]")


def test_a_damaged_checkpoint_has_the_cli_message(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    source = reference_model_dir("tiny-fp32")
    for name in ("config.json", "vocab.txt"):
        (folder / name).write_bytes(open(os.path.join(source, name), "rb").read())
    data = open(os.path.join(source, "model.safetensors"), "rb").read()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])  # a cut download
    with pytest.raises(bertscope.Error) as e:
        bertscope.load(folder)  # os.PathLike works too
    assert str(e.value) == cli_error("predict", "--model", str(folder), "a [MASK]")
    assert "exceed the data section" in str(e.value)


def test_control_characters_are_escaped_as_the_cli_does(demo):
    text = "line one\nline two\x1b[2J"
    with pytest.raises(bertscope.Error) as e:
        demo.sweep(text, "behind", "zero")
    message = str(e.value)
    assert "\n" not in message and "\x1b" not in message
    assert message == cli_error("sweep", "--prompt", text, "--target", "behind", "--intervention", "zero",
                                "--out", "/tmp/bertscope-never-written")


def test_bad_arguments_raise_errors_naming_them(demo):
    with pytest.raises(bertscope.Error, match="dtype 'f16' is not one of auto, f32, bf16"):
        bertscope.load(dtype="f16")
    with pytest.raises(bertscope.Error, match="threads must be between 1 and 1024"):
        bertscope.load(threads=0)
    with pytest.raises(TypeError):
        demo.run_with_cache(42)
    with pytest.raises(bertscope.Error, match="no text given"):
        demo.run_with_cache([])
    with pytest.raises(TypeError, match="sites must be"):
        demo.run_with_cache("a [MASK]", sites=[1])
    with pytest.raises(TypeError, match="intervention must be"):
        demo.sweep("a [MASK]", "the", [None])


def test_bf16_loads_and_predicts_near_f32(demo):
    try:
        bf16 = bertscope.load(dtype="bf16", threads=2)
    except bertscope.Error as e:  # a CPU without AVX-512 runs no bf16 matmuls, and says so
        assert "bf16 matmuls need a CPU with AVX-512" in str(e) and "use dtype f32" in str(e)
        pytest.skip("this CPU runs no bf16 matmuls")
    assert bf16.dtype == "bf16"
    f32_logits, _ = demo.run_with_cache(PROMPT, sites=[])
    bf16_logits, _ = bf16.run_with_cache(PROMPT, sites=[])
    assert abs(bf16_logits - f32_logits).max() < 0.1


def test_help_shows_signatures_and_docs():
    doc = bertscope.Model.sweep.__doc__
    assert "sweep(self: bertscope._bertscope.Model, prompt: object, target: object = None" in doc
    assert "Ctrl-C" in doc
    assert "glob" in bertscope.Model.run_with_cache.__doc__
    assert bertscope.load.__doc__.startswith("load(path: object = None")


def test_auto_dtype_resolves_to_f32_or_bf16():
    auto = bertscope.load(threads=2)  # dtype="auto", the default
    assert auto.dtype in ("f32", "bf16")
    assert bertscope.load(dtype="f32", threads=2).dtype == "f32"
