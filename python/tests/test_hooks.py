"""Model.run_with_hooks: Python hooks that edit activations reproduce HuggingFace's golden
intervention logits; their exceptions propagate; what they return is checked."""
import numpy as np
import pytest

import bertscope
from conftest import PROMPT, assert_close


def edits(golden, key, layer):
    """The golden edits of tests/data/reference/README.md at the [MASK] row of block L's output,
    as in-place numpy edits of h [seq, width]."""
    perm = golden[f"{key}.shuffle.L{layer}.perm"]
    z = golden[f"{key}.noise.L{layer}.z"]

    def shuffle(h, m):
        h[m] = h[m][perm]

    def noise(h, m):
        h[m] = h[m] + z * h[m].std(ddof=1) * 2  # torch's h.std() is the unbiased one

    def scale(h, m):
        h[m] = 0.5 * h[m]

    def zero(h, m):
        h[m] = 0

    return {"shuffle": shuffle, "noise": noise, "scale0.5": scale, "zero": zero}


def test_edits_in_hooks_reproduce_the_golden_intervention_logits(reference):
    model, golden = reference
    for p, prompt in enumerate(golden.prompts):
        key, mask, text = f"p{p}", prompt["mask_index"], prompt["text"]
        for layer in range(golden.layers):
            for kind, edit in edits(golden, key, layer).items():
                def hook(name, h, edit=edit):
                    assert name == f"blocks.{layer}.out"
                    edit(h, mask)
                logits = model.run_with_hooks(text, {f"blocks.{layer}.out": hook})
                assert_close(logits[mask], golden[f"{key}.{kind}.L{layer}.mask_logits"],
                             what=f"{key} {kind} at block {layer}")


def test_skipping_a_block_with_two_hooks_reproduces_the_golden_logits(reference):
    # Block L skipped = its output replaced by its input (the output of block L - 1, or the
    # embeddings), at every position: one hook keeps the input, the next returns it.
    model, golden = reference
    for p, prompt in enumerate(golden.prompts):
        key, mask = f"p{p}", prompt["mask_index"]
        for layer in range(golden.layers):
            kept = {}
            before = "embed.out" if layer == 0 else f"blocks.{layer - 1}.out"
            logits = model.run_with_hooks(prompt["text"], [
                (before, lambda name, h: kept.update(h=h)),
                (f"blocks.{layer}.out", lambda name, h: kept["h"]),
            ])
            assert_close(logits[mask], golden[f"{key}.skip.L{layer}.mask_logits"], what=f"{key} skip {layer}")


def test_returning_an_array_equals_editing_in_place(demo):
    mask = demo.encode(PROMPT)[0].index("[MASK]")

    def in_place(name, h):
        h[mask] *= -1

    def returned(name, h):
        out = h.astype(np.float64)  # any float array of h's shape is taken
        out[mask] *= -1
        return out

    a = demo.run_with_hooks(PROMPT, {"blocks.1.mlp.out": in_place})
    b = demo.run_with_hooks(PROMPT, {"blocks.1.mlp.out": returned})
    clean = demo.run_with_hooks(PROMPT, {})
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[mask], clean[mask])


def test_hooks_see_the_site_name_and_shape_and_run_in_forward_order(demo):
    seen = []
    texts = [PROMPT, "a [MASK] b"]
    logits, lengths = demo.run_with_hooks(texts, {"blocks.*.mlp.post": lambda n, h: seen.append((n, h.shape)),
                                                  "embed.out": lambda n, h: seen.append((n, h.shape))})
    seq, ffn, hidden = max(lengths), demo.config["ffn"], demo.config["hidden"]
    assert seen == [("embed.out", (2, seq, hidden))] + [(f"blocks.{l}.mlp.post", (2, seq, ffn))
                                                       for l in range(demo.config["layers"])]
    assert logits.shape == (2, seq, demo.config["vocab"])


def test_a_kept_h_stays_valid_and_holds_that_site(demo):
    kept = []
    demo.run_with_hooks(PROMPT, {"blocks.*.out": lambda n, h: kept.append(h)})
    _, cache = demo.run_with_cache(PROMPT)
    for l, h in enumerate(kept):
        np.testing.assert_array_equal(h, cache[f"blocks.{l}.out"])


def test_the_cache_holds_the_edits_of_hooks_given_with_it(demo):
    mask = demo.encode(PROMPT)[0].index("[MASK]")
    _, cache = demo.run_with_cache(PROMPT, hooks={"blocks.0.out": lambda n, h: h.__setitem__(mask, 0)})
    assert not cache["blocks.0.out"][mask].any()
    assert cache["blocks.0.out"][mask - 1].any()


class HookFailed(Exception):
    pass


def test_an_exception_in_a_hook_propagates_as_itself(demo):
    calls = []

    def hook(name, h):
        calls.append(name)
        if name == "blocks.2.out":
            raise HookFailed("stop at " + name)

    with pytest.raises(HookFailed, match="stop at blocks.2.out"):
        demo.run_with_hooks(PROMPT, {"blocks.*.out": hook})
    assert calls == ["blocks.0.out", "blocks.1.out", "blocks.2.out"]  # the pass stopped there
    # The model is fine afterwards.
    assert demo.predict(PROMPT)[0]


def test_what_a_hook_returns_is_checked(demo):
    seq = len(demo.encode(PROMPT)[0])
    with pytest.raises(bertscope.Error, match=rf"the hook at blocks.1.out returned an array of shape \(3,\); "
                                              rf"h's shape is \({seq}, 256\)"):
        demo.run_with_hooks(PROMPT, {"blocks.1.out": lambda n, h: np.zeros(3)})
    with pytest.raises(bertscope.Error, match="returned a str"):
        demo.run_with_hooks(PROMPT, {"blocks.1.out": lambda n, h: "oops"})
    with pytest.raises(TypeError, match="not callable"):
        demo.run_with_hooks(PROMPT, {"blocks.1.out": 3})
    with pytest.raises(TypeError, match="dict"):
        demo.run_with_hooks(PROMPT, 3)


def test_a_hook_beyond_the_last_block_is_an_error_not_a_silent_no_op(demo):
    with pytest.raises(bertscope.Error, match=r"hook site blocks\.5\.out does not exist: the model has 4 blocks"):
        demo.run_with_hooks(PROMPT, {"blocks.5.out": lambda n, h: None})
