"""Edits of units (neurons): `units` and `units_file` in sweeps, against the same edit written
by hand as a Python hook (numpy), and positions chosen by word."""
import json
import os

import numpy as np
import pytest

import bertscope
from conftest import PROMPT, SOURCE_DIR, run_cli
import safetensors_np
from test_unit_statistics import fdr_over_defined, scipy_reference

UNITS = [3, 17, 400]


def log_softmax(row):
    row = row.astype(np.float64)
    return row - (np.log(np.exp(row - row.max()).sum()) + row.max())


def hooked_logsoftmax(model, text, target, hooks):
    tokens, _ = model.encode(text)
    logits = model.run_with_hooks(text, hooks)
    return log_softmax(logits[tokens.index("[MASK]")])[model.token_id(target)]


def test_zeroing_units_equals_a_numpy_hook(demo):
    tokens, _ = demo.encode(PROMPT)
    man = tokens.index("man")
    r = demo.sweep(PROMPT, "behind", "zero", site="mlp.post", units=UNITS, positions="word:man")
    assert len(r.runs) == demo.config["layers"]
    for layer, got in zip(r.runs["block"], r.runs["target_logsoftmax"]):
        def hook(name, h):
            h[man, UNITS] = 0.0
        want = hooked_logsoftmax(demo, PROMPT, "behind", {f"blocks.{layer}.mlp.post": hook})
        assert got == pytest.approx(want, abs=1e-5)
    # Zeroing the whole vector is another edit: the units alone changed less than all of it.
    whole = demo.sweep(PROMPT, "behind", "zero", site="mlp.post", positions="word:man")
    assert not np.allclose(whole.runs["target_logsoftmax"], r.runs["target_logsoftmax"])


def test_scaling_units_of_heads_equals_a_numpy_hook(demo):
    d = demo.config["head_dim"]
    r = demo.sweep(PROMPT, "behind", "scale", factor=3.0, site="attn.z", heads=[1], units=[0, 5], layers=[2],
                   positions="all")

    def hook(name, h):  # [seq, heads, head_dim]
        h[:, 1, [0, 5]] *= 3.0
    want = hooked_logsoftmax(demo, PROMPT, "behind", {"blocks.2.attn.z": hook})
    assert r.runs["target_logsoftmax"][0] == pytest.approx(want, abs=1e-5)
    assert d > 5


def test_units_file_picks_each_blocks_units_of_the_label(demo, tmp_path):
    # A units file as `bertscope neurons` writes it: significant units higher in "him" or "her".
    rows = ["site,block,unit,higher_in,mean_a,mean_b,t,df,p,p_fdr,p_bonferroni,cohen_d,significant_fdr,"
            "significant_bonferroni"]
    chosen = {0: [5, 9], 2: [100]}
    for block in range(demo.config["layers"]):
        for unit in range(0, 120, 1):
            him = unit in chosen.get(block, [])
            her = unit == 7
            significant = "true" if him or her else "false"
            rows.append(f"blocks.{block}.mlp.post,{block},{unit},{'her' if her else 'him'},0,0,1,1,0.5,0.5,1,0,"
                        f"{significant},false")
    path = tmp_path / "units.csv"
    path.write_text("\n".join(rows) + "\n")
    r = demo.sweep(PROMPT, "behind", "zero", site="mlp.post", units_file=f"{path}:him", positions="all")
    assert list(r.runs["label"].unique()) == ["zero units of him @all"]
    clean = hooked_logsoftmax(demo, PROMPT, "behind", {})
    for layer, got in zip(r.runs["block"], r.runs["target_logsoftmax"]):
        units = chosen.get(layer, [])

        def hook(name, h, units=units):
            h[:, units] = 0.0
        want = hooked_logsoftmax(demo, PROMPT, "behind", {f"blocks.{layer}.mlp.post": hook})
        assert got == pytest.approx(want, abs=1e-5)
        if not units:
            assert got == pytest.approx(clean, abs=1e-6)  # a block without units is left as it is
    with pytest.raises(bertscope.Error, match="no unit is higher in a set labelled 'she'"):
        demo.sweep(PROMPT, "behind", "zero", site="mlp.post", units_file=f"{path}:she")
    with pytest.raises(bertscope.Error, match="has no units of out"):
        demo.sweep(PROMPT, "behind", "zero", units_file=f"{path}:him")


