"""Model.sweep and bertscope.run_spec: the same runs, tables and files as the CLI's `sweep` and
`run`; the GIL is released; Ctrl-C and progress callbacks stop a sweep; errors as the CLI's."""
import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

import bertscope
from conftest import DEMO_MODEL, PROMPT, SOURCE_DIR, cli_error, python_words, reference_model_dir, run_cli

OTHER = "Pay no attention to that woman [MASK] the curtain!"

# (Model.sweep keyword arguments, the same options for `bertscope sweep`)
SWEEPS = [
    (dict(intervention="noise", trials=5, seed=3), ["--intervention", "noise", "--trials", "5", "--seed", "3"]),
    (dict(intervention="shuffle", trials=3, layers=[1, 3], top=7),
     ["--intervention", "shuffle", "--trials", "3", "--layers", "1,3", "--top", "7"]),
    (dict(intervention="noise", trials=4, factor=1.5, std_of="layer", site="mlp.post", positions="all"),
     ["--intervention", "noise", "--trials", "4", "--factor", "1.5", "--std-of", "layer", "--site", "mlp.post",
      "--positions", "all"]),
    (dict(intervention="mix", factor=0.3, other_prompt=OTHER, layers="0-2"),
     ["--intervention", "mix", "--factor", "0.3", "--other-prompt", OTHER, "--layers", "0-2"]),
    (dict(intervention="scale", site="attn.out", positions=[1, 7], layers=2),
     ["--intervention", "scale", "--site", "attn.out", "--positions", "1,7", "--layers", "2"]),
    (dict(intervention="skip"), ["--intervention", "skip"]),
]


@pytest.fixture(scope="module")
def cli_sweeps(tmp_path_factory, demo):
    """Each sweep of SWEEPS run by the CLI, with the demo model's thread count."""
    folders = []
    for i, (_, args) in enumerate(SWEEPS):
        out = tmp_path_factory.mktemp(f"cli-sweep-{i}")
        run_cli("sweep", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompt", PROMPT, "--target", "behind", *args,
                "--out", str(out))
        folders.append(out)
    return folders


@pytest.mark.parametrize("case", range(len(SWEEPS)))
def test_sweep_equals_the_cli_runs_and_summary(demo, cli_sweeps, case):
    kwargs, _ = SWEEPS[case]
    folder = cli_sweeps[case]
    r = demo.sweep(PROMPT, "behind", **kwargs)
    for table, frame in (("runs", r.runs), ("summary", r.summary)):
        path = folder / f"{table}.csv"
        # The same text the CLI wrote (the writers are shared), so the same frame as it read.
        assert getattr(r._raw, f"{table}_csv")() == path.read_text()
        pd.testing.assert_frame_equal(frame, bertscope.read_csv(path))
        # And the columns and numbers pandas' plain read_csv gives for the CLI's file.
        plain = pd.read_csv(path)
        assert list(frame.columns) == list(plain.columns)
        # prompt_id is text in our frame, though plain pandas reads the default ids "1" as numbers.
        numeric = [c for c in plain.select_dtypes("number").columns if c != "prompt_id"]
        pd.testing.assert_frame_equal(frame[numeric], plain[numeric], check_dtype=False)
    with open(folder / "results.json") as f:
        cli = json.load(f)
    ours = r.results
    assert ours["command"].startswith("python: Model.sweep(")
    for key in ("command",):
        del cli[key], ours[key]
    assert ours == cli
    assert r.clean == cli["clean"]
    assert r.prompts == cli["prompts"]


def test_the_clean_prediction_is_the_models_own(demo):
    r = demo.sweep(PROMPT, "behind", "zero", layers=0, top=5)
    clean = r.clean
    assert set(clean) >= {"target_logsoftmax", "target_prob", "target_rank", "loss", "top", "top_log_probs"}
    predicted = demo.predict(PROMPT, top=5)[0]
    assert clean["top"] == [t for t, _ in predicted]
    assert clean["loss"] == pytest.approx(-clean["target_logsoftmax"])
    assert list(r.runs["block"]) == [0] and len(r.summary) == 1


