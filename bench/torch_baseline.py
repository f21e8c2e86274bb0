#!/usr/bin/python3
"""PyTorch baselines of bench/run.sh, on the same safetensors weights as bertscope.

Run with Debian's python3 (/usr/bin/python3) and python3-torch: Debian has no
`transformers` and no `safetensors` package, so this file carries both parts it needs:
a safetensors reader and a BertForMaskedLM written as nn.Modules with HuggingFace's
module tree, names and arithmetic (post-LN, exact erf GELU, eps from config.json,
decoder tied to the word embeddings), so hooks attach where the notebook attaches them.

Two ways of running an intervention sweep are timed:
  (a) "notebook": a forward hook on bert.encoder.layer[L] edits the [MASK] row of the
      block output, then ONE full forward pass per trial (HF computes the head on every
      token), under torch.no_grad() in eval mode -- what the notebook does.
  (b) "batched": what bertscope does, written in PyTorch: one clean pass keeping every
      block output; for block L all trials are stacked into one batch from the saved
      output of block L, blocks L+1.. run on the batch, the head only on the [MASK] rows,
      under torch.inference_mode().
Both read the same things off each trial as bertscope does: log-softmax over the
vocabulary at the [MASK], the target's log-prob, top-5 and KL from the clean prediction.

Modes:
  bench    checks (a) and (b) against bertscope's own outputs, then times the cases; JSON.
  serve    the same checks, then times cases on request (bench/run.py interleaves them
           with bertscope's so that load from other processes hits both alike).
  predict  load + one prediction, like `bertscope predict`, for load time and peak RSS.
  probe    GFLOP/s of one large matmul (bench/run.py picks OpenBLAS's kernel with it).
  export-onnx  the same model as ONNX (torch.onnx.export) for the ONNX Runtime baseline:
           MaskedRowsLM below, the graph bench/onnx_baseline.mjs runs.
"""
import argparse
import copy
import csv
import json
import math
import mmap
import os
import resource
import statistics
import struct
import sys
import time

import torch
from torch import nn

# --------------------------------------------------------------------------- safetensors

SAFETENSORS_DTYPES = {
    "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "F64": torch.float64, "I64": torch.int64, "I32": torch.int32,
}


def read_safetensors(path, convert_to=None):
    """All tensors of a .safetensors file as owning tensors (name -> tensor).

    The format: 8-byte little-endian header length, a JSON header mapping each name to
    {dtype, shape, data_offsets: [begin, end)} relative to the end of the header, then
    the raw little-endian data. The file is mapped copy-on-write so torch.frombuffer can
    view it without a read-only warning; each tensor is then cloned so it is aligned and
    independent of the mapping (peak memory: one tensor at a time above the model).
    """
    if sys.byteorder != "little":
        raise SystemExit("this reader assumes a little-endian machine, as safetensors data is")
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        count = (end - begin) // torch.tensor([], dtype=dtype).element_size()
        view = torch.frombuffer(mapping, dtype=dtype, count=count, offset=base + begin)
        t = view.reshape(info["shape"])
        # A copy either way: converted, or cloned off the mapping.
        t = t.to(convert_to, copy=True) if convert_to is not None and t.is_floating_point() else t.clone()
        del view
        tensors[name] = t
    return tensors


# ------------------------------------------------------------ BertForMaskedLM (HF's tree)