def test_unit_options_are_checked_in_pythons_words(demo):
    with pytest.raises(bertscope.Error, match="units edits single numbers"):
        demo.sweep(PROMPT, "behind", "shuffle", units=[1])
    with pytest.raises(bertscope.Error, match="unit 5000 is out of range"):
        demo.sweep(PROMPT, "behind", "zero", units=[5000])
    with pytest.raises(bertscope.Error, match="units_file must be a units file and a prompt set's label"):
        demo.sweep(PROMPT, "behind", "zero", units_file="units.csv")


def test_positions_by_word(demo):
    text = "The man said that [MASK] saw the man."
    tokens, _ = demo.encode(text)
    both = [i for i, t in enumerate(tokens) if t == "man"]
    r = demo.sweep(text, "he", "zero", positions="word:man", layers=[1])

    def hook(name, h):
        h[both] = 0.0
    assert r.runs["target_logsoftmax"][0] == pytest.approx(hooked_logsoftmax(demo, text, "he", {"blocks.1.out": hook}),
                                                           abs=1e-5)
    with pytest.raises(bertscope.Error, match='positions word:woman: the prompt has no "woman"'):
        demo.sweep(text, "he", "zero", positions="word:woman")


HIM = ["I saw him at the [MASK].", "She gave him a book about the sea.", "We told him and his friend [MASK]."]


def test_collect_rows_are_the_cache_of_each_prompt(demo):
    sites = ["blocks.*.mlp.post", "blocks.2.attn.z", "embed.out"]
    c = demo.collect(HIM, sites, positions="word:him")
    assert c.sites == [s for s in demo.hook_sites() if s in c.activations]  # forward order
    assert len(c.sites) == demo.config["layers"] + 2
    assert list(c.rows["token"]) == ["him"] * 3
    for row, (p, position) in enumerate(zip(c.rows["prompt"], c.rows["position"])):
        tokens, _ = demo.encode(HIM[p])
        assert tokens[position] == "him"
        _, cache = demo.run_with_cache(HIM[p], sites=sites)
        for site in c.sites:
            want = cache[site][position].reshape(-1)  # attn.z: [heads, head_dim] flattened
            np.testing.assert_allclose(c[site][row], want, atol=2e-5, rtol=1e-5)
    # Batches of one prompt each give the same rows as one padded batch.
    one_by_one = demo.collect(HIM, sites, positions="word:him", max_batch_tokens=1)
    for site in c.sites:
        np.testing.assert_allclose(one_by_one[site], c[site], atol=2e-5, rtol=1e-5)


def test_collect_keeps_every_row_of_a_prompt_and_averages_them_per_prompt(demo, tmp_path):
    texts = ["the man and the man [MASK].", "a man [MASK] here."]
    c = demo.collect(texts, "blocks.1.out", positions="word:man")
    assert list(c.rows["prompt"]) == [0, 0, 1]
    per_prompt = c.per_prompt("blocks.1.out")
    np.testing.assert_allclose(per_prompt[0], c["blocks.1.out"][:2].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(per_prompt[1], c["blocks.1.out"][2], rtol=1e-6)
    # A prompt file works as the list does, with its ids.
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"id": "a", "text": "the man and the man [MASK]."}\n{"id": "b", "text": "a man [MASK] here."}\n')
    from_file = demo.collect(path, "blocks.1.out", positions="word:man")
    assert list(from_file.rows["prompt_id"]) == ["a", "a", "b"]
    np.testing.assert_array_equal(from_file["blocks.1.out"], c["blocks.1.out"])
    # At the mask (the default): one row per prompt.
    assert len(demo.collect(texts, "blocks.1.out").rows) == 2


def test_collect_errors_name_the_prompt_and_the_argument(demo):
    with pytest.raises(bertscope.Error, match=r'prompt 2: positions word:him: the prompt has no "him"'):
        demo.collect(["I saw him.", "I saw her."], "blocks.0.out", positions="word:him")
    with pytest.raises(bertscope.Error, match="attn.pattern holds attention rows over keys"):
        demo.collect(["I saw him."], "blocks.0.attn.pattern", positions="all")
    with pytest.raises(bertscope.Error, match="has no \\[MASK\\]"):
        demo.collect(["I saw him."], "blocks.0.out")
    with pytest.raises(TypeError, match="not one str"):
        demo.collect("I saw him.", "blocks.0.out")
    with pytest.raises(bertscope.Error, match="prompts is an empty list"):
        demo.collect([], "blocks.0.out")


