"""Per-trial arrays and metrics in Python: Model.sweep(return_logits=True) hands over every
trial's prediction row, metric=fn computes a column from those rows; both checked against the
runs' own columns and against a hook written by hand."""
import re

import numpy as np
import pytest

import bertscope

PROMPT = "Pay no attention to that man [MASK] the curtain!"


def log_softmax(logits):
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


@pytest.fixture(scope="module")
def kept(demo):
    return demo.sweep(PROMPT, "behind", ["zero", "noise"], trials=3, seed=5, return_logits=True)


def test_every_trial_row_is_what_its_columns_were_read_from(demo, kept):
    rows, runs = kept.log_probs, kept.runs
    assert rows.shape == (len(runs), demo.config["vocab"]) and rows.dtype == np.float32
    target = demo.token_id("behind")
    np.testing.assert_allclose(rows[:, target], runs["target_logsoftmax"], rtol=1e-6, atol=1e-6)
    assert [demo.token(int(i)) for i in rows.argmax(axis=1)] == list(runs["top1"])
    np.testing.assert_allclose(np.log(np.exp(rows.astype(np.float64)).sum(axis=1)), 0, atol=1e-5)
    assert kept.clean_log_probs.shape == (1, demo.config["vocab"])
    np.testing.assert_allclose(kept.clean_log_probs[0, target], kept.clean["target_logsoftmax"], atol=1e-6)


def test_a_zeroed_blocks_row_equals_a_hook_by_hand(demo, kept):
    mask = demo.encode(PROMPT)[0].index("[MASK]")
    runs = kept.runs
    for block in range(demo.config["layers"]):
        def zero(name, h):
            h[mask] = 0

        logits = demo.run_with_hooks(PROMPT, {f"blocks.{block}.out": zero})
        row = np.flatnonzero((runs["kind"] == "zero") & (runs["block"] == block))
        assert len(row) == 1
        np.testing.assert_allclose(kept.log_probs[row[0]], log_softmax(logits[mask]), atol=1e-4)


def test_a_metric_is_a_column_and_summarized_over_trials(demo):
    he, she = demo.token_id("he"), demo.token_id("she")
    r = demo.sweep(["The doctor said that [MASK] would come.", "The nurse said that [MASK] was late."], "he",
                   ["noise", "shuffle"], foil="she", trials=4, seed=1, return_logits=True,
                   metric=lambda lp: lp[he] - lp[she])
    runs = r.runs
    # The foil's logit difference is the same number, computed by the engine.
    np.testing.assert_allclose(runs["metric"], runs["logit_diff"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(runs["metric"], r.log_probs[:, he] - r.log_probs[:, she], atol=1e-6)
    summary = r.summary
    means = runs.groupby(["prompt", "intervention", "block"], sort=True)["metric"].agg(["mean", "std", "count"])
    np.testing.assert_allclose(summary["metric_mean"], means["mean"], atol=1e-9)
    np.testing.assert_allclose(summary["metric_std"], means["std"], atol=1e-9)
    np.testing.assert_allclose(summary["metric_mean"], summary["logit_diff_mean"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(summary["metric_ci95_low"], summary["logit_diff_ci95_low"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(summary["clean_metric"], summary["clean_logit_diff"], rtol=1e-5, atol=1e-5)


def test_a_metric_alone_keeps_no_rows(demo):
    r = demo.sweep(PROMPT, "behind", "zero", metric=lambda lp: float(lp.max()))
    assert r.log_probs is None and r.clean_log_probs is None
    kept = demo.sweep(PROMPT, "behind", "zero", return_logits=True)
    np.testing.assert_array_equal(r.runs["metric"], kept.log_probs.max(axis=1))


def test_bad_metrics_and_requests_are_refused_by_name(demo, tmp_path):
    with pytest.raises(TypeError, match="metric must be a function of a row of log-probs"):
        demo.sweep(PROMPT, "behind", "zero", metric=3)
    with pytest.raises(TypeError, match="metric must return a number for a row of log-probs, not str"):
        demo.sweep(PROMPT, "behind", "zero", metric=lambda lp: "x", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # a failing metric writes nothing
    with pytest.raises(ZeroDivisionError):
        demo.sweep(PROMPT, "behind", "zero", metric=lambda lp: 1 / 0)
    with pytest.raises(bertscope.Error, match="not with a shard"):
        bertscope.run_spec(dict(prompts=[dict(text=PROMPT, target="behind")], interventions=[dict(kind="zero")]),
                           model=demo, shard="0/2", out=tmp_path / "s", return_logits=True)


def test_rows_that_cannot_fit_are_refused_before_the_run(demo):
    # 4 blocks x 1,000,000 trials x the vocabulary's floats: hundreds of GB, refused at once.
    with pytest.raises(bertscope.Error, match=r"needs about") as e:
        demo.sweep(PROMPT, "behind", "noise", trials=1000000, return_logits=True)
    size = re.search(r"needs about ([\d.]+) (GB|TB)", str(e.value))
    gb = float(size.group(1)) * (1000 if size.group(2) == "TB" else 1)
    assert gb >= 4e6 * demo.config["vocab"] * 4 / 1e9 * 0.9, str(e.value)


def test_further_targets_are_columns_read_from_the_same_rows(demo, tmp_path):
    words = ["she", "they", "it"]
    r = demo.sweep("The doctor said that [MASK] would come.", "he", ["noise", "zero"], trials=4, seed=2, targets=words,
                   return_logits=True, out=tmp_path / "out")
    runs, summary = r.runs, r.summary
    for w in words:
        np.testing.assert_allclose(runs[f"logsoftmax_{w}"], r.log_probs[:, demo.token_id(w)], atol=1e-6)
        np.testing.assert_allclose(summary[f"clean_logsoftmax_{w}"], r.clean_log_probs[0, demo.token_id(w)], atol=1e-6)
        means = runs.groupby(["intervention", "block"], sort=True)[f"logsoftmax_{w}"].mean()
        np.testing.assert_allclose(summary[f"logsoftmax_{w}_mean"], means, atol=1e-7)
    assert list(runs.columns[-3:]) == [f"logsoftmax_{w}" for w in words]
    # The files say the same, and the report shows the words' figure.
    results = r.results
    assert sorted(results["runs"][0]["targets_logsoftmax"]) == sorted(words)
    assert results["prompts"][0]["clean"]["targets_logsoftmax"]["it"] == pytest.approx(summary["clean_logsoftmax_it"][0])
    assert (tmp_path / "out" / "targets-prompt0.svg").exists()
    assert "log p(they)" in (tmp_path / "out" / "report.html").read_text()


def test_further_targets_are_refused_by_name(demo):
    with pytest.raises(bertscope.Error, match='targets "unbelievably" is not one word piece'):
        demo.sweep(PROMPT, "behind", "zero", targets=["in", "unbelievably"])
    with pytest.raises(bertscope.Error, match='targets "in" and "IN" are the same word piece'):
        demo.sweep(PROMPT, "behind", "zero", targets=["in", "IN"])
    with pytest.raises(bertscope.Error, match="targets must be a list of words"):
        demo.sweep(PROMPT, "behind", "zero", targets=["in on"])
    with pytest.raises(TypeError, match="targets must be a list of str"):
        demo.sweep(PROMPT, "behind", "zero", targets="in")
