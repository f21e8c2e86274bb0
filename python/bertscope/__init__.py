"""bertscope: causal interventions on the hidden states of BERT masked language models.

    import bertscope
    m = bertscope.load()                       # the demo model; bertscope.load(path) for yours
    tokens, ids = m.tokenize("a [MASK] b")
    m.predict("Pay no attention to that man [MASK] the curtain!", top=5)
    logits, cache = m.run_with_cache(text)     # numpy: [seq, vocab], {site: [seq, width]}
    logits = m.run_with_hooks(text, {"blocks.3.out": fn})   # fn(name, h) edits h in place
    r = m.sweep(prompt, "behind", "noise", trials=100)      # r.runs, r.summary: DataFrames
    r = bertscope.run_spec("examples/noisy-and-shuffled.toml")
    bertscope.run_spec(spec, shard="0/4", out="shards/0")  # ... then bertscope.merge(folders, out="out/x")
    r = bertscope.Result.open("out/x")                      # any run's output folder, read back
    c = m.collect(prompts, "blocks.*.mlp.post", positions="word:him")  # c["blocks.3.mlp.post"]: [rows, ffn]
    logits = m.head(cache["blocks.3.out"][mask])   # the prediction head on any state (a logit lens)
    w = m.weights["bert.encoder.layer.0.output.dense.weight"]  # HuggingFace's names and layout
    s = bertscope.compare_units(a, b, test="welch")       # per-unit t-tests, FDR: s["significant_fdr"]

Hook sites: Model.hook_sites(); `bertscope hooks` prints what each one is. Errors raise
bertscope.Error (a ValueError) with the message of the bertscope CLI.
"""
from ._bertscope import Error, Model, __version__, compare_units, load, merge, options, read_safetensors, run_spec
from ._collect import Collection
from ._result import Result, read_csv
from ._weights import Weights

__all__ = ["Collection", "Error", "Model", "Result", "Weights", "__version__", "compare_units", "load", "merge",
           "options", "read_csv", "read_safetensors", "run_spec"]