def read_lines(name):
    with open(os.path.join(SOURCE_DIR, "examples", "neurons", name)) as f:
        return [line.strip() for line in f if line.strip()]


@pytest.mark.parametrize("test", ["student", "welch", "paired"])
def test_neuron_stats_are_scipys_on_the_collected_rows(demo, test):
    him, her = read_lines("him.txt")[:12], read_lines("her.txt")[:12]
    sites = ["blocks.1.mlp.post", "blocks.3.out"]
    stats = demo.neuron_stats(him, her, sites=sites, positions="word:him", positions_b="word:her",
                              labels=("him", "her"), test=test)
    a = demo.collect(him, sites, positions="word:him")
    b = demo.collect(her, sites, positions="word:her")
    for site in sites:
        t, p, df = scipy_reference(a.per_prompt(site), b.per_prompt(site), test)
        rows = stats.units[stats.units["site"] == site]
        assert list(rows["unit"]) == list(range(a[site].shape[1]))
        np.testing.assert_allclose(rows["t"], t, rtol=1e-6)
        np.testing.assert_allclose(rows["p"], p, rtol=1e-5, atol=1e-300)
        np.testing.assert_allclose(rows["df"], df, rtol=1e-8)  # units.csv's 9 significant digits
        reject, adjusted = fdr_over_defined(p, 0.05)
        assert (rows["significant_fdr"].to_numpy() == reject).all()
        np.testing.assert_allclose(rows["p_fdr"], adjusted, rtol=1e-5, atol=1e-300)
        higher = np.where(rows["mean_a"] > rows["mean_b"], "him", "her")
        assert (rows["higher_in"].to_numpy() == higher).all()
        block = stats.blocks[stats.blocks["site"] == site].iloc[0]
        assert block["significant_fdr"] == reject.sum()
        assert block["higher_in_him"] == (reject & (higher == "him")).sum()
    assert len(stats.significant("him")) == int(stats.blocks["higher_in_him"].sum())


def test_neuron_stats_write_the_files_of_the_cli(demo, tmp_path):
    args = dict(positions="word:him", positions_b="word:her", labels=("him", "her"), test="paired")
    stats = demo.neuron_stats(os.path.join(SOURCE_DIR, "examples", "neurons", "him.txt"),
                              os.path.join(SOURCE_DIR, "examples", "neurons", "her.txt"), out=tmp_path / "py", **args)
    assert sorted(os.path.basename(f) for f in stats.files) == sorted(
        ["neurons.json", "units.csv", "blocks.csv", "neurons.svg", "neurons.png"])
    run_cli("neurons", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompts-a",
            os.path.join(SOURCE_DIR, "examples", "neurons", "him.txt"), "--prompts-b",
            os.path.join(SOURCE_DIR, "examples", "neurons", "her.txt"), "--labels", "him,her", "--positions-a",
            "word:him", "--positions-b", "word:her", "--test", "paired", "--out", str(tmp_path / "cli"))
    for name in ("units.csv", "blocks.csv"):
        assert (tmp_path / "py" / name).read_text() == (tmp_path / "cli" / name).read_text()
    # The units file drives an edit: the significant "him" units of each block, zeroed.
    r = demo.sweep("The teacher asked [MASK] to read aloud.", "him", "zero", site="mlp.post",
                   units_file=f"{tmp_path / 'cli' / 'units.csv'}:him")
    tokens, _ = demo.encode("The teacher asked [MASK] to read aloud.")
    for layer, got in zip(r.runs["block"], r.runs["target_logsoftmax"]):
        units = stats.significant("him")
        units = units[units["block"] == layer]["unit"].to_numpy()

        def hook(name, h, units=units):
            h[tokens.index("[MASK]"), units] = 0.0
        want = hooked_logsoftmax(demo, "The teacher asked [MASK] to read aloud.", "him", {f"blocks.{layer}.mlp.post": hook})
        assert got == pytest.approx(want, abs=1e-5)