def test_cosine_to_clean_compares_the_last_blocks_output_at_the_mask(demo):
    """Against numpy on collected states: skipping every block L leaves, at the last block, the
    clean block L-1 output where block L's was; for earlier blocks the run goes on, so each
    value is checked against the skip's own edited state only in range. Scaling the last
    block keeps the direction; zeroing it leaves none (no value)."""
    import numpy as np

    last = demo.config["layers"] - 1
    states = demo.collect([PROMPT], [f"blocks.{last - 1}.out", f"blocks.{last}.out"], positions="mask")
    before, after = (states[f"blocks.{b}.out"][0].astype(np.float64) for b in (last - 1, last))
    expected = before @ after / np.sqrt((before @ before) * (after @ after))
    r = demo.sweep(PROMPT, "behind", ["skip", "scale", "zero"], layers=last, foil="in", top=1000)
    runs = r.runs.set_index("kind")
    assert runs.loc["skip", "cosine_to_clean"] == pytest.approx(expected, abs=1e-6)
    assert runs.loc["scale", "cosine_to_clean"] == pytest.approx(1.0, abs=1e-6)
    assert pd.isna(runs.loc["zero", "cosine_to_clean"])
    # logit_diff is the difference of the two words' log-probs (the normalizer cancels).
    foil = r.top[(r.top["token"] == "in") & r.top["intervention"].isna()]
    assert len(foil) == 1
    assert r.clean["logit_diff"] == pytest.approx(r.clean["target_logsoftmax"] - foil["log_prob"].iloc[0], abs=1e-5)
    every = demo.sweep(PROMPT, "behind", "noise", trials=3)
    assert every.runs["cosine_to_clean"].between(-1.0, 1.0).all()
    assert every.summary["cosine_to_clean_mean"].notna().all()


def test_several_interventions_in_one_sweep(demo):
    r = demo.sweep(PROMPT, "behind", ["shuffle", "noise"], trials=2)
    layers = demo.config["layers"]
    assert list(r.runs["kind"]) == ["shuffle"] * 2 * layers + ["noise"] * 2 * layers
    assert list(r.runs["intervention"]) == [0] * 2 * layers + [1] * 2 * layers
    assert list(r.summary["kind"]) == ["shuffle"] * layers + ["noise"] * layers


def test_two_noise_arms_are_independent_unless_paired(demo):
    # The same kind twice: distinct labels, and their own random streams (keyed by index).
    r = demo.sweep(PROMPT, "behind", ["noise", "noise"], trials=3, layers=1)
    assert list(r.summary["label"]) == ["noise x2 (vector std) #0", "noise x2 (vector std) #1"]
    arms = [r.runs[r.runs["intervention"] == i]["noise_std"].to_numpy() for i in (0, 1)]
    assert (arms[0] != arms[1]).all()
    paired = demo.sweep(PROMPT, "behind", ["noise", "noise"], trials=3, layers=1, paired=True)
    arms = [paired.runs[paired.runs["intervention"] == i]["noise_std"].to_numpy() for i in (0, 1)]
    assert (arms[0] == arms[1]).all()
    assert paired.options["paired"] and not r.options["paired"]


def test_a_prompt_files_ids_name_every_row(demo, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "p.jsonl").write_text(
        '{"text": "%s", "target": "behind", "id": "007"}\n{"text": "The capital of France is [MASK].", "target": "paris"}\n'
        % PROMPT)
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "ids"\nlayers = "0"\nprompts_file = "data/p.jsonl"\n[[interventions]]\nkind = "zero"\n')
    r = bertscope.run_spec(str(spec), model=demo)
    assert [p["id"] for p in r.prompts] == ["007", "2"]
    # Ids are text: "007" keeps its zeros, and the default "2" is a string too.
    assert list(r.prompts_table["prompt_id"]) == ["007", "2"]
    assert list(r.runs["prompt_id"]) == ["007", "2"]
    assert list(r.summary[["prompt", "prompt_id"]].itertuples(index=False, name=None)) == [(0, "007"), (1, "2")]


