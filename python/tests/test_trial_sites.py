"""Per-trial site activations: Model.sweep(return_sites=[...]) keeps each trial's activations at
chosen sites as they are after its edit. Checked against the same edit made by hand with
run_with_hooks (which reads the sites through another path), against the runs' own columns,
and across batch sizes."""
import numpy as np
import pytest

import bertscope

PROMPT = "Pay no attention to that man [MASK] the curtain!"


def by_hand(model, text, edit_site, edit, sites):
    """{site: [seq, width]} after `edit` at `edit_site`, read by hooks on every site."""
    seen = {}

    def hook(name, h):
        if name == edit_site:
            edit(h)
        seen[name] = np.array(h).reshape(h.shape[0], -1)

    hooks = {name: hook for name in set(sites) | {edit_site}}
    model.run_with_hooks(text, hooks)
    return seen


def test_each_trial_holds_its_edited_activations_at_every_site(demo):
    layers = demo.config["layers"]
    sites = ["embed.out"] + [f"blocks.{b}.out" for b in range(layers)] + ["blocks.1.attn.z", f"blocks.{layers - 1}.mlp.post"]
    r = demo.sweep(PROMPT, "behind", "zero", return_sites=sites, site_positions="all")
    seq = len(demo.encode(PROMPT)[0])
    mask = demo.encode(PROMPT)[0].index("[MASK]")
    assert set(r.sites) == set(sites) and r.site_positions.tolist() == [list(range(seq))]
    for block in range(layers):
        row = int(np.flatnonzero(r.runs["block"] == block)[0])

        def zero(h):
            h[mask] = 0

        expected = by_hand(demo, PROMPT, f"blocks.{block}.out", zero, sites)
        for site in sites:
            got = r.sites[site][row]
            assert got.shape == expected[site].shape and got.dtype == np.float32
            np.testing.assert_allclose(got, expected[site], atol=2e-5, err_msg=f"{site}, zero at block {block}")
        # The edited block's own output holds the edit; the sites before it, clean values.
        assert not r.sites[f"blocks.{block}.out"][row, mask].any()
        np.testing.assert_array_equal(r.sites["embed.out"][row], r.clean_sites["embed.out"][0])
    clean = demo.collect([PROMPT], sites, positions="all")
    for site in sites:
        np.testing.assert_allclose(r.clean_sites[site][0], clean[site], atol=2e-5)


def test_an_edit_inside_a_block_and_a_skip(demo):
    before, edited, after = "blocks.1.attn.out", "blocks.1.mlp.post", "blocks.1.out"
    r = demo.sweep(PROMPT, "behind", "zero", site="mlp.post", layers="1", return_sites=[before, edited, after],
                   site_positions="all")
    mask = demo.encode(PROMPT)[0].index("[MASK]")

    def zero(h):
        h[mask] = 0

    expected = by_hand(demo, PROMPT, edited, zero, [before, edited, after])
    for site in (before, edited, after):
        np.testing.assert_allclose(r.sites[site][0], expected[site], atol=2e-5)
    np.testing.assert_array_equal(r.sites[before][0], r.clean_sites[before][0])
    assert not r.sites[edited][0, mask].any()
    # A skipped block's output is its input, the output of the block before.
    s = demo.sweep(PROMPT, "behind", "skip", layers="2", return_sites=["blocks.1.out", "blocks.2.out", "blocks.3.out"])
    np.testing.assert_array_equal(s.sites["blocks.2.out"][0], s.clean_sites["blocks.1.out"][0])
    assert not np.allclose(s.sites["blocks.3.out"][0], s.clean_sites["blocks.3.out"][0])