def test_neuron_stats_errors(demo):
    him, her = read_lines("him.txt")[:4], read_lines("her.txt")[:3]
    with pytest.raises(bertscope.Error, match="test paired compares prompt i of one set with prompt i of the other"):
        demo.neuron_stats(him, her, positions="word:him", positions_b="word:her", test="paired")
    with pytest.raises(bertscope.Error, match="labels are both 'x'"):
        demo.neuron_stats(him, her, positions="word:him", positions_b="word:her", labels=("x", "x"))
    with pytest.raises(bertscope.Error, match='prompt set b: prompt 1: positions word:him: the prompt has no "him"'):
        demo.neuron_stats(him, her, positions="word:him")
    with pytest.raises(bertscope.Error, match="at least 2 prompts in each set"):
        demo.neuron_stats(him[:1], her, positions="word:him", positions_b="word:her")


def test_steering_and_projecting_a_direction_equal_numpy_hooks(demo, tmp_path):
    rng = np.random.default_rng(5)
    v = rng.standard_normal(demo.config["hidden"]).astype(np.float32)
    path = tmp_path / "v.npy"
    np.save(path, v)
    tokens, _ = demo.encode(PROMPT)
    mask = tokens.index("[MASK]")
    steered = demo.sweep(PROMPT, "behind", "steer", factor=2.5, direction_file=str(path), layers=[1, 2])
    projected = demo.sweep(PROMPT, "behind", "project", direction_file=str(path), layers=[1, 2], positions="all")
    for i, layer in enumerate([1, 2]):
        def steer(name, h):
            h[mask] += 2.5 * v

        def project(name, h):
            h -= np.outer(h @ v / (v @ v), v)
        site = f"blocks.{layer}.out"
        assert steered.runs["target_logsoftmax"][i] == pytest.approx(
            hooked_logsoftmax(demo, PROMPT, "behind", {site: steer}), abs=1e-5)
        assert projected.runs["target_logsoftmax"][i] == pytest.approx(
            hooked_logsoftmax(demo, PROMPT, "behind", {site: project}), abs=1e-5)
    # One row per block: [blocks, width].
    per_block = np.stack([v * (layer + 1) for layer in range(demo.config["layers"])])
    np.save(tmp_path / "blocks.npy", per_block)
    r = demo.sweep(PROMPT, "behind", "steer", direction_file=str(tmp_path / "blocks.npy"), layers=[3])

    def steer3(name, h):
        h[mask] += per_block[3]
    assert r.runs["target_logsoftmax"][0] == pytest.approx(
        hooked_logsoftmax(demo, PROMPT, "behind", {"blocks.3.out": steer3}), abs=1e-5)
    with pytest.raises(bertscope.Error, match=r"a direction of shape \(3,\); the site needs \(256,\)"):
        np.save(tmp_path / "short.npy", v[:3])
        demo.sweep(PROMPT, "behind", "steer", direction_file=str(tmp_path / "short.npy"))


def test_steering_along_the_mean_difference_of_two_sets(demo, tmp_path):
    him, her = read_lines("him.txt")[:8], read_lines("her.txt")[:8]
    stats = demo.neuron_stats(him, her, sites="blocks.*.out", positions="word:him", positions_b="word:her",
                              labels=("him", "her"), out=tmp_path / "n")
    text = "The teacher asked [MASK] to read aloud."
    mask = demo.encode(text)[0].index("[MASK]")
    r = demo.sweep(text, "him", "steer", factor=4.0, direction_file=f"{tmp_path / 'n' / 'units.csv'}:him")
    for layer, got in zip(r.runs["block"], r.runs["target_logsoftmax"]):
        rows = stats.units[stats.units["site"] == f"blocks.{layer}.out"]
        toward_him = (rows["mean_a"] - rows["mean_b"]).to_numpy(np.float32)  # set a is "him"

        def hook(name, h):
            h[mask] += 4.0 * toward_him
        assert got == pytest.approx(hooked_logsoftmax(demo, text, "him", {f"blocks.{layer}.out": hook}), abs=2e-5)