def test_runs_and_distributions_join_on_the_block_column(demo, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "join"\ntrials = 1\n[[prompts]]\ntext = "%s"\ntarget = "behind"\n'
                    '[[interventions]]\nkind = "zero"\n[distributions]\nbins = 10\n' % PROMPT)
    r = bertscope.run_spec(str(spec), out=tmp_path / "out", model=demo)
    runs = bertscope.read_csv(tmp_path / "out" / "runs.csv")
    states = bertscope.read_csv(tmp_path / "out" / "distributions.csv")
    states = states[states["series"] == "all"]
    joined = runs.merge(states, on=["prompt", "block"], suffixes=("", "_state"))
    layers = demo.config["layers"]
    assert list(joined["block"]) == list(range(layers))
    # block L of runs.csv is the output of block L, whose hook site distributions.csv names.
    assert list(joined["site_state"]) == [f"blocks.{b}.out" for b in range(layers)]
    assert list(joined["site"]) == list(joined["site_state"])
    # The embeddings are named explicitly and have no block.
    embed = states[states["site"] == "embed.out"]
    assert len(embed) == 1 and embed["block"].isna().all()
    # Undefined is empty, not 0: one trial has no std or interval; zero adds no noise.
    summary = r.summary
    assert summary["target_logsoftmax_std"].isna().all() and summary["target_logsoftmax_ci95_low"].isna().all()
    assert runs["noise_std"].isna().all()
    # Floats are floats even where every value is whole.
    assert summary["share_top1_target"].dtype.kind == "f"
    assert pd.read_csv(tmp_path / "out" / "summary.csv")["share_top1_target"].dtype.kind == "f"
    # The prompts table says what the rows refer to; top.csv holds the top-k with log-probs.
    prompts = bertscope.read_csv(tmp_path / "out" / "prompts.csv")
    assert prompts.loc[0, "text"] == PROMPT and prompts.loc[0, "target"] == "behind"
    top = r.top
    clean = top[top["intervention"].isna()]
    assert list(clean["rank"]) == [1, 2, 3, 4, 5]
    assert list(clean["token"]) == r.clean["top"]
    assert list(clean["log_prob"]) == pytest.approx(r.clean["top_log_probs"])


def test_run_spec_equals_bertscope_run_and_writes_the_same_files(demo, tmp_path):
    spec = os.path.join(SOURCE_DIR, "examples", "noisy-and-shuffled.toml")
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    run_cli("run", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), spec, "--out", str(cli_out))
    r = bertscope.run_spec(spec, out=py_out, model=demo)
    assert sorted(os.path.basename(f) for f in r.files) == sorted(os.listdir(cli_out))
    for name in ("prompts.csv", "runs.csv", "top.csv", "summary.csv", "distributions.csv", "histograms.csv"):
        assert (py_out / name).read_text() == (cli_out / name).read_text(), name
    pd.testing.assert_frame_equal(r.runs, bertscope.read_csv(cli_out / "runs.csv"))
    pd.testing.assert_frame_equal(r.distributions, bertscope.read_csv(cli_out / "distributions.csv"))
    pd.testing.assert_frame_equal(r.histograms, bertscope.read_csv(cli_out / "histograms.csv"))
    assert r.options["trials"] == 100 and r.model["demo_model"]
    assert "noisy-and-shuffled" in repr(r)
    # Without out=, nothing is written until save().
    again = bertscope.run_spec(spec, model=demo)
    assert again.files == []
    written = again.save(tmp_path / "later")
    assert sorted(os.path.basename(f) for f in written) == sorted(os.listdir(cli_out))
    assert (tmp_path / "later" / "summary.csv").read_text() == (cli_out / "summary.csv").read_text()


