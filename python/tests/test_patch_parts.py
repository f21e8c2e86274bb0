"""patch_grid and attribution_patch on part of each vector (some units, a direction, a subspace):
every cell against the corrupted run patched by hand in a numpy hook, h + P (clean - h), and
every estimate against attribution patching by hand in torch, (P delta) . gradient, with P
built here from the same units, vector or basis."""
import os

import numpy as np
import pytest

import bertscope
from conftest import REFERENCE, run_cli

MODEL = os.path.join(REFERENCE, "models", "tiny-fp32")
CLEAN, CORRUPTED = "the man went to the [MASK] to buy milk .", "the woman went to the [MASK] to buy bread ."
TARGET, FOIL = "store", "market"


def parts(m, tmp_path):
    """(site, keyword arguments, P as a matrix over one position's vector) for units at out,
    mlp.post and attn.z (inside each head's slice), a direction at out and a 2-dimensional
    subspace at attn.out."""
    rng = np.random.default_rng(7)
    hidden, ffn, heads = m.config["hidden"], m.config["ffn"], m.config["heads"]

    def unit_projection(width, units):
        p = np.zeros((width, width))
        p[units, units] = 1.0
        return p

    v = rng.standard_normal(hidden).astype(np.float32)
    np.save(tmp_path / "v.npy", v)
    basis = rng.standard_normal((3, hidden)).astype(np.float32)
    np.save(tmp_path / "basis.npy", basis)
    q, _ = np.linalg.qr(basis[:2].astype(np.float64).T)  # the first two rows, orthonormalized
    head_dim = hidden // heads
    return [
        ("out", {"units": [0, 3, hidden - 1]}, unit_projection(hidden, [0, 3, hidden - 1])),
        ("mlp.post", {"units": "1,5"}, unit_projection(ffn, [1, 5])),
        ("attn.z", {"units": [2]}, np.kron(np.eye(heads), unit_projection(head_dim, [2]))),
        ("out", {"direction_file": str(tmp_path / "v.npy")}, np.outer(v, v) / float(v.astype(np.float64) @ v)),
        ("attn.out", {"basis_file": str(tmp_path / "basis.npy"), "components": 2}, q @ q.T),
    ]


def patched_by_hand(m, site, projection, layer, position, clean_cache):
    """The metric of the corrupted run with blocks.{layer}.{site} at `position` patched by hand."""
    name = f"blocks.{layer}.{site}"
    clean = clean_cache[name].reshape(clean_cache[name].shape[0], -1).astype(np.float64)

    def hook(_, h):
        flat = h.reshape(h.shape[0], -1).astype(np.float64)
        flat[position] += projection @ (clean[position] - flat[position])
        return flat.astype(np.float32).reshape(h.shape)

    logits = m.run_with_hooks(CORRUPTED, {name: hook})
    mask = m.encode(CORRUPTED)[0].index("[MASK]")
    return float(logits[mask, m.token_id(TARGET)]) - float(logits[mask, m.token_id(FOIL)])


def test_a_cell_patches_the_part_as_numpy_does_by_hand(tmp_path):
    m = bertscope.load(MODEL, dtype="f32")
    for site, keywords, projection in parts(m, tmp_path):
        grid = m.patch_grid(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites=site, **keywords)
        whole = m.patch_grid(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites=site)
        assert grid.attrs["patched_part"][site] != "whole vectors" and whole.attrs["patched_part"] == {site: "whole vectors"}
        _, cache = m.run_with_cache(CLEAN, sites=f"blocks.*.{site}")
        for row in grid.itertuples():
            want = patched_by_hand(m, site, projection, row.block, row.position, cache)
            assert row.metric == pytest.approx(want, abs=1e-5), (site, keywords, row.block, row.position)
        # Part of a vector is not the whole of it: some cells move less than a whole patch.
        assert (np.abs(grid["metric"] - whole["metric"]) > 1e-3).any(), (site, keywords)


def test_every_unit_patched_is_the_whole_vector_and_no_direction_is_the_corrupted_run(tmp_path):
    m = bertscope.load(MODEL, dtype="f32")
    whole = m.patch_grid(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites="out")
    every = m.patch_grid(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites="out", units=list(range(m.config["hidden"])))
    np.testing.assert_array_equal(every["metric"].to_numpy(), whole["metric"].to_numpy())
    np.save(tmp_path / "zero.npy", np.zeros(m.config["hidden"], dtype=np.float32))  # a direction of nothing
    none = m.patch_grid(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites="out", direction_file=str(tmp_path / "zero.npy"))
    np.testing.assert_allclose(none["metric"].to_numpy(), none.attrs["corrupted_metric"], atol=1e-5)


