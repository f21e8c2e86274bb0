"""Model.run_with_cache: equal to HuggingFace's golden hidden states and to `bertscope dump`."""
import numpy as np
import pytest

import bertscope
import safetensors_np
from conftest import PROMPT, assert_close, run_cli


def test_block_outputs_and_logits_equal_the_golden_huggingface_ones(reference):
    model, golden = reference
    for p, prompt in enumerate(golden.prompts):
        key = f"p{p}"
        tokens, ids = model.encode(prompt["text"])
        assert ids == golden[key + ".input_ids"].tolist()
        logits, cache = model.run_with_cache(prompt["text"])
        assert list(cache) == ["embed.out"] + [f"blocks.{l}.out" for l in range(golden.layers)]
        for l in range(golden.layers + 1):
            name = "embed.out" if l == 0 else f"blocks.{l - 1}.out"
            assert cache[name].dtype == np.float32
            assert_close(cache[name], golden[f"{key}.hidden.{l}"], what=f"{key} {name}")
        expected = golden[key + ".logits"]
        mask = prompt["mask_index"]
        assert_close(logits if expected.shape[0] == len(ids) else logits[mask:mask + 1], expected, what=f"{key} logits")
        top5 = [model.token(i) for i in np.argsort(-logits[mask], kind="stable")[:5]]
        assert top5 == prompt["clean"]["top5"]


def test_the_cache_equals_bertscope_dump(demo, tmp_path):
    out = tmp_path / "states.safetensors"
    run_cli("dump", "--dtype", "f32", "--threads", str(demo.threads), "--out", str(out), PROMPT)
    dumped = safetensors_np.load_file(out)
    logits, cache = demo.run_with_cache(PROMPT)
    assert demo.encode(PROMPT)[1] == dumped["input_ids"].tolist()
    assert len(cache) == demo.config["layers"] + 1
    for l, (name, values) in enumerate(cache.items()):
        np.testing.assert_array_equal(values, dumped[f"hidden.{l}"], err_msg=name)
    np.testing.assert_array_equal(logits, dumped["logits"])


def test_arrays_are_the_engine_buffers_handed_over_not_copied_again(demo):
    logits, cache = demo.run_with_cache(PROMPT, sites="blocks.**")
    for array in [logits, *cache.values()]:
        assert array.flags.c_contiguous and array.flags.writeable
        # numpy owns nothing here: the buffer the hook filled is the array's memory, kept
        # alive by a capsule (the one copy is out of the forward pass, none after it).
        assert not array.flags.owndata and type(array.base).__name__ == "PyCapsule"
    buffers = {a.__array_interface__["data"][0] for a in cache.values()}
    assert len(buffers) == len(cache)


def test_sites_by_name_and_glob_pattern_in_forward_order(demo):
    layers, ffn, hidden = demo.config["layers"], demo.config["ffn"], demo.config["hidden"]
    seq = len(demo.encode(PROMPT)[0])
    _, cache = demo.run_with_cache(PROMPT, sites=["blocks.*.mlp.post", "embed.out", "blocks.1.attn.*"])
    expected = ["embed.out"] + [f"blocks.{l}.mlp.post" for l in range(layers)]
    for part in ("q", "k", "v", "scores", "pattern", "z", "context", "head_out", "out"):
        expected.insert(expected.index("blocks.1.mlp.post"), f"blocks.1.attn.{part}")
    assert list(cache) == expected
    assert cache["blocks.0.mlp.post"].shape == (seq, ffn)
    assert cache["blocks.1.attn.out"].shape == (seq, hidden)
    _, everything = demo.run_with_cache(PROMPT, sites="**")
    assert list(everything) == demo.hook_sites()
    # A site asked for twice is cached once; any site agrees with the same site of another run.
    _, again = demo.run_with_cache(PROMPT, sites=["blocks.1.mlp.post", "blocks.1.mlp.post"])
    assert list(again) == ["blocks.1.mlp.post"]
    np.testing.assert_array_equal(again["blocks.1.mlp.post"], everything["blocks.1.mlp.post"])


