"""Model.head, Model.lens and Model.patch_grid: the head against HuggingFace's logits, the lens and
the patch grid against the CLI's files and the IOI goldens."""
import os

import numpy as np
import pytest

import bertscope
from conftest import PROMPT, Golden, assert_close, reference_model, run_cli
from test_families import FAMILIES, golden


def test_head_on_the_last_state_gives_huggingfaces_logits():
    """BERT: the MLM head on HF's own last hidden state at the [MASK], and on ours, gives HF's
    [MASK] logits; a single row gives a [vocab] vector."""
    m, g = reference_model("tiny-fp32"), Golden("tiny-fp32")
    for p, prompt in enumerate(g.prompts):
        mask = prompt["mask_index"]
        hidden = g[f"p{p}.hidden.{g.layers}"].reshape(-1, m.config["hidden"])
        expected = g[f"p{p}.logits"].reshape(-1)
        assert_close(m.head(hidden[mask]), expected, what=f"prompt {p}, HF's state")
        _, cache = m.run_with_cache(prompt["text"], sites=f"blocks.{g.layers - 1}.out")
        ours = m.head(cache[f"blocks.{g.layers - 1}.out"][mask][None, :])
        assert ours.shape == (1, m.config["vocab_size"]) and ours.dtype == np.float32
        assert_close(ours[0], expected, what=f"prompt {p}, our state")


def test_head_of_a_causal_model_applies_its_final_norm():
    """GPT-2: blocks.{L}.out is before ln_f; the head applies ln_f and the unembedding, so every
    row of HF's last block output gives HF's logits at that position."""
    m = bertscope.load(os.path.join(FAMILIES, "models", "gpt2-tiny"), dtype="f32")
    readable, tensors = golden("gpt2-tiny")
    last = readable["num_layers"] - 1
    assert_close(m.head(tensors[f"p0.block_out.{last}"]), tensors["p0.logits"], what="gpt2 rows")


def test_head_refuses_what_is_not_a_hidden_state(demo):
    with pytest.raises(bertscope.Error, match=r"h has shape \(3\); the head reads \[256\] or \[rows, 256\]"):
        demo.head(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="h must be a numpy array"):
        demo.head("state")
    assert demo.head(np.zeros((0, 256), np.float32)).shape == (0, demo.config["vocab_size"])


def test_lens_is_the_clis_lens_csv(demo, tmp_path):
    table = demo.lens(PROMPT, "behind", top=4)
    run_cli("lens", "--dtype", "f32", "--threads", str(demo.threads), "--prompt", PROMPT, "--target", "behind",
            "--top", "4", "--out", str(tmp_path / "lens"))
    cli = bertscope.read_csv(tmp_path / "lens" / "lens.csv")
    assert table.equals(cli)
    layers = demo.config["layers"]
    assert len(table) == 4 * (layers + 1)
    # The last state's top-4 is the model's own prediction.
    last = table[table["block"] == layers - 1]
    assert list(last["token"]) == [t for t, _ in demo.predict(PROMPT, top=4)[0]]
    assert list(demo.lens(PROMPT).columns) == list(table.columns)  # no target: its columns empty
    with pytest.raises(bertscope.Error, match="top must be between 1 and 1000"):
        demo.lens(PROMPT, top=0)


def test_lens_with_a_foil_is_the_clis_and_the_heads_logit_difference(demo, tmp_path):
    table = demo.lens(PROMPT, "behind", foil="in", top=2)
    run_cli("lens", "--dtype", "f32", "--threads", str(demo.threads), "--prompt", PROMPT, "--target", "behind",
            "--foil", "in", "--top", "2", "--out", str(tmp_path / "lens"))
    assert table.equals(bertscope.read_csv(tmp_path / "lens" / "lens.csv"))
    # By hand: the head on each residual state at the [MASK], logit(behind) - logit(in).
    layers = demo.config["layers"]
    names = ["embed.out"] + [f"blocks.{b}.out" for b in range(layers)]
    _, cache = demo.run_with_cache(PROMPT, sites=names)
    mask = demo.encode(PROMPT)[0].index("[MASK]")
    behind, within = demo.token_id("behind"), demo.token_id("in")
    for name in names:
        logits = demo.head(cache[name][mask])
        row = table[table["site"] == name]
        assert row["logit_diff"].tolist() == pytest.approx([logits[behind] - logits[within]] * 2, abs=1e-4), name
    assert demo.lens(PROMPT, "behind")["logit_diff"].isna().all()
    with pytest.raises(bertscope.Error, match="without a target"):
        demo.lens(PROMPT, foil="in")