def test_attribution_patching_of_a_part_equals_atp_by_hand_in_torch(tmp_path):
    pytest.importorskip("torch", reason="python3-torch (scripts/setup-debian.sh python-tests) is missing")
    from test_gradients import torch_pair

    m = bertscope.load(MODEL, dtype="f32")
    clean_ids, corrupted_ids = m.encode(CLEAN)[1], m.encode(CORRUPTED)[1]
    position = corrupted_ids.index(m.token_id("[MASK]"))
    value, clean, corrupted = torch_pair(MODEL, clean_ids, corrupted_ids, position, m.token_id(TARGET), m.token_id(FOIL))
    for site, keywords, projection in parts(m, tmp_path):
        table = m.attribution_patch(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites=site, **keywords)
        assert table.attrs["corrupted_metric"] == pytest.approx(value, abs=1e-4)
        for layer, rows in table.groupby("block"):
            name = f"blocks.{layer}.{site}"
            delta = (clean[name] - corrupted[name]).detach().numpy().reshape(len(corrupted_ids), -1)
            grad = corrupted[name].grad.numpy().reshape(len(corrupted_ids), -1)
            want = np.einsum("sw,sw->s", delta @ projection.T, grad)
            got = rows["metric"].to_numpy() - table.attrs["corrupted_metric"]
            np.testing.assert_allclose(got, want, atol=1e-4 * max(float(np.abs(want).max()), 1e-6), err_msg=name)


def test_the_cli_patches_the_same_part_and_names_it(tmp_path):
    m = bertscope.load(MODEL, dtype="f32")
    grid = m.patch_grid(CLEAN, CORRUPTED, TARGET, foil=FOIL, sites="out,mlp.post", units=[0, 3])
    run_cli("patch-grid", "--model", MODEL, "--dtype", "f32", "--prompt", CLEAN, "--other-prompt", CORRUPTED,
            "--target", TARGET, "--foil", FOIL, "--sites", "out,mlp.post", "--units", "0,3", "--out", str(tmp_path / "g"))
    assert grid.equals(bertscope.read_csv(tmp_path / "g" / "patch-grid.csv"))
    import json
    with open(tmp_path / "g" / "patch-grid.json") as f:
        assert json.load(f)["patched_part"] == {"out": "units 0,3", "mlp.post": "units 0,3"} == grid.attrs["patched_part"]


def test_a_part_that_does_not_fit_is_named(tmp_path):
    m = bertscope.load(MODEL, dtype="f32")
    np.save(tmp_path / "v.npy", np.ones(m.config["hidden"], dtype=np.float32))
    args = (CLEAN, CORRUPTED, TARGET)
    with pytest.raises(bertscope.Error, match="^units and direction_file both choose the part"):
        m.patch_grid(*args, units=[1], direction_file=str(tmp_path / "v.npy"))
    with pytest.raises(bertscope.Error, match="^direction_file patches a direction or subspace of one position's vector"):
        m.patch_grid(*args, heads=True, direction_file=str(tmp_path / "v.npy"))
    with pytest.raises(bertscope.Error, match=f"^units: unit {m.config['hidden']} is beyond out's {m.config['hidden']} units"):
        m.patch_grid(*args, sites="out", units=[m.config["hidden"]])
    with pytest.raises(bertscope.Error, match="^qk_fix recomputes the softmax from whole q and k vectors"):
        m.attribution_patch(*args, sites="attn.q", units=[0], qk_fix=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'trials'"):
        m.patch_grid(*args, trials=3)


def test_a_direction_and_a_subspace_from_prompt_sets_are_their_statistics_by_hand(tmp_path):
    """direction_to/direction_from: the mean difference of every position's state over the two
    sets, per block; basis_prompts: the top principal components of the states, per block. The
    grid with them is the grid with those vectors given as files, computed here in numpy."""
    m = bertscope.load(MODEL, dtype="f32")
    to, away = ["he went home .", "he is here ."], ["she went home .", "she is there now ."]
    layers = m.config["layers"]

    def states(prompts, layer):
        return np.concatenate([m.run_with_cache(p, sites=f"blocks.{layer}.out")[1][f"blocks.{layer}.out"] for p in prompts])

    direction = np.stack([states(to, L).astype(np.float64).mean(0) - states(away, L).astype(np.float64).mean(0)
                          for L in range(layers)]).astype(np.float32)
    np.save(tmp_path / "d.npy", direction)
    basis = []
    for L in range(layers):
        rows = states(to + away, L).astype(np.float64)
        _, _, vt = np.linalg.svd(rows - rows.mean(0), full_matrices=False)
        basis.append(vt[:2])
    np.save(tmp_path / "b.npy", np.stack(basis).astype(np.float32))
    args = (CLEAN, CORRUPTED, TARGET)
    by_prompts = m.patch_grid(*args, foil=FOIL, sites="out", direction_to=to, direction_from=away)
    by_file = m.patch_grid(*args, foil=FOIL, sites="out", direction_file=str(tmp_path / "d.npy"))
    np.testing.assert_allclose(by_prompts["metric"], by_file["metric"], atol=1e-5)
    by_prompts = m.patch_grid(*args, foil=FOIL, sites="out", basis_prompts=to + away, components=2)
    by_file = m.patch_grid(*args, foil=FOIL, sites="out", basis_file=str(tmp_path / "b.npy"), components=2)
    np.testing.assert_allclose(by_prompts["metric"], by_file["metric"], atol=1e-5)