def test_run_spec_loads_the_model_itself(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "tiny"\ntrials = 2\n[[prompts]]\ntext = "a [MASK] b"\ntarget = "the"\n'
                    '[[interventions]]\nkind = "noise"\n')
    r = bertscope.run_spec(str(spec), model=reference_model_dir("tiny-fp32"))
    assert r.model["config"]["num_hidden_layers"] == 2
    assert len(r.runs) == 2 * 2 and r.distributions is None
    r = bertscope.run_spec(spec)
    assert os.path.samefile(r.model["path"], DEMO_MODEL)


def test_read_csv_keeps_tokens_that_look_like_missing_values():
    import io
    text = ("prompt,intervention,kind,label,site,block,trial,target_logsoftmax,target_prob,target_rank,loss,"
            "kl_from_clean,top1,top1_is_punctuation,noise_std\n"
            "0,0,noise,nan,blocks.0.out,0,0,,0.5,1,inf,0.0,null,0,\n")
    frame = bertscope._result._frame(text)
    assert frame.loc[0, "top1"] == "null" and frame.loc[0, "label"] == "nan"
    assert pd.isna(frame.loc[0, "target_logsoftmax"]) and frame.loc[0, "loss"] == float("inf")
    assert pd.isna(frame.loc[0, "noise_std"])
    assert frame["block"].dtype.kind == "i"
    del io


def test_the_gil_is_released_during_a_sweep(demo):
    # A second Python thread counts while the sweep runs: it can only do so if the sweep
    # does not hold the GIL.
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=count)
    thread.start()
    try:
        time.sleep(0.05)
        before = counter[0]
        start = time.perf_counter()
        demo.sweep(PROMPT, "behind", "noise", trials=300)
        elapsed = time.perf_counter() - start
        during = counter[0] - before
    finally:
        stop.set()
        thread.join()
    assert elapsed > 0.2, "the sweep is too short to tell"
    assert during > 10000, f"the other thread counted only {during} in {elapsed:.2f} s of sweep"


def test_ctrl_c_interrupts_a_long_sweep(demo):
    # SIGINT (what Ctrl-C or Jupyter's interrupt button sends) during the sweep: it stops at
    # the next batch with KeyboardInterrupt, long before the end.
    done = []
    first_batch = threading.Event()

    def progress(d, total):
        done.append((d, total))
        first_batch.set()

    def interrupt():
        first_batch.wait(30)
        os.kill(os.getpid(), signal.SIGINT)

    killer = threading.Thread(target=interrupt)
    killer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            demo.sweep(PROMPT, "behind", "noise", trials=200000, max_batch_tokens=256, progress=progress)
    finally:
        killer.join()
    last, total = done[-1]
    assert last < total / 10, f"it ran {last} of {total} trials"


def test_an_exception_in_the_progress_callback_stops_the_sweep(demo, tmp_path):
    calls = []

    def progress(d, total):
        calls.append(d)
        if len(calls) == 2:
            raise RuntimeError("enough")

    out = tmp_path / "never"
    with pytest.raises(RuntimeError, match="enough"):
        demo.sweep(PROMPT, "behind", "noise", trials=100, max_batch_tokens=64, out=out, progress=progress)
    assert len(calls) == 2
    assert not out.exists()  # as the CLI: a failed run leaves no output folder behind


def test_progress_counts_every_trial(demo):
    seen = []
    demo.sweep(PROMPT, "behind", ["noise", "zero"], trials=30, max_batch_tokens=100,
               progress=lambda d, t: seen.append((d, t)))
    total = demo.config["layers"] * 31
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_out_writes_the_cli_files(demo, tmp_path, cli_sweeps):
    r = demo.sweep(PROMPT, "behind", "noise", trials=5, seed=3, out=tmp_path / "noise")
    assert sorted(os.listdir(tmp_path / "noise")) == sorted(os.listdir(cli_sweeps[0]))
    assert sorted(r.files) == sorted(str(tmp_path / "noise" / n) for n in os.listdir(tmp_path / "noise"))
    assert (tmp_path / "noise" / "runs.csv").read_text() == (cli_sweeps[0] / "runs.csv").read_text()