def test_patch_grid_on_the_ioi_pair_gives_huggingfaces_logit_differences(tmp_path):
    m = bertscope.load(os.path.join(FAMILIES, "models", "gpt2-tiny"), dtype="f32")
    readable, _ = golden("gpt2-tiny")
    ioi = readable["ioi"]
    grid = m.patch_grid(ioi["b"]["text"], ioi["a"]["text"], "Mary", foil="John", sites="out")
    assert grid.attrs["metric"] == "logit_diff"
    assert grid.attrs["clean_metric"] == pytest.approx(ioi["clean_logit_diff_b"], abs=1e-4)
    assert grid.attrs["corrupted_metric"] == pytest.approx(ioi["clean_logit_diff_a"], abs=1e-4)
    last = grid[grid["position"] == grid["position"].max()]
    for block, metric in zip(last["block"], last["metric"]):
        assert metric == pytest.approx(ioi["patches"][block]["a_from_b_logit_diff"], abs=1e-4)
    run_cli("patch-grid", "--model", os.path.join(FAMILIES, "models", "gpt2-tiny"), "--dtype", "f32",
            "--prompt", ioi["b"]["text"], "--other-prompt", ioi["a"]["text"], "--target", "Mary", "--foil", "John",
            "--sites", "out", "--out", str(tmp_path / "grid"))
    assert grid.equals(bertscope.read_csv(tmp_path / "grid" / "patch-grid.csv"))
    heads = m.patch_grid(ioi["b"]["text"], ioi["a"]["text"], "Mary", foil="John", heads=True)
    assert len(heads) == readable["num_layers"] * m.config["heads"] and heads["position"].isna().all()
    with pytest.raises(bertscope.Error, match="^foil \"Mary\" is the same word piece as the target"):
        m.patch_grid(ioi["b"]["text"], ioi["a"]["text"], "Mary", foil="Mary")
    with pytest.raises(TypeError, match="sites must be a str"):
        m.patch_grid(ioi["b"]["text"], ioi["a"]["text"], "Mary", sites=3)


def test_weights_are_the_checkpoints_tensors_by_huggingface_name():
    """Model.weights against an independent reader of the same file, in HF's layout; f16 and
    bf16 checkpoints widened to float32; and direct logit attribution from them: the decoder
    matrix times the head's input is the head's logits."""
    import safetensors_np
    from conftest import reference_model_dir

    for case in ("tiny-fp32", "tiny-legacy-f16", "small-bf16"):
        m = reference_model(case)
        stored = safetensors_np.load_file(os.path.join(reference_model_dir(case), "model.safetensors"))
        w = m.weights
        assert isinstance(w, bertscope.Weights) and sorted(w) == sorted(stored) and len(w) == len(stored)
        for name, array in stored.items():
            got = w[name]
            assert got.dtype == np.float32 and got.shape == array.shape and w.shape(name) == array.shape, name
            assert np.array_equal(got, array.astype(np.float32)), name
    with pytest.raises(KeyError, match="'nope' is not a tensor of"):
        w["nope"]
    assert "nope" not in w and 3 not in w
    m = reference_model("tiny-fp32")
    name = next(n for n in m.weights if n.endswith("decoder.weight") or n.endswith("word_embeddings.weight"))
    assert m.weights[name].shape[0] == m.config["vocab_size"]
