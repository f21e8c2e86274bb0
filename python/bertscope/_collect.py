"""bertscope.Collection: what Model.collect returns, activations as rows of (prompt, position)."""
import io

import numpy as np
import pandas as pd


class Collection:
    """Activations at hook sites over many prompts, one row per (prompt, position).

    activations: {site name: float32 array [rows, width]} (per-head sites: heads x head_dim flattened)
    rows: DataFrame with the prompt (0-based index), prompt_id, position and token of each row
    texts, prompt_ids: the prompts, in order
    """

    def __init__(self, raw):
        self.activations = dict(raw["activations"])
        self.texts = list(raw["texts"])
        self.prompt_ids = list(raw["prompt_ids"])
        self.positions = raw["positions"]
        prompt = np.asarray(raw["prompt"])
        self.rows = pd.DataFrame({
            "prompt": prompt,
            "prompt_id": pd.Series([self.prompt_ids[p] for p in prompt], dtype="string"),
            "position": np.asarray(raw["position"]),
            "token": pd.Series(raw["token"], dtype="string"),
        })

    @property
    def sites(self):
        return list(self.activations)

    def __getitem__(self, site):
        return self.activations[site]

    def per_prompt(self, site):
        """[prompts, width]: each prompt's rows at `site` averaged (one row per prompt when it has one)."""
        values = self.activations[site]
        prompt = self.rows["prompt"].to_numpy()
        out = np.zeros((len(self.texts), values.shape[1]), dtype=np.float64)
        np.add.at(out, prompt, values)
        counts = np.bincount(prompt, minlength=len(self.texts))
        return (out / counts[:, None]).astype(np.float32)

    def __repr__(self):
        return (f"<bertscope.Collection {len(self.rows)} rows of {len(self.texts)} prompt(s) at {self.positions}, "
                f"{len(self.activations)} site(s)>")


class NeuronStats:
    """What Model.neuron_stats returns: the tables `bertscope neurons` writes, as DataFrames.

    units: one row per unit of every site (units.csv: means, t, df, p, p_fdr, p_bonferroni, cohen_d,
        significant_fdr, significant_bonferroni, higher_in)
    blocks: one row per site (blocks.csv: tested units, significant ones and their share, per set)
    files: the files written with `out=`, else []
    """

    def __init__(self, units_csv, blocks_csv, files):
        decisions = ("significant_fdr", "significant_bonferroni")
        self.units = _frame(units_csv, {"site": "string", "higher_in": "string", **{c: str for c in decisions}})
        for column in decisions:
            self.units[column] = self.units[column].map({"true": True, "false": False}).astype(bool)
        self.blocks = _frame(blocks_csv, {"site": "string"})
        self.files = list(files)

    def significant(self, label):
        """The FDR-significant units higher in the set `label`: the rows units_file = "units.csv:LABEL" edits."""
        u = self.units
        return u[u["significant_fdr"] & (u["higher_in"] == label)]

    def __repr__(self):
        return f"<bertscope.NeuronStats {len(self.units)} units of {len(self.blocks)} site(s)>"


def _frame(text, dtypes):
    return pd.read_csv(io.StringIO(text), dtype=dtypes, keep_default_na=False, na_values=[""])
