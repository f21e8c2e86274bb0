"""cosine_sites: each trial's cosine of the vector at the prediction position after the edit
with the clean one, site by site, against numpy's cosine of the states the same trials keep
(return_sites, whose values test_families checks against HuggingFace), in Python, a spec and
the CLI alike."""
import numpy as np
import pytest

import bertscope
from conftest import PROMPT, run_cli


def cosine(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    norms = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / norms) if norms > 0 else float("nan")  # a zeroed vector: no direction


def test_each_cosine_is_numpys_of_the_kept_states(demo):
    layers = demo.config["layers"]
    sites = ["blocks.0.out", "blocks.1.attn.out"] + [f"blocks.{b}.out" for b in range(1, layers)]
    r = demo.sweep(PROMPT, "behind", ["noise", "zero"], trials=3, seed=4, cosine_sites=["blocks.*.out", "blocks.1.attn.out"],
                   return_sites=sites)
    columns = [c for c in r.runs.columns if c.startswith("cosine_blocks")]
    assert columns == [f"cosine_{s}" for s in sites]  # the patterns' sites, in forward order
    for site in sites:
        edited, clean = r.sites[site][:, 0], r.clean_sites[site][0, 0]
        want = [cosine(row, clean) for row in edited]
        np.testing.assert_allclose(r.runs[f"cosine_{site}"].to_numpy(), want, atol=1e-6)
    # A site before the edited block is the clean state; the last block's output is the state
    # cosine_to_clean reads.
    before = r.runs[r.runs["block"] > 0]
    np.testing.assert_allclose(before["cosine_blocks.0.out"], 1.0, atol=1e-6)
    np.testing.assert_allclose(r.runs[f"cosine_blocks.{layers - 1}.out"], r.runs["cosine_to_clean"], atol=1e-6)
    summary = r.summary.set_index(["intervention", "block"])
    means = r.runs.groupby(["intervention", "block"])["cosine_blocks.1.out"].mean()
    np.testing.assert_allclose(summary.loc[means.index, "cosine_blocks.1.out_mean"], means, atol=1e-9)


def test_the_cli_and_a_spec_write_the_same_columns(demo, tmp_path):
    r = demo.sweep(PROMPT, "behind", "zero", cosine_sites=["blocks.*.attn.out"])
    spec = dict(prompts=[dict(text=PROMPT, target="behind")], interventions=[dict(kind="zero")],
                cosine_sites=["blocks.*.attn.out"])
    assert bertscope.run_spec(spec, model=demo).runs.equals(r.runs)
    run_cli("sweep", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompt", PROMPT, "--target", "behind",
            "--intervention", "zero", "--cosine-sites", "blocks.*.attn.out", "--out", str(tmp_path / "cli"))
    assert bertscope.read_csv(tmp_path / "cli" / "runs.csv").equals(r.runs)


def test_a_site_that_is_no_vector_per_position_is_named(demo):
    with pytest.raises(bertscope.Error, match="^cosine_sites: blocks.0.attn.pattern holds attention rows over keys"):
        demo.sweep(PROMPT, "behind", "zero", cosine_sites=["blocks.0.attn.pattern"])
    with pytest.raises(bertscope.Error, match="^cosine_sites: hook site pattern 'blocks.\\*.nothing' matches no site"):
        demo.sweep(PROMPT, "behind", "zero", cosine_sites=["blocks.*.nothing"])
    with pytest.raises(bertscope.Error, match="^cosine_sites compares the vectors at the prediction position"):
        demo.sweep(PROMPT, "behind", "zero", cosine_sites=["blocks.0.out"], return_sites="blocks.0.out", site_positions="all")