BAD = [
    (dict(prompt="Pay no attention to that man behind the curtain!"), []),
    (dict(prompt="[MASK] and [MASK]"), []),
    (dict(target="unbelievably"), []),
    (dict(target="\u2603"), []),
    (dict(intervention="blur"), []),
    (dict(intervention="mix"), []),
    (dict(layers="7"), ["--layers", "7"]),
    (dict(layers="2-x"), ["--layers", "2-x"]),
    (dict(site="mlp.nothing"), ["--site", "mlp.nothing"]),
    (dict(positions="first"), ["--positions", "first"]),
    (dict(intervention="noise", std_of="absolute", factor=-1.0), ["--std-of", "absolute", "--factor", "-1"]),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_errors_carry_the_cli_message(demo, case, tmp_path):
    kwargs, extra = BAD[case]
    options = dict(prompt=PROMPT, target="behind", intervention="zero")
    options.update(kwargs)
    with pytest.raises(bertscope.Error) as e:
        demo.sweep(**options)
    args = ["sweep", "--prompt", options["prompt"], "--target", options["target"], "--intervention",
            options["intervention"], *extra, "--out", str(tmp_path / "out")]
    assert str(e.value) == python_words(cli_error(*args))


def test_an_unusable_out_folder_fails_before_the_sweep_with_the_cli_message(demo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "out"
    start = time.perf_counter()
    with pytest.raises(bertscope.Error) as e:
        demo.sweep(PROMPT, "behind", "noise", trials=100000, out=out)
    assert time.perf_counter() - start < 5
    assert str(e.value) == cli_error("sweep", "--prompt", PROMPT, "--target", "behind", "--intervention", "noise",
                                     "--out", str(out))


def test_a_bad_spec_has_the_cli_message(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text("trails = 3\n")
    with pytest.raises(bertscope.Error) as e:
        bertscope.run_spec(spec)
    assert str(e.value) == cli_error("run", str(spec))


FRANCE = "The capital of France is [MASK]."


def test_a_sweep_over_a_list_of_prompts_equals_the_cli_over_a_prompt_file(demo, tmp_path):
    rows = [dict(text=PROMPT, target="behind", foil="in"), dict(text=FRANCE, target="paris", foil="the")]
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "cli"
    run_cli("sweep", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompts", str(path),
            "--intervention", "noise", "--trials", "3", "--layers", "0,2", "--out", str(out))
    listed = demo.sweep([r["text"] for r in rows], [r["target"] for r in rows], "noise",
                        foil=[r["foil"] for r in rows], trials=3, layers=[0, 2])
    from_file = demo.sweep(path, intervention="noise", trials=3, layers=[0, 2])
    for r in (listed, from_file):
        for table in ("runs", "summary", "top"):
            assert getattr(r._raw, f"{table}_csv")() == (out / f"{table}.csv").read_text(), table
        assert [p["id"] for p in r.prompts] == ["1", "2"]
        assert len(r.clean) == 2
    assert listed.results["command"] == "python: Model.sweep(<2 prompts>, <2 targets>, 'noise', foil=<2 foils>, trials=3, layers=[0, 2])"
    # One target for every prompt, given once.
    same = demo.sweep([PROMPT, PROMPT.replace("man", "woman")], "behind", "zero", layers=1)
    assert list(same.prompts_table["target"]) == ["behind", "behind"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(prompt=[PROMPT, FRANCE], target=["behind"]), "target has 1 words for 2 prompts"),
    (dict(prompt=[PROMPT, FRANCE], target="behind", foil=["in", "the", "a"]), "foil has 3 words for 2 prompts"),
    (dict(prompt=[], target="behind"), "prompt is an empty list"),
])
def test_a_list_of_prompts_needs_a_word_for_each(demo, kwargs, message):
    with pytest.raises(bertscope.Error, match=message):
        demo.sweep(intervention="zero", **kwargs)


def test_a_prompt_files_rows_give_their_own_targets(demo, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text(PROMPT + "\n")
    with pytest.raises(bertscope.Error, match="a prompt file's rows give their targets"):
        demo.sweep(str(path), "behind", "zero")
    with pytest.raises(TypeError, match="needs an intervention"):
        demo.sweep(PROMPT, "behind")
    with pytest.raises(TypeError, match="needs a target"):
        demo.sweep([PROMPT], intervention="zero")
    with pytest.raises(TypeError, match="target must be a str or a list of str"):
        demo.sweep([PROMPT], 3, "zero")


def test_stats_equals_the_cli_stats(demo, tmp_path):
    out = tmp_path / "cli"
    run_cli("stats", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompt", PROMPT, "--bins", "12",
            "--low", "-3", "--seed", "5", "--out", str(out))
    r = demo.stats(PROMPT, bins=12, low=-3, seed=5)
    assert r._raw.distributions_csv() == (out / "distributions.csv").read_text()
    assert r._raw.histograms_csv() == (out / "histograms.csv").read_text()
    pd.testing.assert_frame_equal(r.distributions, bertscope.read_csv(out / "distributions.csv"))
    assert r.results["command"] == "python: Model.stats('%s', bins=12, low=-3, seed=5)" % PROMPT
    # Several prompts: each one's states, named by its id; the options say what a stats run may take.
    both = demo.stats([PROMPT, FRANCE])
    assert sorted(set(both.distributions["prompt_id"])) == ["1", "2"]
    with pytest.raises(TypeError, match="trials"):
        demo.stats(PROMPT, trials=3)


def test_the_figures_option_chooses_what_is_drawn(demo, tmp_path):
    def drawn(setting):
        r = demo.sweep([PROMPT, FRANCE], ["behind", "paris"], ["zero", "scale"], layers=[0, 1], figures=setting,
                       out=tmp_path / setting)
        names = sorted(os.path.basename(f) for f in r.files)
        assert "report.html" in names and "summary.csv" in names
        return [n for n in names if n.endswith(".svg")]
    assert drawn("summary") == ["grid-all-prompts.svg", "target-logsoftmax-all-prompts.svg"]
    assert drawn("none") == []
    everything = drawn("all")
    assert "grid-all-prompts.svg" in everything and "top1-prompt1.svg" in everything
    assert drawn("auto") == everything  # two prompts: all of them
    with pytest.raises(bertscope.Error, match="figures"):
        demo.sweep(PROMPT, "behind", "zero", figures="some")


def test_runs_record_the_noise_sigma_configured_beside_the_std_drawn(demo):
    """noise_sigma is factor x the std the noise is scaled by (here the [MASK] vector's own,
    torch's unbiased h.std()), read off the clean state by hand; noise_std is what the draws
    came to, near it."""
    text = "Pay no attention to that man [MASK] the curtain!"
    r = demo.sweep(text, "behind", "noise", trials=3, factor=1.5, seed=4)
    _, cache = demo.run_with_cache(text)
    mask = demo.encode(text)[0].index("[MASK]")
    runs = r.runs
    for block in range(demo.config["layers"]):
        rows = runs[runs["block"] == block]
        expected = 1.5 * np.std(cache[f"blocks.{block}.out"][mask].astype(np.float64), ddof=1)
        np.testing.assert_allclose(rows["noise_sigma"], expected, rtol=1e-5)
        np.testing.assert_allclose(rows["noise_std"], expected, rtol=0.25)
    assert r.summary["noise_sigma_mean"].notna().all()
    zero = demo.sweep(text, "behind", "zero")
    assert zero.runs["noise_sigma"].isna().all()
