"""Type stubs of bertscope's extension module (the docstrings are the module's own: help())."""
import os
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt
import pandas

from ._collect import Collection, NeuronStats
from ._result import Result
from ._weights import Weights

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
FloatArray = npt.NDArray[np.float32]
HookFn = Callable[[str, FloatArray], Optional[npt.ArrayLike]]
Hooks = Union[Mapping[str, HookFn], Sequence[Tuple[str, HookFn]]]
Progress = Callable[[int, int], None]

class Error(ValueError):
    """A bad model file, option, prompt or spec, with the CLI's one-line message."""

def load(path: Optional[PathLike] = None, dtype: str = "auto", threads: Optional[int] = None) -> Model:
    """Load a masked-LM checkpoint of any supported family (None: $BERTSCOPE_MODEL, else the demo model)."""

def options() -> List[Dict[str, object]]:
    """The experiment options, as one table that the CLI, specs and Model.sweep all read."""

def run_spec(spec: Union[PathLike, str, Mapping[str, object]], out: Optional[PathLike] = None, model: Union[Model, PathLike, None] = None,
             dtype: str = "auto", threads: Optional[int] = None, progress: Optional[Progress] = None,
             shard: Union[str, Tuple[int, int], None] = None, return_logits: bool = False,
             metric: Optional[Callable[[npt.NDArray[np.float32]], float]] = None,
             return_sites: Union[str, Sequence[str], None] = None,
             site_positions: Union[str, int, Sequence[int], None] = None) -> Any:
    """Run an experiment spec (a TOML file, TOML text or a dict), as `bertscope run SPEC`: a Result;
    with shard="K/N", only shard K of N into a shard folder, and a dict of its shard.json."""

def merge(shards: Sequence[PathLike], *, out: PathLike, model: Union[Model, PathLike, None] = None,
          threads: Optional[int] = None) -> Result:
    """Merge the shard folders of one run into the folder the unsharded run writes, as `bertscope merge`."""

@overload
def read_safetensors(path: PathLike, *, metadata: Literal[False] = False) -> Dict[str, npt.NDArray[Any]]:
    """A safetensors file (dump, collect, weights) as {name: numpy array}; bf16 widened to float32."""
@overload
def read_safetensors(path: PathLike, *, metadata: Literal[True]) -> Tuple[Dict[str, npt.NDArray[Any]], Dict[str, str]]:
    """(arrays, the file's metadata)."""

def compare_units(a: npt.ArrayLike, b: npt.ArrayLike, *, test: str = "student", alpha: float = 0.05) -> Dict[str, object]:
    """Per-unit t-tests of two sets of activations (rows x units), with FDR and Bonferroni corrections.

    Returns {mean_a, mean_b, t, df, p, p_fdr, p_bonferroni, cohen_d: float64 arrays,
    significant_fdr, significant_bonferroni: bool arrays, tested: int, test: str, alpha: float}."""