def test_per_head_sites_have_their_shapes_and_agree_with_each_other(demo):
    c = demo.config
    heads, d, hidden = c["heads"], c["head_dim"], c["hidden"]
    seq = len(demo.encode(PROMPT)[0])
    _, cache = demo.run_with_cache(PROMPT, sites=["blocks.2.attn.*"])
    assert cache["blocks.2.attn.q"].shape == (seq, heads, d)
    assert cache["blocks.2.attn.pattern"].shape == (heads, seq, seq)
    assert cache["blocks.2.attn.head_out"].shape == (seq, heads, hidden)
    np.testing.assert_allclose(cache["blocks.2.attn.pattern"].sum(axis=-1), 1.0, atol=1e-5)
    # z is the pattern times the values, head by head; z flattened is the context.
    z = np.einsum("hqk,khd->qhd", cache["blocks.2.attn.pattern"], cache["blocks.2.attn.v"])
    np.testing.assert_allclose(cache["blocks.2.attn.z"], z, atol=1e-5)
    np.testing.assert_array_equal(cache["blocks.2.attn.z"].reshape(seq, hidden), cache["blocks.2.attn.context"])
    # A padded batch: [batch, heads, seq, seq], the shorter text's padding keys get nothing.
    _, batch, lengths = demo.run_with_cache([PROMPT, "a [MASK] b"], sites="blocks.0.attn.pattern")
    pattern = batch["blocks.0.attn.pattern"]
    assert pattern.shape == (2, heads, seq, seq)
    assert pattern[1, :, :, lengths[1]:].max() < 1e-6


def test_a_hook_at_a_per_head_site_edits_the_run(demo):
    mask = demo.encode(PROMPT)[0].index("[MASK]")
    clean = demo.run_with_hooks(PROMPT, {})

    def zero_head(name, z):
        z[:, 3, :] = 0.0

    def zero_term(name, term):
        term[:, 3, :] = 0.0

    by_z = demo.run_with_hooks(PROMPT, {"blocks.1.attn.z": zero_head})
    by_term = demo.run_with_hooks(PROMPT, {"blocks.1.attn.head_out": zero_term})
    np.testing.assert_allclose(by_z[mask], by_term[mask], atol=1e-4)
    assert np.abs(by_z[mask] - clean[mask]).max() > 1e-3


def test_sweep_takes_heads(demo):
    zero = demo.sweep(PROMPT, "the", "zero", site="attn.z", heads=[3], positions="all")
    assert list(zero.runs["kind"]) == ["zero"] * demo.config["layers"]
    with pytest.raises(bertscope.Error, match="^heads selects heads at the per-head sites"):
        demo.sweep(PROMPT, "the", "zero", heads="3")


def test_unknown_sites_are_errors(demo):
    with pytest.raises(bertscope.Error, match="'blocks.0.foo' is not a hook site"):
        demo.run_with_cache(PROMPT, sites=["blocks.0.foo"])
    with pytest.raises(bertscope.Error, match=r"^hook site blocks\.7\.out does not exist: the model has 4 blocks "
                                              r"\(blocks\.0 to blocks\.3\)$"):
        demo.run_with_cache(PROMPT, sites=["blocks.7.out"])
    with pytest.raises(bertscope.Error, match="matches no site"):
        demo.run_with_cache(PROMPT, sites=["blocks.*.nothing"])


def test_a_list_of_texts_runs_as_one_padded_batch(demo):
    texts = [PROMPT, "a [MASK] b", "the man went to the [MASK] to buy some milk ."]
    logits, cache, lengths = demo.run_with_cache(texts)
    assert lengths.dtype == np.int64
    assert lengths.tolist() == [len(demo.encode(t)[1]) for t in texts]
    seq = max(lengths)
    assert logits.shape == (3, seq, demo.config["vocab"])
    for b, text in enumerate(texts):
        n = lengths[b]
        alone_logits, alone = demo.run_with_cache(text)
        assert_close(logits[b, :n], alone_logits, atol=1e-4, rtol=1e-4, what=f"logits of text {b}")
        for name, values in alone.items():
            assert cache[name].shape == (3, seq, demo.config["hidden"])
            assert_close(cache[name][b, :n], values, atol=1e-5, rtol=1e-5, what=f"{name} of text {b}")


def test_a_too_long_text_has_the_cli_message(demo):
    from conftest import cli_error
    text = "word " * 600
    with pytest.raises(bertscope.Error) as e:
        demo.run_with_cache(text)
    assert str(e.value) == cli_error("dump", "--out", "/tmp/bertscope-never-written.safetensors", text)


def test_patterns_match_part_by_part(demo):
    def names(pattern):
        return list(demo.run_with_cache(PROMPT, sites=pattern)[1])

    assert names("blocks.*.out") == [f"blocks.{l}.out" for l in range(4)]
    assert names("blocks.*.*.out") == [f"blocks.{l}.{k}.out" for l in range(4) for k in ("attn", "ln1", "mlp")]
    assert names("blocks.2.**") == [s for s in demo.hook_sites() if s.startswith("blocks.2.")]
    assert names("**.out") == [s for s in demo.hook_sites() if s.endswith(".out")]
    assert names("blocks.[13].attn.c*") == ["blocks.1.attn.context", "blocks.3.attn.context"]
    assert names("embed.?ut") == ["embed.out"]