def linear(in_features, out_features, bias=True):
    # Weights come from the file: skip the random initialisation (as HF's from_pretrained does).
    return nn.utils.skip_init(nn.Linear, in_features, out_features, bias=bias)


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.utils.skip_init(nn.Embedding, c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.utils.skip_init(nn.Embedding, c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.utils.skip_init(nn.Embedding, c.get("type_vocab_size", 2), c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, input_ids):
        seq = input_ids.shape[1]
        positions = torch.arange(seq).unsqueeze(0)
        token_types = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_types)
        x = x + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.head_size = c["hidden_size"] // self.heads
        self.query = linear(c["hidden_size"], c["hidden_size"])
        self.key = linear(c["hidden_size"], c["hidden_size"])
        self.value = linear(c["hidden_size"], c["hidden_size"])
        self.dropout = nn.Dropout(c.get("attention_probs_dropout_prob", 0.1))

    def split_heads(self, x):  # [B, S, H] -> [B, heads, S, head_size]
        return x.view(x.shape[0], x.shape[1], self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, hidden, attention_mask=None):
        q = self.split_heads(self.query(hidden))
        k = self.split_heads(self.key(hidden))
        v = self.split_heads(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        if attention_mask is not None:
            scores = scores + attention_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return (context.view(hidden.shape),)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, hidden, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, hidden, attention_mask=None):
        return (self.output(self.self(hidden, attention_mask)[0], hidden),)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, hidden):
        return nn.functional.gelu(self.dense(hidden))  # exact erf form, HF's "gelu"


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, hidden, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + input_tensor)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, hidden, attention_mask=None):
        attention_output = self.attention(hidden, attention_mask)[0]
        # A tuple, as HF's BertLayer returns: a hook edits output[0] in place.
        return (self.output(self.intermediate(attention_output), attention_output),)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, hidden, attention_mask=None):
        for block in self.layer:
            hidden = block(hidden, attention_mask)[0]
        return hidden


