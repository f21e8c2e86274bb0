"""bertscope.Result: what Model.sweep and run_spec return, with its tables as DataFrames."""
from __future__ import annotations

import functools
import io
import json
import os
from typing import Any, Dict, List, Optional, Union

# Columns that hold text. Every other column is numeric, with an empty cell for a value that
# is undefined (docs/results.md): a vocabulary has tokens such as "null", "nan" and "na",
# which pandas would otherwise read as missing values.
# prompt_id is text even when every id is a default number ("1", "2"): ids from a file may be any string.
_TEXT_COLUMNS = {"prompt_id", "kind", "label", "site", "top1", "token", "top1_most_frequent", "series", "text", "target",
                 "tokens", "clean_top1", "foil", "other_prompt"}
def _frame(text: str) -> "pandas.DataFrame":
    import pandas as pd

    header = text.split("\n", 1)[0].split(",")
    numeric = [c for c in header if c not in _TEXT_COLUMNS]
    # A whole-number column with an empty cell (the embeddings' block) reads as float, as
    # pandas reads it anyway; it still joins with the integer column of another file.
    return pd.read_csv(io.StringIO(text), keep_default_na=False,
                       na_values={c: ["", "nan", "-nan"] for c in numeric},
                       dtype={c: str for c in header if c in _TEXT_COLUMNS})


def read_csv(path: Union[str, "os.PathLike[str]"]) -> "pandas.DataFrame":
    """Reads one of the CSV files bertscope writes (prompts.csv, runs.csv, top.csv, summary.csv,
    distributions.csv, histograms.csv) into the DataFrame Result gives for it: text columns stay text (a top-1
    token "null" is not a missing value), numbers are numbers."""
    with open(path, encoding="utf-8") as f:
        return _frame(f.read())