def test_steering_along_two_inline_prompt_sets_equals_numpy_means(demo):
    """direction_to / direction_from: the mean over every position of one set minus the other's,
    per block, from the collected activations in numpy; project removes it at every position."""
    him, her = read_lines("him.txt")[:6], read_lines("her.txt")[:6]
    text = "The teacher asked [MASK] to read aloud."
    mask = demo.encode(text)[0].index("[MASK]")
    steered = demo.sweep(text, "him", "steer", factor=3.0, direction_to=him, direction_from=her, layers=[0, 2])
    projected = demo.sweep(text, "him", "project", direction_to=him, direction_from=her, layers=[0, 2], positions="all")
    to = demo.collect(him, "blocks.*.out", positions="all")
    away = demo.collect(her, "blocks.*.out", positions="all")
    for i, layer in enumerate([0, 2]):
        site = f"blocks.{layer}.out"
        v = (to[site].astype(np.float64).mean(axis=0) - away[site].astype(np.float64).mean(axis=0)).astype(np.float32)

        def steer(name, h):
            h[mask] += 3.0 * v

        def project(name, h):
            h -= np.outer(h @ v / (v @ v), v)
        assert steered.runs["target_logsoftmax"][i] == pytest.approx(hooked_logsoftmax(demo, text, "him", {site: steer}), abs=2e-5)
        assert projected.runs["target_logsoftmax"][i] == pytest.approx(
            hooked_logsoftmax(demo, text, "him", {site: project}), abs=2e-5)
    assert steered.runs["label"][0] == "steer 3 along 6 - 6 prompts"
    with pytest.raises(bertscope.Error, match="direction_from is needed with direction_to"):
        demo.sweep(text, "him", "steer", direction_to=him)
    with pytest.raises(bertscope.Error, match="direction_to is only used by steer and project, not by zero"):
        demo.sweep(text, "him", "zero", direction_to=him, direction_from=her)


def test_removing_principal_components_equals_numpy_svd(demo):
    basis = read_lines("him.txt")[:10]
    r = demo.sweep(PROMPT, "behind", "pca", components=3, basis_prompts=basis, site="mlp.post", positions="all")
    rows = demo.collect(basis, "blocks.*.mlp.post", positions="all")
    for layer, got in zip(r.runs["block"], r.runs["target_logsoftmax"]):
        x = rows[f"blocks.{layer}.mlp.post"].astype(np.float64)
        mean = x.mean(axis=0)
        u = np.linalg.svd(x - mean, full_matrices=False)[2][:3]

        def hook(name, h):
            return h - ((h - mean) @ u.T) @ u
        want = hooked_logsoftmax(demo, PROMPT, "behind", {f"blocks.{layer}.mlp.post": hook})
        assert got == pytest.approx(want, abs=2e-5)
    assert r.runs["label"][0] == "pca 3 of 10 prompts @all"
    with pytest.raises(bertscope.Error, match="basis_prompts is needed by pca"):
        demo.sweep(PROMPT, "behind", "pca")
    with pytest.raises(bertscope.Error, match="site of pca must hold one vector per position"):
        demo.sweep(PROMPT, "behind", "pca", basis_prompts=basis, site="attn.z")
    with pytest.raises(bertscope.Error, match="pca: 30 components need at least 31 rows"):
        demo.sweep(PROMPT, "behind", "pca", basis_prompts=basis[:2], components=30)


def test_median_replaces_the_most_active_units_with_their_median(demo):
    # The course's exercise: the most active neurons at the [MASK], replaced with their median
    # over a set of prompts' positions (numpy's median), and over the prompt's own positions.
    others = read_lines("him.txt")[:7]
    tokens, _ = demo.encode(PROMPT)
    mask = tokens.index("[MASK]")
    _, cache = demo.run_with_cache(PROMPT, sites="blocks.2.mlp.post")
    top = [int(u) for u in np.argsort(cache["blocks.2.mlp.post"][mask])[-5:]]
    rows = demo.collect(others, "blocks.2.mlp.post", positions="all")["blocks.2.mlp.post"]
    over_prompts = demo.sweep(PROMPT, "behind", "median", site="mlp.post", units=top, layers=[2], mean_prompts=others)
    own = demo.sweep(PROMPT, "behind", "median", site="mlp.post", units=top, layers=[2])

    def hook_from(median):
        def hook(name, h):
            h[mask, top] = median[top]
        return hook
    want = hooked_logsoftmax(demo, PROMPT, "behind", {"blocks.2.mlp.post": hook_from(np.median(rows, axis=0))})
    assert over_prompts.runs["target_logsoftmax"][0] == pytest.approx(want, abs=1e-5)
    own_median = np.median(cache["blocks.2.mlp.post"], axis=0)  # an even count of positions: the middle two averaged
    assert len(tokens) % 2 == 0
    want = hooked_logsoftmax(demo, PROMPT, "behind", {"blocks.2.mlp.post": hook_from(own_median)})
    assert own.runs["target_logsoftmax"][0] == pytest.approx(want, abs=1e-5)