class Model:
    @property
    def config(self) -> Dict[str, Union[int, float, str, bool]]:
        """layers, hidden, heads, head_dim, ffn, vocab, max_positions and config.json's fields."""
    @property
    def path(self) -> str: ...
    @property
    def dtype(self) -> str: ...
    @property
    def threads(self) -> int: ...
    @property
    def is_demo(self) -> bool: ...
    @property
    def weights(self) -> Weights:
        """The checkpoint's tensors by their HuggingFace names, as float32 numpy arrays."""
    def tokenize(self, text: str) -> Tuple[List[str], List[int]]:
        """Word pieces and ids without [CLS]/[SEP], as `bertscope tokenize --json`."""
    def encode(self, text: str) -> Tuple[List[str], List[int]]:
        """Word pieces and ids with [CLS]/[SEP]: the positions of the forward arrays."""
    def token(self, id: int) -> str: ...
    def token_id(self, token: str) -> int: ...
    def predict(self, text: str, top: int = 5) -> List[List[Tuple[str, float]]]:
        """One list per [MASK]: [(token, probability), ...], most probable first."""
    def hook_sites(self) -> List[str]: ...
    @overload
    def run_with_cache(self, text: str, sites: Union[str, Sequence[str], None] = None,
                       hooks: Optional[Hooks] = None) -> Tuple[FloatArray, Dict[str, FloatArray]]:
        """(logits [seq, vocab], {site: [seq, width]}; the per-head sites are 3-d, see `bertscope hooks`)."""
    @overload
    def run_with_cache(self, text: Sequence[str], sites: Union[str, Sequence[str], None] = None,
                       hooks: Optional[Hooks] = None
                       ) -> Tuple[FloatArray, Dict[str, FloatArray], npt.NDArray[np.int64]]:
        """(logits [batch, seq, vocab], {site: [batch, seq, width] or [batch, ...]}, lengths [batch])."""
    @overload
    def run_with_hooks(self, text: str, hooks: Hooks) -> FloatArray:
        """logits [seq, vocab]; each hook fn(name, h) edits h in place or returns a new array."""
    @overload
    def run_with_hooks(self, text: Sequence[str], hooks: Hooks) -> Tuple[FloatArray, npt.NDArray[np.int64]]:
        """(logits [batch, seq, vocab], lengths [batch])."""
    # The keyword-only options are the rows of bertscope.options() used by "sweep", with their
    # defaults (test_stubs.py checks both).
    def sweep(self, prompt: Union[str, Sequence[str], PathLike], target: Union[str, Sequence[str], None] = None,
              intervention: Union[str, Sequence[str], None] = None, *,
              out: Optional[PathLike] = None, progress: Optional[Progress] = None,
              foil: Union[str, Sequence[str], None] = None,
              return_logits: bool = False, metric: Optional[Callable[[npt.NDArray[np.float32]], float]] = None,
              return_sites: Union[str, Sequence[str], None] = None,
              site_positions: Union[str, int, Sequence[int], None] = None,
              layers: Union[str, int, Sequence[int]] = "all", site: str = "out", trials: int = 1, seed: int = 0,
              paired: bool = False, targets: Optional[Sequence[str]] = None, cosine_sites: Optional[Sequence[str]] = None,
              top: int = 5, max_batch_tokens: int = 2048,
              figures: str = "auto",
              factor: Optional[float] = None,
              std_of: str = "vector", other_prompt: Optional[str] = None,
              positions: Union[str, int, Sequence[int]] = "mask", heads: Union[str, int, Sequence[int], None] = None,
              units: Union[str, int, Sequence[int], None] = None, units_file: Optional[str] = None,
              direction_file: Optional[str] = None, direction_to: Optional[Sequence[str]] = None,
              direction_from: Optional[Sequence[str]] = None, components: int = 1, basis_prompts: Optional[Sequence[str]] = None,
              basis_file: Optional[str] = None,
              attend_to: int = 0, mean_prompts: Optional[Sequence[str]] = None,
              label: Optional[str] = None) -> Result:
        """An intervention sweep, as `bertscope sweep` with the same options."""
    def stats(self, prompt: Union[str, Sequence[str], PathLike], *, out: Optional[PathLike] = None,
              progress: Optional[Progress] = None, seed: int = 0, figures: str = "auto", noise_factor: float = 2.0,
              bins: int = 80,
              low: float = -4.0, high: float = 4.0) -> Result:
        """The clean hidden states against a Gaussian, as `bertscope stats` with the same options."""

    def collect(self, prompts: Union[Sequence[str], PathLike], sites: Union[str, Sequence[str]], *,
                positions: Union[str, int, Sequence[int]] = "mask", max_batch_tokens: int = 2048,
                progress: Optional[Progress] = None) -> Collection:
        """Activations at `sites` and `positions` over many prompts: one row per (prompt, position)."""
    def neuron_stats(self, prompts_a: Union[Sequence[str], PathLike], prompts_b: Union[Sequence[str], PathLike], *,
                     sites: Union[str, Sequence[str]] = "blocks.*.mlp.post", positions: Union[str, int, Sequence[int]] = "mask",
                     positions_b: Union[str, int, Sequence[int], None] = None, labels: Optional[Tuple[str, str]] = None,
                     test: str = "student", alpha: float = 0.05, out: Optional[PathLike] = None,
                     max_batch_tokens: int = 2048, progress: Optional[Progress] = None) -> NeuronStats:
        """Units of `sites` that tell two prompt sets apart, as `bertscope neurons`."""
    def gradients(self, text: str, target: Union[str, int], foil: Union[str, int, None] = None,
                  metric: Optional[str] = None, sites: Union[str, Sequence[str], None] = None) -> Dict[str, Any]:
        """d metric / d activations at hook sites and input embeddings: {metric, metric_name, position,
        tokens, ids, activations: {site: array}, gradients: {site: array}, input_embeddings, input_gradients}."""
    def saliency(self, prompt: str, target: str, *, foil: Optional[str] = None, steps: int = 64,
                 baseline: str = "pad") -> pandas.DataFrame:
        """Per-token integrated gradients, gradient x input and gradient norm, as `bertscope saliency`."""
    def head(self, h: npt.ArrayLike) -> FloatArray:
        """The prediction head on hidden states ([hidden] or [rows, hidden]): logits over the vocabulary."""
    def lens(self, prompt: str, target: Optional[str] = None, *, foil: Optional[str] = None,
             top: int = 5) -> pandas.DataFrame:
        """The logit lens at the [MASK], as `bertscope lens`: lens.csv as a DataFrame."""
    def patch_grid(self, prompt: str, other_prompt: str, target: str, *, foil: Optional[str] = None,
                   sites: Union[str, Sequence[str], None] = None, heads: bool = False,
                   units: Union[str, int, Sequence[int], None] = None, units_file: Optional[str] = None,
                   direction_file: Optional[str] = None, direction_to: Optional[Sequence[str]] = None,
                   direction_from: Optional[Sequence[str]] = None, components: int = 1,
                   basis_prompts: Optional[Sequence[str]] = None, basis_file: Optional[str] = None) -> pandas.DataFrame:
        """Activation patching, as `bertscope patch-grid`: patch-grid.csv as a DataFrame."""
    def attribution_patch(self, prompt: str, other_prompt: str, target: str, *, foil: Optional[str] = None,
                          sites: Union[str, Sequence[str], None] = None, heads: bool = False,
                          check: int = 0, qk_fix: bool = False,
                          units: Union[str, int, Sequence[int], None] = None, units_file: Optional[str] = None,
                          direction_file: Optional[str] = None, direction_to: Optional[Sequence[str]] = None,
                          direction_from: Optional[Sequence[str]] = None, components: int = 1,
                          basis_prompts: Optional[Sequence[str]] = None, basis_file: Optional[str] = None) -> pandas.DataFrame:
        """Attribution patching, as `bertscope attribute`: patch_grid's cells estimated from one backward pass."""

class _Weights:
    def get(self, name: str) -> FloatArray: ...
    def names(self) -> List[str]: ...
    def contains(self, name: str) -> bool: ...
    def shape(self, name: str) -> List[int]: ...
    def origin(self) -> str: ...

class _RawResult:
    files: List[str]
    def runs_csv(self) -> str: ...
    def summary_csv(self) -> str: ...
    def top_csv(self) -> str: ...
    def prompts_csv(self) -> str: ...
    def distributions_csv(self) -> str: ...
    def histograms_csv(self) -> str: ...
    def results_json(self) -> str: ...
    def header_json(self) -> str: ...
    def has_sweeps(self) -> bool: ...
    def has_distributions(self) -> bool: ...
    def save(self, folder: str) -> List[str]: ...