def test_random_trials_over_prompts_of_different_lengths(demo):
    prompts = [PROMPT, "The capital of France is [MASK]."]
    last = f"blocks.{demo.config['layers'] - 1}.out"
    kw = dict(trials=3, seed=4, return_sites=["blocks.0.out", last], site_positions="all", return_logits=True)
    r = demo.sweep(prompts, ["behind", "paris"], ["noise", "shuffle"], **kw)
    lengths = [len(demo.encode(p)[0]) for p in prompts]
    positions = r.site_positions
    assert positions.shape == (2, max(lengths)) and (positions[1, lengths[1]:] == -1).all()
    out = r.sites[last]
    assert out.shape == (len(r.runs), max(lengths), demo.config["hidden"])
    short = (r.runs["prompt"] == 1).to_numpy()
    assert np.isnan(out[short][:, lengths[1]:]).all() and not np.isnan(out[short][:, :lengths[1]]).any()
    # The runs' cosine to clean is read from the same rows: the last block's output at the [MASK].
    for i, run in r.runs.iterrows():
        p = run["prompt"]
        mask = demo.encode(prompts[p])[0].index("[MASK]")
        a, b = out[i, mask].astype(np.float64), r.clean_sites[last][p, mask].astype(np.float64)
        assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) == pytest.approx(run["cosine_to_clean"], abs=1e-5)
    # The head reads the kept [MASK] row: its log-softmax is the trial's kept row of log-probs.
    target = [demo.token_id("behind"), demo.token_id("paris")]
    for i in range(len(r.runs)):
        p = int(r.runs["prompt"][i])
        mask = demo.encode(prompts[p])[0].index("[MASK]")
        logits = demo.head(out[i, mask])
        shifted = logits - logits.max()
        lp = shifted - np.log(np.exp(shifted.astype(np.float64)).sum())
        assert lp[target[p]] == pytest.approx(r.log_probs[i, target[p]], abs=1e-4)
    # The same numbers whatever shares a batch: the same bits where batches are bit-exact.
    alone = demo.sweep(prompts, ["behind", "paris"], ["noise", "shuffle"], max_batch_tokens=16, **kw)
    exact = r.model["batches_bit_exact"]
    for site in r.sites:
        np.testing.assert_allclose(alone.sites[site], r.sites[site], rtol=0, atol=0 if exact else 1e-5)


def test_the_mask_row_by_default_and_from_a_spec(demo, tmp_path):
    r = demo.sweep(PROMPT, "behind", "zero", layers="0", return_sites="blocks.*.attn.context")
    mask = demo.encode(PROMPT)[0].index("[MASK]")
    assert r.site_positions.tolist() == [[mask]]
    assert list(r.sites) == [f"blocks.{b}.attn.context" for b in range(demo.config["layers"])]
    spec = dict(prompts=[dict(text=PROMPT, target="behind")], interventions=[dict(kind="zero")], layers="0")
    s = bertscope.run_spec(spec, model=demo, return_sites="blocks.*.attn.context", out=tmp_path / "out")
    for site in r.sites:
        np.testing.assert_array_equal(s.sites[site], r.sites[site])
    assert "return_sites='blocks.*.attn.context'" in s.results["command"]
    assert bertscope.Result.open(tmp_path / "out").sites is None  # no file holds per-trial arrays
    assert demo.sweep(PROMPT, "behind", "zero").sites is None


def test_bad_requests_are_refused_by_name(demo, tmp_path):
    with pytest.raises(bertscope.Error, match="attention rows over keys"):
        demo.sweep(PROMPT, "behind", "zero", return_sites="blocks.0.attn.pattern")
    with pytest.raises(bertscope.Error, match="blocks.9.out"):
        demo.sweep(PROMPT, "behind", "zero", return_sites=["blocks.9.out"])
    with pytest.raises(bertscope.Error, match="site_positions goes with return_sites"):
        demo.sweep(PROMPT, "behind", "zero", site_positions="all")
    with pytest.raises(bertscope.Error, match="site_positions"):
        demo.sweep(PROMPT, "behind", "zero", return_sites="blocks.0.out", site_positions="word:wizard")
    with pytest.raises(bertscope.Error, match="site_positions"):
        demo.sweep(PROMPT, "behind", "zero", return_sites="blocks.0.out", site_positions="somewhere")
    with pytest.raises(TypeError, match="return_sites must be"):
        demo.sweep(PROMPT, "behind", "zero", return_sites=3)
    with pytest.raises(bertscope.Error, match="not with a shard"):
        bertscope.run_spec(dict(prompts=[dict(text=PROMPT, target="behind")], interventions=[dict(kind="zero")]),
                           model=demo, shard="0/2", out=tmp_path / "s", return_sites="blocks.0.out")
    # Every position of every block for a million trials cannot fit: refused before the run.
    with pytest.raises(bertscope.Error, match="needs about"):
        demo.sweep(PROMPT, "behind", "noise", trials=1000000, return_sites="blocks.*.out", site_positions="all")