def test_read_safetensors_reads_collect_and_dump_files(demo, tmp_path):
    prompts = tmp_path / "him.txt"
    prompts.write_text("\n".join(read_lines("him.txt")[:5]) + "\n")
    out = tmp_path / "him.safetensors"
    run_cli("collect", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompts", str(prompts), "--sites",
            "blocks.1.mlp.post", "--positions", "word:him", "--out", str(out))
    tensors, metadata = bertscope.read_safetensors(out, metadata=True)
    assert set(tensors) == {"blocks.1.mlp.post", "rows.prompt", "rows.position"}
    expected = safetensors_np.load_file(str(out))  # the tests' independent reader
    for name, array in expected.items():
        assert tensors[name].dtype == array.dtype
        np.testing.assert_array_equal(tensors[name], array)
    assert metadata["bertscope"] == "collect" and json.loads(metadata["tokens"]) == ["him"] * 5
    c = demo.collect(read_lines("him.txt")[:5], "blocks.1.mlp.post", positions="word:him")
    np.testing.assert_allclose(tensors["blocks.1.mlp.post"], c["blocks.1.mlp.post"], atol=2e-5, rtol=1e-5)
    # bf16 weights come back as float32 of the same values: the bits shifted into a float32's top half.
    path = os.path.join(SOURCE_DIR, "tests", "data", "reference", "models", "small-bf16", "model.safetensors")
    weights = bertscope.read_safetensors(path)
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    name, info = next((k, v) for k, v in header.items() if k != "__metadata__" and v["dtype"] == "BF16")
    begin, end = info["data_offsets"]
    bits = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.uint16).astype(np.uint32) << 16
    np.testing.assert_array_equal(weights[name], bits.view(np.float32).reshape(info["shape"]))
    with pytest.raises(bertscope.Error, match="not.*safetensors|header|cannot read"):
        bertscope.read_safetensors(prompts)


def test_a_prompt_files_own_positions_win_in_collect(demo, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "I saw him there.", "positions": "word:him"}\n'
                    '{"text": "I saw her there."}\n'
                    '{"text": "We met [MASK] later.", "positions": "mask"}\n')
    c = demo.collect(path, "blocks.0.out", positions="word:her")
    assert list(c.rows["token"]) == ["him", "her", "[MASK]"]
    path.write_text('{"text": "I saw him there.", "positions": "word:"}\n')
    with pytest.raises(bertscope.Error, match=r"mixed.jsonl:1: positions 'word:' names no word"):
        demo.collect(path, "blocks.0.out")


def test_setting_units_to_a_value_equals_a_numpy_hook(demo):
    """Value replacement: `set` writes `factor` into the chosen units, as a hook by hand."""
    tokens, _ = demo.encode(PROMPT)
    man = tokens.index("man")
    r = demo.sweep(PROMPT, "behind", "set", factor=2.5, site="mlp.post", units=UNITS, positions="word:man",
                   return_sites="blocks.*.mlp.post", site_positions="word:man")
    for i, layer in enumerate(r.runs["block"]):
        def hook(name, h):
            h[man, UNITS] = 2.5
        want = hooked_logsoftmax(demo, PROMPT, "behind", {f"blocks.{layer}.mlp.post": hook})
        assert r.runs["target_logsoftmax"][i] == pytest.approx(want, abs=1e-5)
        kept = r.sites[f"blocks.{layer}.mlp.post"][i, 0]
        assert (kept[UNITS] == 2.5).all()
        others = np.setdiff1d(np.arange(kept.size), UNITS)
        np.testing.assert_array_equal(kept[others], r.clean_sites[f"blocks.{layer}.mlp.post"][0, 0, others])
    assert r.runs["label"][0] == "set 2.5 units 3,17,400 @word:man"
    # Without a value it writes 0: the same numbers as zero.
    zero = demo.sweep(PROMPT, "behind", "zero", site="mlp.post", units=UNITS, positions="word:man")
    unset = demo.sweep(PROMPT, "behind", "set", site="mlp.post", units=UNITS, positions="word:man")
    np.testing.assert_array_equal(unset.runs["target_logsoftmax"], zero.runs["target_logsoftmax"])
    with pytest.raises(bertscope.Error, match="factor must be a finite number"):
        demo.sweep(PROMPT, "behind", "set", factor=float("nan"))


