"""bertscope.Result: what Model.sweep and run_spec return, with its tables as DataFrames."""
from __future__ import annotations

import functools
import io
import json
import os
from typing import Any, List, Optional, Union

# Columns that hold text. Every other column is numeric, with "nan" for a missing value: a
# vocabulary has tokens such as "null", "nan" and "na", which pandas would otherwise read as
# missing values.
_TEXT_COLUMNS = {"intervention", "label", "top1", "top", "top1_most_frequent", "name", "series"}


def _frame(text: str) -> "pandas.DataFrame":
    import pandas as pd

    header = text.split("\n", 1)[0].split(",")
    numeric = [c for c in header if c not in _TEXT_COLUMNS]
    return pd.read_csv(io.StringIO(text), keep_default_na=False,
                       na_values={c: ["nan", "-nan"] for c in numeric},
                       dtype={c: str for c in header if c in _TEXT_COLUMNS})


def read_csv(path: Union[str, "os.PathLike[str]"]) -> "pandas.DataFrame":
    """Reads one of the CSV files bertscope writes (runs.csv, summary.csv, distributions.csv,
    histograms.csv) into the DataFrame Result gives for it: text columns stay text (a top-1
    token "null" is not a missing value), numbers are numbers."""
    with open(path, encoding="utf-8") as f:
        return _frame(f.read())


class Result:
    """The result of Model.sweep or bertscope.run_spec: what the CLI writes to its output
    folder, in memory.

    runs: DataFrame, one row per prompt x intervention x layer x trial (the columns of runs.csv).
    summary: DataFrame, one row per prompt x intervention x layer (summary.csv).
    clean: the clean prediction: dict with target_logsoftmax, target_prob, target_rank, loss,
        top (tokens) and top_log_probs; a list of them, one per prompt, for several prompts.
    prompts: list of dicts: text, target, tokens, ids, mask_index, target_id, clean.
    results: everything, as results.json holds it.
    distributions, histograms: DataFrames of distributions.csv and histograms.csv when the
        experiment measured hidden-state distributions, else None.
    files: the files written by the call (out=...); save(folder) writes them later.
    """

    def __init__(self, raw: Any) -> None:
        self._raw = raw

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
        """One row per prompt x intervention x layer x trial: the columns of runs.csv."""
        return _frame(self._raw.runs_csv())

    @functools.cached_property
    def summary(self) -> "pandas.DataFrame":
        """One row per prompt x intervention x layer: the columns of summary.csv."""
        return _frame(self._raw.summary_csv())

    @functools.cached_property
    def distributions(self) -> Optional["pandas.DataFrame"]:
        """Per prompt x hidden state: moments and tails (distributions.csv), or None."""
        return _frame(self._raw.distributions_csv()) if self._raw.has_distributions() else None

    @functools.cached_property
    def histograms(self) -> Optional["pandas.DataFrame"]:
        """Long format: prompt, state, series, bin edges, count, density (histograms.csv), or None."""
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
