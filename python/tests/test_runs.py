"""The Run API from Python: run_spec(shard=...) and bertscope.merge write the folders the CLI's
`run --shard` and `merge` write, and the two front ends' shards merge with each other."""
import json
import os

import numpy as np
import pandas as pd
import pytest

import bertscope
from conftest import run_cli

SPEC = {
    "name": "shards",
    "layers": "all",
    "trials": 6,
    "seed": 3,
    "targets": ["in", "on"],  # further targets: their columns travel in the shards' records too
    "prompts": [{"text": "Pay no attention to that man [MASK] the curtain!", "target": "behind"},
                {"text": "The cat sat on the [MASK].", "target": "mat", "foil": "floor"}],
    "interventions": [{"kind": "shuffle"}, {"kind": "noise", "factor": 2.0}, {"kind": "zero"}],
    "distributions": {"bins": 20},
}
KEYS = ["prompt", "intervention", "block", "trial"]


def spec_file(tmp_path):
    path = tmp_path / "spec.toml"
    from bertscope._spec import spec_toml
    path.write_text(spec_toml(SPEC))
    return str(path)


def same_table(a, b):
    """Equal tables: text and whole-number cells exactly, numbers to float32's rounding (on
    CPUs where a batch's rows are not bit-exact, results.json's batches_bit_exact)."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for column in a.columns:
        if pd.api.types.is_float_dtype(a[column]) or pd.api.types.is_float_dtype(b[column]):
            np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=1e-5, atol=1e-5,
                                       err_msg=column)
        elif column not in ("top1", "top1_most_frequent", "target_rank", "top1_id"):
            assert (a[column] == b[column]).all(), column


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The unsharded run, by the CLI."""
    tmp = tmp_path_factory.mktemp("whole")
    out = tmp / "out"
    run_cli("run", spec_file(tmp), "--dtype", "f32", "--quiet", "--out", str(out))
    return bertscope.Result.open(out)


def test_python_shards_merged_in_python_equal_the_whole_run(demo, whole, tmp_path):
    spec = spec_file(tmp_path)
    written = [bertscope.run_spec(spec, model=demo, shard=f"{k}/3", out=tmp_path / f"s{k}") for k in range(3)]
    assert [w["shard"] for w in written] == [0, 1, 2]
    assert sum(w["items"] for w in written) == written[0]["total_items"]
    assert sorted(os.path.basename(f) for f in written[1]["files"]) == ["records.jsonl", "shard.json"]
    merged = bertscope.merge([w["out"] for w in reversed(written)], out=tmp_path / "merged", model=demo)
    assert merged.results["command"].startswith("python: bertscope.merge(<3 shards>")
    same_table(merged.runs.sort_values(KEYS, kind="stable").reset_index(drop=True),
               whole.runs.sort_values(KEYS, kind="stable").reset_index(drop=True))
    same_table(merged.summary, whole.summary)
    assert "logsoftmax_on" in merged.runs and "logsoftmax_in_ci95_high" in merged.summary
    same_table(merged.distributions, whole.distributions)
    assert sorted(os.listdir(tmp_path / "merged")) == sorted(os.path.basename(f) for f in whole.files)


def test_shards_of_the_cli_and_of_python_merge_with_each_other(demo, whole, tmp_path):
    spec = spec_file(tmp_path)
    bertscope.run_spec(spec, model=demo, shard=(0, 2), out=tmp_path / "py0")
    run_cli("run", spec, "--dtype", "f32", "--quiet", "--shard", "1/2", "--out", str(tmp_path / "cli1"))
    # The CLI merges a Python shard, and Python a CLI shard: one format, one Run API.
    run_cli("merge", "--quiet", "--out", str(tmp_path / "by-cli"), str(tmp_path / "py0"), str(tmp_path / "cli1"))
    by_python = bertscope.merge([tmp_path / "cli1", tmp_path / "py0"], out=tmp_path / "by-python")
    by_cli = bertscope.Result.open(tmp_path / "by-cli")
    assert by_cli.runs.equals(by_python.runs)
    assert by_cli.summary.equals(by_python.summary)
    same_table(by_python.summary, whole.summary)


def test_a_shard_without_out_goes_beside_the_specs_folder(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = bertscope.run_spec(dict(SPEC, out="out/x"), model=demo, shard="1/4")
    assert written["out"] == "out/x.shard-1-of-4"
    assert json.loads((tmp_path / "out/x.shard-1-of-4/shard.json").read_text())["shard"] == 1


def test_bad_shards_and_merges_are_refused_by_name(demo, tmp_path):
    spec = spec_file(tmp_path)
    with pytest.raises(bertscope.Error, match=r"shard '3/2' is not K/N with 0 <= K < N"):
        bertscope.run_spec(spec, model=demo, shard="3/2", out=tmp_path / "s")
    with pytest.raises(TypeError, match=r"shard must be \"K/N\" or a tuple \(K, N\), not 1.5"):
        bertscope.run_spec(spec, model=demo, shard=1.5, out=tmp_path / "s")
    assert not os.path.exists(tmp_path / "s")
    bertscope.run_spec(spec, model=demo, shard="0/2", out=tmp_path / "s0")
    with pytest.raises(bertscope.Error, match=r"shard 1/2 missing: merge needs the folders of all 2 shards"):
        bertscope.merge([tmp_path / "s0"], out=tmp_path / "m")
    with pytest.raises(bertscope.Error, match=r"is given twice"):
        bertscope.merge([tmp_path / "s0", tmp_path / "s0"], out=tmp_path / "m")
    with pytest.raises(TypeError, match="shards must be a list"):
        bertscope.merge(str(tmp_path / "s0"), out=tmp_path / "m")
    assert not os.path.exists(tmp_path / "m")
    with pytest.raises(bertscope.Error, match="has no results.json"):
        bertscope.Result.open(tmp_path / "s0")


def test_a_shard_stopped_by_its_progress_callback_leaves_no_folder(demo, tmp_path):
    def stop(done, total):
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bertscope.run_spec(spec_file(tmp_path), model=demo, shard="0/2", out=tmp_path / "s", progress=stop)
    assert sorted(os.listdir(tmp_path)) == ["spec.toml"]


def test_an_opened_folder_reads_as_the_run_that_wrote_it(demo, tmp_path):
    r = bertscope.run_spec(SPEC, model=demo, out=tmp_path / "out")
    opened = bertscope.Result.open(tmp_path / "out")
    assert opened.runs.equals(r.runs)
    assert opened.summary.equals(r.summary)
    assert opened.prompts == r.prompts
    assert opened.options == r.options
    with pytest.raises(bertscope.Error, match="saved already"):
        opened.save(tmp_path / "again")