def test_removing_a_given_basis_equals_numpy(demo, tmp_path):
    """pca with basis_file: the first `components` rows of a given basis, orthonormalized,
    are removed (h - U U^T h), per block or one basis for every block."""
    layers, ffn = demo.config["layers"], demo.config["ffn"]
    rows = demo.collect(read_lines("him.txt")[:10], "blocks.*.mlp.post", positions="all")
    # Per block, three directions that are not orthonormal: scaled and mixed SVD rows.
    mix = np.array([[2.0, 0.5, 0.0], [0.0, -1.0, 0.3], [0.1, 0.2, 3.0]])
    basis = np.stack([mix @ np.linalg.svd(rows[f"blocks.{b}.mlp.post"].astype(np.float64), full_matrices=False)[2][:3]
                      for b in range(layers)])
    np.save(tmp_path / "basis.npy", basis)
    r = demo.sweep(PROMPT, "behind", "pca", components=3, basis_file=str(tmp_path / "basis.npy"), site="mlp.post",
                   positions="all")
    for layer, got in zip(r.runs["block"], r.runs["target_logsoftmax"]):
        q = np.linalg.qr(basis[layer].T)[0].T  # the same span, orthonormal

        def hook(name, h):
            return h - (h @ q.T) @ q
        want = hooked_logsoftmax(demo, PROMPT, "behind", {f"blocks.{layer}.mlp.post": hook})
        assert got == pytest.approx(want, abs=2e-5)
    assert r.runs["label"][0] == "pca of basis.npy @all"
    assert r.options["interventions"][0]["basis_file"] == str(tmp_path / "basis.npy")
    # One basis for every block; components picks its first rows.
    np.save(tmp_path / "shared.npy", basis[0])
    one = demo.sweep(PROMPT, "behind", "pca", components=1, basis_file=str(tmp_path / "shared.npy"), site="mlp.post",
                     layers=[2])
    u = basis[0][0] / np.linalg.norm(basis[0][0])
    want = hooked_logsoftmax(demo, PROMPT, "behind", {"blocks.2.mlp.post": lambda name, h: _remove_at_mask(demo, h, u)})
    assert one.runs["target_logsoftmax"][0] == pytest.approx(want, abs=2e-5)
    # Refusals, by name.
    np.save(tmp_path / "dependent.npy", np.stack([basis[0][0], 2 * basis[0][0]]))
    with pytest.raises(bertscope.Error, match="basis row 1 is a combination of the rows before it"):
        demo.sweep(PROMPT, "behind", "pca", components=2, basis_file=str(tmp_path / "dependent.npy"), site="mlp.post")
    with pytest.raises(bertscope.Error, match="has 3 basis rows, and components = 4"):
        demo.sweep(PROMPT, "behind", "pca", components=4, basis_file=str(tmp_path / "shared.npy"), site="mlp.post")
    with pytest.raises(bertscope.Error, match=r"a basis of shape \(3, %d\)" % ffn):
        demo.sweep(PROMPT, "behind", "pca", basis_file=str(tmp_path / "shared.npy"), site="out")
    with pytest.raises(bertscope.Error, match="basis_file and basis_prompts both give the subspace"):
        demo.sweep(PROMPT, "behind", "pca", basis_file=str(tmp_path / "shared.npy"), basis_prompts=["a [MASK] b"])
    with pytest.raises(bertscope.Error, match="basis_file must be a .npy file"):
        demo.sweep(PROMPT, "behind", "pca", basis_file="basis.csv")
    with pytest.raises(bertscope.Error, match="basis_file is only used by pca"):
        demo.sweep(PROMPT, "behind", "zero", basis_file=str(tmp_path / "shared.npy"))


def _remove_at_mask(model, h, u):
    """h with u's component removed at the [MASK] row only (the sweep's default positions)."""
    mask = model.encode(PROMPT)[0].index("[MASK]")
    h[mask] -= (h[mask].astype(np.float64) @ u) * u
    return h