class _Folder:
    """The tables of an output folder a run wrote (results.json, runs.csv, ...), read as a
    Result reads them from memory."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        path = os.path.join(folder, "results.json")
        if not os.path.isfile(path):
            from ._bertscope import Error
            raise Error(f"{folder}: not the output folder of a run: it has no results.json")
        with open(path, encoding="utf-8") as f:
            self._results = f.read()
        self.files = sorted(os.path.join(folder, name) for name in os.listdir(folder))

    def _read(self, name: str) -> str:
        path = os.path.join(self._folder, name)
        if not os.path.isfile(path):
            from ._bertscope import Error
            raise Error(f"{self._folder}: this run wrote no {name}")
        with open(path, encoding="utf-8") as f:
            return f.read()

    def results_json(self) -> str:
        return self._results

    def header_json(self) -> str:
        results = json.loads(self._results)
        results.pop("runs", None)
        results.pop("summary", None)
        return json.dumps(results)

    def runs_csv(self) -> str:
        return self._read("runs.csv")

    def top_csv(self) -> str:
        return self._read("top.csv")

    def prompts_csv(self) -> str:
        return self._read("prompts.csv")

    def summary_csv(self) -> str:
        return self._read("summary.csv")

    def distributions_csv(self) -> str:
        return self._read("distributions.csv")

    def histograms_csv(self) -> str:
        return self._read("histograms.csv")

    def has_distributions(self) -> bool:
        return os.path.isfile(os.path.join(self._folder, "distributions.csv"))

    def has_log_probs(self) -> bool:  # no file holds per-trial arrays
        return False

    def has_metric(self) -> bool:
        return False

    def has_sites(self) -> bool:
        return False

    def save(self, folder: str) -> List[str]:
        from ._bertscope import Error
        raise Error(f"this result was read from {self._folder}, where it is saved already: copy that folder")


class Result:
    """The result of Model.sweep or bertscope.run_spec: what the CLI writes to its output
    folder, in memory.

    runs: DataFrame, one row per prompt x intervention x block x trial (the columns of runs.csv).
    top: DataFrame, long format: the top-k tokens and log-probs of every run and clean run (top.csv).
    summary: DataFrame, one row per prompt x intervention x block (summary.csv).
    prompts_table: DataFrame, one row per prompt: id, text, target, tokens, clean prediction (prompts.csv).
    Every column is described in docs/results.md.
    clean: the clean prediction: dict with target_logsoftmax, target_prob, target_rank, loss,
        top (tokens) and top_log_probs; a list of them, one per prompt, for several prompts.
    prompts: list of dicts: index, id (the prompt's id, as prompt_id in the tables), text, target,
        other_prompt (when given), tokens, ids (token ids), mask_index, target_id, clean.
    results: everything, as results.json holds it.
    distributions, histograms: DataFrames of distributions.csv and histograms.csv when the
        experiment measured hidden-state distributions, else None.
    files: the files written by the call (out=...); save(folder) writes them later.
    log_probs, clean_log_probs: with return_logits=True, every trial's and every prompt's
        clean prediction row (log-softmax) as float32 arrays, rows in the order of runs; else None.
    sites, clean_sites, site_positions: with return_sites=[...], every trial's and every
        prompt's activations at those sites ({site: float32 [rows, positions, width]}) and the
        token positions kept ([prompts, positions]); else None.
    Result.open(folder) reads a run's output folder back (its tables, without per-trial arrays).
    """

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @classmethod
    def open(cls, folder: Union[str, "os.PathLike[str]"]) -> "Result":
        """The result in an output folder that a run wrote (bertscope run, sweep, merge,
        Model.sweep(out=...), bertscope.merge): its tables read from the files. results
        holds what results.json holds (its runs are capped for large runs; runs has them all)."""
        return cls(_Folder(os.fspath(folder)))

    @functools.cached_property
    def results(self) -> dict:
        """Everything, as in results.json: model, options, prompts, clean, runs, summary."""
        return json.loads(self._raw.results_json())

    @functools.cached_property
    def _header(self) -> dict:
        return json.loads(self._raw.header_json())

    @property
    def options(self) -> dict:
        """The experiment's options (name, seed, trials, layers, site, top, interventions), as in
        results.json."""
        return self._header["options"]

    @property
    def model(self) -> dict:
        """The model it ran on: path, demo_model, dtype, config, as in results.json."""
        return self._header["model"]

    @property
    def prompts(self) -> List[dict]:
        return self._header["prompts"]

    @property
    def clean(self) -> Union[dict, List[dict], None]:
        prompts = self.prompts
        if not prompts:
            return None
        return prompts[0]["clean"] if len(prompts) == 1 else [p["clean"] for p in prompts]

    @functools.cached_property
    def runs(self) -> "pandas.DataFrame":
        """One row per prompt x intervention x block x trial: the columns of runs.csv (and
        `metric` when the sweep was given one)."""
        runs = _frame(self._raw.runs_csv())
        if self._raw.has_metric():
            runs["metric"] = self._raw.metric_runs()
        return runs

    @functools.cached_property
    def log_probs(self) -> Optional["numpy.ndarray"]:
        """[len(runs), vocab] float32: each trial's prediction row, log-softmax, in the order of
        runs (return_logits=True), else None."""
        return self._raw.take_log_probs() if self._raw.has_log_probs() else None

    @functools.cached_property
    def clean_log_probs(self) -> Optional["numpy.ndarray"]:
        """[prompts, vocab] float32: each prompt's clean prediction row, log-softmax
        (return_logits=True), else None."""
        return self._raw.clean_log_probs() if self._raw.has_log_probs() else None

    @functools.cached_property
    def sites(self) -> Optional[Dict[str, "numpy.ndarray"]]:
        """{site: [len(runs), positions, width] float32}: each trial's activations at the sites of
        return_sites, after its edit, in the order of runs; positions are site_positions (a
        prompt that kept fewer is NaN-padded). None without return_sites."""
        return dict(self._raw.take_sites()) if self._raw.has_sites() else None

    @functools.cached_property
    def clean_sites(self) -> Optional[Dict[str, "numpy.ndarray"]]:
        """{site: [prompts, positions, width] float32}: each prompt's clean activations at the
        sites of return_sites. None without return_sites."""
        return dict(self._raw.clean_sites()) if self._raw.has_sites() else None

    @functools.cached_property
    def site_positions(self) -> Optional["numpy.ndarray"]:
        """[prompts, positions] int64: the token positions of the kept rows (-1: padding). None
        without return_sites."""
        return self._raw.site_positions() if self._raw.has_sites() else None

    @functools.cached_property
    def top(self) -> "pandas.DataFrame":
        """Long format: prompt, intervention, block, trial, rank, token, token_id, log_prob (top.csv);
        the clean run's rows have no intervention, block or trial."""
        return _frame(self._raw.top_csv())

    @functools.cached_property
    def prompts_table(self) -> "pandas.DataFrame":
        """One row per prompt: text, target, tokens, the clean prediction (prompts.csv)."""
        return _frame(self._raw.prompts_csv())

    @functools.cached_property
    def summary(self) -> "pandas.DataFrame":
        """One row per prompt x intervention x block: the columns of summary.csv (and
        clean_metric, metric_mean, _std, _ci95_low, _ci95_high when the sweep was given a metric)."""
        summary = _frame(self._raw.summary_csv())
        if self._raw.has_metric():
            for name, values in self._raw.metric_summary().items():
                summary[name] = values
        return summary

    @functools.cached_property
    def distributions(self) -> Optional["pandas.DataFrame"]:
        """Long format, per prompt x hidden state x series: moments and tails (distributions.csv), or None."""
        return _frame(self._raw.distributions_csv()) if self._raw.has_distributions() else None

    @functools.cached_property
    def histograms(self) -> Optional["pandas.DataFrame"]:
        """Long format: prompt, block, site, series, bin edges, count, density (histograms.csv), or None."""
        return _frame(self._raw.histograms_csv()) if self._raw.has_distributions() else None

    @property
    def files(self) -> List[str]:
        return list(self._raw.files)

    def save(self, folder: Union[str, "os.PathLike[str]"]) -> List[str]:
        """Writes the CLI's files to folder (results.json, runs.csv, summary.csv, figures as SVG
        and PNG, report.html), each atomically, and returns their paths."""
        return self._raw.save(os.fspath(folder))

    def __repr__(self) -> str:
        options = self.options
        kinds = ", ".join(i["label"] for i in options["interventions"]) or "distributions only"
        return f"<bertscope.Result {options['name']!r}: {kinds}; {len(self.prompts)} prompt(s), layers {options['layers']}>"