class BertModel(nn.Module):  # BertForMaskedLM builds it without the pooler
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)

    def forward(self, input_ids):
        # HF's extended attention mask for an all-ones mask: zeros, added in every layer.
        mask = torch.ones_like(input_ids, dtype=torch.float32)[:, None, None, :]
        extended = (1.0 - mask) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(input_ids), extended)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, hidden):
        return self.LayerNorm(nn.functional.gelu(self.dense(hidden)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias

    def forward(self, hidden):
        return self.decoder(self.transform(hidden))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)

    def forward(self, hidden):
        return self.predictions(hidden)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        if c.get("hidden_act", "gelu") != "gelu":
            raise SystemExit(f"hidden_act {c['hidden_act']!r}: only HF's exact 'gelu' is written here")
        self.bert = BertModel(c)
        self.cls = BertOnlyMLMHead(c)

    def forward(self, input_ids):
        return self.cls(self.bert(input_ids))  # logits [B, S, V]: the head on every token


def load_model(model_dir):
    """BertForMaskedLM with the folder's weights, in eval mode, float32."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = BertForMaskedLM(config)
    state = read_safetensors(os.path.join(model_dir, "model.safetensors"), convert_to=torch.float32)
    # Older checkpoints name LayerNorm parameters gamma/beta.
    state = {k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias"): v
             for k, v in state.items()}
    params = dict(model.named_parameters())
    tied = "cls.predictions.decoder.weight" not in state
    missing = [n for n in params if n not in state and not (tied and n == "cls.predictions.decoder.weight")]
    if missing:
        raise SystemExit(f"model.safetensors lacks {missing[:5]}")
    for name, p in params.items():  # assign, not copy: no second copy of the weights
        if name in state:
            p.data = state[name]
    if tied:
        model.cls.predictions.decoder.weight = model.bert.embeddings.word_embeddings.weight
    model.cls.predictions.decoder.bias = model.cls.predictions.bias
    model.eval()
    return model, config


class MaskedRowsLM(nn.Module):
    """The throughput case's computation, and the graph exported to ONNX: the encoder on
    every token of a batch (with HF's attention mask), then the MLM head only at the rows
    `positions` [B, P] names (bertscope's clean forward and throughput case compute the
    head at the [MASK] rows only; HF's BertForMaskedLM would compute it at every token).
    Returns logits [B, P, V]."""

    def __init__(self, model):
        super().__init__()
        self.bert, self.cls = model.bert, model.cls

    def forward(self, input_ids, attention_mask, positions):
        extended = (1.0 - attention_mask.to(torch.float32)[:, None, None, :]) * torch.finfo(torch.float32).min
        hidden = self.bert.encoder(self.bert.embeddings(input_ids), extended)
        rows = torch.gather(hidden, 1, positions.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        return self.cls(rows)


# ----------------------------------------------------------------------- interventions

def edit_vector(kind, v):
    """The notebook's edits of one hidden vector (1-D)."""
    if kind == "shuffle":
        return v[torch.randperm(v.numel())]
    if kind == "noise":
        return v + torch.randn_like(v) * v.std() * 2
    if kind == "zero":
        return torch.zeros_like(v)
    raise ValueError(kind)


def edit_rows(kind, rows):
    """The same edits on a [trials, H] stack, one independent draw per row."""
    if kind == "shuffle":
        perms = torch.argsort(torch.rand(rows.shape), dim=1)
        return torch.gather(rows, 1, perms)
    if kind == "noise":
        return rows + torch.randn_like(rows) * rows.std(dim=1, keepdim=True) * 2
    if kind == "zero":
        return torch.zeros_like(rows)
    raise ValueError(kind)


def read_off(logits, target_id, clean_log_probs):
    """What bertscope records per trial: target log-prob, top-5, KL(clean || edited)."""
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    top = torch.topk(log_probs, 5, dim=-1)
    kl = None
    if clean_log_probs is not None:
        kl = (clean_log_probs.exp() * (clean_log_probs - log_probs)).sum(-1)
    return log_probs[..., target_id], top, kl, log_probs


class Notebook:
    """Baseline (a): hooks + one full forward pass per trial, under no_grad."""

    def __init__(self, model, ids, mask, target_id):
        self.model, self.ids, self.mask, self.target_id = model, ids, mask, target_id

    @torch.no_grad()
    def clean(self):
        logits = self.model(self.ids)
        return read_off(logits[0, self.mask], self.target_id, None)

    @torch.no_grad()
    def sweep(self, kinds, layers, trials):
        clean_log_probs = self.clean()[3]
        targets = []
        for kind in kinds:
            for layer in layers:
                for _ in range(trials):
                    def hook(module, inputs, output, kind=kind):
                        h = output[0]
                        h[0, self.mask] = edit_vector(kind, h[0, self.mask])
                    handle = self.model.bert.encoder.layer[layer].register_forward_hook(hook)
                    logits = self.model(self.ids)
                    handle.remove()
                    targets.append(read_off(logits[0, self.mask], self.target_id, clean_log_probs)[0].item())
        return targets


class Batched:
    """Baseline (b): bertscope's algorithm in PyTorch, under inference_mode."""

    def __init__(self, model, ids, mask, target_id, max_batch_tokens):
        self.model, self.ids, self.mask, self.target_id = model, ids, mask, target_id
        self.blocks = model.bert.encoder.layer
        self.chunk = max(1, max_batch_tokens // ids.shape[1])

    @torch.inference_mode()
    def clean(self):
        hidden = [self.model.bert.embeddings(self.ids)]
        for block in self.blocks:
            hidden.append(block(hidden[-1])[0])  # no padding: no attention mask needed
        return hidden, read_off(self.model.cls(hidden[-1][0, self.mask]), self.target_id, None)

    def block_at(self, block, x):
        """`block` on [count, S, H] when only the [MASK] row of its output is read: keys and
        values of every row, the query, attention output and FFN of that row only (as
        bertscope's last block)."""
        att, m = block.attention.self, self.mask
        q = att.split_heads(att.query(x[:, m:m + 1]))
        k, v = att.split_heads(att.key(x)), att.split_heads(att.value(x))
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(att.head_size), dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(x.shape[0], 1, -1)
        a = block.attention.output(context, x[:, m:m + 1])
        return block.output(block.intermediate(a), a)[:, 0]

    @torch.inference_mode()
    def sweep(self, kinds, layers, trials):
        hidden, clean = self.clean()
        clean_log_probs = clean[3]
        targets = []
        for kind in kinds:
            for layer in layers:
                for start in range(0, trials, self.chunk):
                    count = min(self.chunk, trials - start)
                    x = hidden[layer + 1].expand(count, -1, -1).clone()
                    x[:, self.mask] = edit_rows(kind, x[:, self.mask])
                    rest = self.blocks[layer + 1:]
                    for block in rest[:-1]:
                        x = block(x)[0]
                    rows = self.block_at(rest[-1], x) if len(rest) else x[:, self.mask]
                    logits = self.model.cls(rows)
                    targets.extend(read_off(logits, self.target_id, clean_log_probs)[0].tolist())
        return targets


# --------------------------------------------------------------------------- the modes

def blas_library():
    """The BLAS shared library this process mapped (torch's fp32 matmuls go through it)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted(paths)


def run_checks(model, notebook, batched, args, ids):
    """(a) and (b) against bertscope's own outputs on the same weights; raises on failure."""
    checks = {}
    # 1. Clean logits of every token vs `bertscope dump`.
    dump = read_safetensors(args.dump)
    if not torch.equal(dump["input_ids"].to(torch.long), ids[0]):
        raise SystemExit(f"token ids differ from bertscope's: {dump['input_ids'].tolist()} vs {ids[0].tolist()}")
    with torch.no_grad():
        logits = model(ids)[0]
    checks["clean_logits_max_abs_diff_all_tokens"] = (logits - dump["logits"]).abs().max().item()
    checks["clean_logits_max_abs_diff_mask_row"] = (logits[args.mask] - dump["logits"][args.mask]).abs().max().item()
    # 2. The batched path's clean prediction vs the notebook path's.
    hidden, clean_b = batched.clean()
    checks["b_vs_a_clean_log_probs_max_abs_diff"] = (clean_b[3] - notebook.clean()[3]).abs().max().item()
    # 3. A deterministic edit (zero the [MASK] row after block L, every L): the hook path,
    # the batched prefix-reuse path and bertscope's sweep must give the same target log-prob.
    layers = list(range(len(model.bert.encoder.layer)))
    a = notebook.sweep(["zero"], layers, 1)
    b = batched.sweep(["zero"], layers, 1)
    with open(args.zero_csv) as f:
        ours = {int(row["block"]): float(row["target_logsoftmax"]) for row in csv.DictReader(f)}
    checks["zero_sweep_a_vs_bertscope_max_abs_diff"] = max(abs(a[l] - ours[l]) for l in layers)
    checks["zero_sweep_b_vs_bertscope_max_abs_diff"] = max(abs(b[l] - ours[l]) for l in layers)
    checks["tolerance"] = args.tolerance
    checks["passed"] = all(v < args.tolerance for k, v in checks.items() if k.endswith("diff"))
    return checks


class Session:
    """The loaded model and both baselines, checked, warmed up, ready to time cases."""

    def __init__(self, args):
        load_start = time.perf_counter()
        self.model, config = load_model(args.model)
        self.load_s = time.perf_counter() - load_start
        self.args = args
        ids = torch.tensor([args.ids], dtype=torch.long)
        self.layers = list(range(config["num_hidden_layers"]))
        self.notebook = Notebook(self.model, ids, args.mask, args.target_id)
        self.batched = Batched(self.model, ids, args.mask, args.target_id, args.max_batch_tokens)
        self.checks = run_checks(self.model, self.notebook, self.batched, args, ids) if args.dump else {"passed": None}
        if self.checks["passed"] is False:
            print(json.dumps({"checks": self.checks}), file=sys.stderr)
            raise SystemExit("torch baseline disagrees with bertscope: not timing a wrong model")
        # The dataset case: (b) one prompt at a time, as a PyTorch user would run a dataset
        # with bertscope's algorithm; --dataset-prompts of them when the full run is too long.
        # With --bf16 also (b) in bfloat16 ("b16"), as a PyTorch user would speed it up:
        # a copy of the model cast with .to(torch.bfloat16) (weights and activations in bf16;
        # on CPUs with AVX512-BF16 PyTorch runs its matmuls through oneDNN's bf16 kernels).
        self.model_bf16 = copy.deepcopy(self.model).to(torch.bfloat16) if args.bf16 else None
        self.dataset, self.dataset_bf16 = [], []
        if args.dataset:
            with open(args.dataset) as f:
                prompts = json.load(f)
            self.dataset = self.dataset_prompts(self.model, prompts)
            if self.model_bf16 is not None:
                self.dataset_bf16 = self.dataset_prompts(self.model_bf16, prompts)
                self.checks["b16_vs_f32_clean_log_probs_max_error"] = self.bf16_clean_error()
                self.dataset_bf16[0].sweep(["shuffle"], self.layers, 1)  # warm-up, untimed
        # The throughput case's batch (bench/run.py writes it: the same ids for every implementation).
        self.throughput = read_batch(args.batch) if args.batch else None
        self.rows_lm = MaskedRowsLM(self.model)
        # Warm-up, untimed, as on bertscope's side.
        self.notebook.clean()
        self.batched.sweep(["shuffle"], self.layers, 1)  # (the throughput case: bench/run.py warms it up)

    def dataset_prompts(self, model, prompts):
        return [Batched(model, torch.tensor([p["ids"]], dtype=torch.long), p["mask"], p["target_id"],
                        self.args.max_batch_tokens) for p in prompts]

    def bf16_clean_error(self):
        """How far "b16" is from float32: the largest |log-prob difference| at the [MASK] of
        any dataset prompt's clean pass (reported, not checked: bf16 is not exact)."""
        return max(float((b.clean()[1][3] - f.clean()[1][3]).abs().max())
                   for f, b in zip(self.dataset, self.dataset_bf16))

    @torch.inference_mode()
    def forward_rows(self, ids, attention_mask, positions):
        """The throughput case: one batched forward, log-softmax at the [MASK] rows."""
        return torch.log_softmax(self.rows_lm(ids, attention_mask, positions), dim=-1)

    def run(self, impl, case, seed):
        """Seconds of one run of `case` by baseline `impl` ("a" or "b").

        (a)'s noise case runs only a_trials per block: it costs one full pass per trial
        whatever the block, so its time is linear in the trials and bench/run.py scales it
        by passes_full / passes_run (see info()); exact when a_trials == trials.
        """
        torch.manual_seed(seed)
        runner = self.notebook if impl == "a" else self.batched
        start = time.perf_counter()
        if case == "clean":
            runner.clean()
        elif case == "notebook":
            runner.sweep(["shuffle", "noise"], self.layers, 1)
        elif case == "noise":
            runner.sweep(["noise"], self.layers, self.a_trials() if impl == "a" else self.args.trials)
        elif case == "dataset" and impl in ("b", "b16"):
            if impl == "b16" and not self.dataset_bf16:
                raise ValueError("b16 needs --bf16 and --dataset")
            for prompt in self.dataset_run(self.dataset_bf16 if impl == "b16" else self.dataset):
                prompt.sweep(["noise"], self.layers, self.args.dataset_trials)
        elif case == "throughput":  # one batched forward: the same for every impl
            if not self.throughput:
                raise ValueError("the throughput case needs --batch")
            self.forward_rows(*self.throughput)
        else:
            raise ValueError(f"unknown case {case!r}")
        return time.perf_counter() - start

    def dataset_run(self, prompts):
        """The dataset prompts (b) runs: every k-th of them for --dataset-prompts of N, spread
        over the lengths; bench/run.py scales the time by the FLOPs of all over these."""
        n = min(self.args.dataset_prompts or len(prompts), len(prompts))
        return [prompts[i * len(prompts) // n] for i in range(n)] if n else []

    def a_trials(self):
        return min(self.args.a_trials, self.args.trials)

    def info(self):
        passes_run = 1 + len(self.layers) * self.a_trials()
        passes_full = 1 + len(self.layers) * self.args.trials
        return {
            "impl": "torch", "torch_version": torch.__version__, "threads": torch.get_num_threads(),
            "blas": blas_library(), "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
            "load_s": self.load_s, "checks": self.checks, "trials": self.args.trials,
            "a_noise_trials_run": self.a_trials(), "a_noise_scale": passes_full / passes_run,
            "b_dataset_prompts_run": [self.dataset.index(p) for p in self.dataset_run(self.dataset)],
            "b16": self.model_bf16 is not None,
        }


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def mode_bench(args):
    """One-shot: every case of both baselines `repeats` times in a row."""
    session = Session(args)
    result = session.info()
    result["cases"] = {"a": {}, "b": {}}
    for impl in ("a", "b"):
        for case in args.cases.split(","):
            repeats = args.long_repeats if case == "noise" else args.repeats
            times = [session.run(impl, case, r) for r in range(repeats)]
            result["cases"][impl][case] = {"times_s": times, "median_s": statistics.median(times)}
    result["peak_rss_bytes"] = peak_rss_bytes()
    return result


def mode_serve(args):
    """Server for bench/run.py (same protocol as bertscope-bench --serve): a "ready" JSON
    line with info(), then per input line "IMPL CASE SEED" a line {"seconds": s}; "quit" or
    end of input -> {"peak_rss_bytes": n}."""
    session = Session(args)
    print(json.dumps({**session.info(), "ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        impl, case, seed = line.split()
        print(json.dumps({"seconds": session.run(impl, case, int(seed))}), flush=True)
    return {"peak_rss_bytes": peak_rss_bytes()}


def mode_predict(args):
    """Load + one prediction at the [MASK], the way the notebook starts (for /usr/bin/time)."""
    model, _ = load_model(args.model)
    ids = torch.tensor([args.ids], dtype=torch.long)
    with torch.no_grad():
        log_probs = torch.log_softmax(model(ids)[0, args.mask], dim=-1)
    top = torch.topk(log_probs, 5)
    return {"top_ids": top.indices.tolist(), "top_log_probs": top.values.tolist()}


def read_batch(path):
    """The throughput case's batch: {"ids": [[...], ...], "mask_positions": [...]} (equal
    lengths, no padding) -> input_ids [B, S], attention_mask [B, S], positions [B, 1]."""
    with open(path) as f:
        batch = json.load(f)
    ids = torch.tensor(batch["ids"], dtype=torch.long)
    return ids, torch.ones_like(ids), torch.tensor(batch["mask_positions"], dtype=torch.long)[:, None]


def mode_export_onnx(args):
    """MaskedRowsLM of the model as ONNX (opset 14), batch, sequence and row counts dynamic.
    Written to a temporary name and renamed, so a stopped export leaves no half file."""
    model, _ = load_model(args.model)
    ids = torch.tensor([args.ids, args.ids], dtype=torch.long)  # batch 2: nothing batch-1 specific is traced
    positions = torch.tensor([[args.mask], [args.mask]], dtype=torch.long)
    start = time.perf_counter()
    tmp = args.out + ".tmp"
    with torch.no_grad():
        torch.onnx.export(MaskedRowsLM(model), (ids, torch.ones_like(ids), positions), tmp,
                          input_names=["input_ids", "attention_mask", "positions"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "positions": {0: "batch", 1: "rows"}, "logits": {0: "batch", 1: "rows"}},
                          opset_version=14, do_constant_folding=True)
    os.replace(tmp, args.out)
    return {"path": args.out, "bytes": os.path.getsize(args.out), "seconds": time.perf_counter() - start,
            "torch_version": torch.__version__, "opset": 14}


def mode_probe(args):
    """GFLOP/s of the sweep's biggest matmul shape ([1200, 1024] x [1024, 4096])."""
    x, w = torch.randn(1200, 1024), torch.randn(4096, 1024)
    with torch.inference_mode():
        nn.functional.linear(x, w)
        best = 0.0
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(4):
                nn.functional.linear(x, w)
            best = max(best, 4 * 2 * 1200 * 1024 * 4096 / (time.perf_counter() - start) / 1e9)
    return {"gflops": best, "blas": blas_library(), "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["bench", "serve", "predict", "probe", "export-onnx"])
    p.add_argument("--model", help="model folder (config.json, model.safetensors)")
    p.add_argument("--ids", type=lambda s: [int(x) for x in s.split(",")], help="token ids, comma-separated")
    p.add_argument("--mask", type=int, help="index of the [MASK] token")
    p.add_argument("--target-id", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--cases", default="clean,notebook,noise")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--long-repeats", type=int, default=3)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--a-trials", type=int, default=10, help="trials per block actually run for (a)'s long case")
    p.add_argument("--max-batch-tokens", type=int, default=4096)
    p.add_argument("--dataset", help="JSON list of {ids, mask, target_id}: the dataset case's prompts")
    p.add_argument("--dataset-trials", type=int, default=10, help="noise trials per block and prompt, dataset case")
    p.add_argument("--bf16", action="store_true", help="also (b) on a bfloat16 copy of the model (\"b16\"): dataset case")
    p.add_argument("--dataset-prompts", type=int, default=0, help="prompts (b) runs of the dataset case (0: all)")
    p.add_argument("--dump", help="`bertscope dump` of the prompt: clean logits to check against")
    p.add_argument("--zero-csv", help="runs.csv of `bertscope sweep --intervention zero --layers all`")
    p.add_argument("--tolerance", type=float, default=1e-3)
    p.add_argument("--batch", help="the throughput case's batch (JSON: ids, mask_positions)")
    p.add_argument("--out", help="export-onnx: the .onnx file to write")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    modes = {"bench": mode_bench, "serve": mode_serve, "predict": mode_predict, "probe": mode_probe,
             "export-onnx": mode_export_onnx}
    result = modes[args.mode](args)
    print(json.dumps(result, indent=None if args.mode == "serve" else 1))


if __name__ == "__main__":
    main()
