"""The reference families' forward passes written in PyTorch from their HuggingFace modeling code
(BertForMaskedLM, RobertaForMaskedLM, XLMRobertaForMaskedLM, AlbertForMaskedLM,
ElectraForMaskedLM, DistilBertForMaskedLM, GPT2LMHeadModel, ModernBertForMaskedLM; eager
attention, eval mode, one unpadded sequence), keeping every hook site's tensor so that autograd
gives the gradient at each. They run in float64, so that what the comparison measures is
bertscope's float32 error, not the reference's. Debian has no python3-transformers: test_gradients.py first checks
these passes against the HuggingFace goldens of tests/data, so the gradients are HuggingFace's.

forward(model_dir, ids[, word_embeddings]) -> (logits [seq, vocab], {site name: tensor}, input embeddings [seq, E]);
the site tensors are those bertscope's sites hold (q, k, v as [seq, hidden], scores and
pattern as [heads, seq, seq]), each with retain_grad(), and the input embeddings a leaf.
"""
import json
import math
import os

import torch

import safetensors_np

F = torch.nn.functional


def _act(name):
    return {
        "gelu": lambda x: F.gelu(x),
        "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
        "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "relu": F.relu,
    }[name]


class _Weights:
    def __init__(self, model_dir):
        self.t = {k: torch.from_numpy(v.astype("float64")) for k, v in
                  safetensors_np.load_file(os.path.join(model_dir, "model.safetensors")).items()}

    def __call__(self, name):
        return self.t[name]

    def has(self, name):
        return name in self.t

    def linear(self, prefix, x, bias=True):  # nn.Linear: x W^T + b
        y = x @ self.t[prefix + ".weight"].T
        return y + self.t[prefix + ".bias"] if bias else y

    def norm(self, prefix, x, eps, bias=True):
        legacy = not self.has(prefix + ".weight")
        w = self.t[prefix + (".gamma" if legacy else ".weight")]
        b = self.t[prefix + (".beta" if legacy else ".bias")] if bias else None
        return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def _keep(sites, name, x):
    x.retain_grad()
    sites[name] = x
    return x


def _attention(sites, L, q, k, v, heads, causal=False, window=None, rotary=None):
    """Eager attention of one sequence: q, k, v [seq, hidden] -> context [seq, hidden]."""
    S, H = q.shape
    d = H // heads
    split = lambda x: x.view(S, heads, d).transpose(0, 1)  # [heads, S, d]
    qh, kh, vh = split(q), split(k), split(v)
    if rotary is not None:
        qh, kh = rotary(qh), rotary(kh)
        _keep(sites, f"blocks.{L}.attn.q", qh.transpose(0, 1).reshape(S, H))
        _keep(sites, f"blocks.{L}.attn.k", kh.transpose(0, 1).reshape(S, H))
        qh, kh = split(sites[f"blocks.{L}.attn.q"]), split(sites[f"blocks.{L}.attn.k"])
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(d)
    i = torch.arange(S)[:, None]
    j = torch.arange(S)[None, :]
    hidden = torch.zeros(S, S, dtype=torch.bool)
    if causal:
        hidden |= j > i
    if window is not None:
        hidden |= (i - j).abs() > window
    scores = scores.masked_fill(hidden, torch.finfo(torch.float64).min)
    scores = _keep(sites, f"blocks.{L}.attn.scores", scores)
    pattern = _keep(sites, f"blocks.{L}.attn.pattern", scores.softmax(-1))
    context = _keep(sites, f"blocks.{L}.attn.z", (pattern @ vh).transpose(0, 1).reshape(S, H))
    return context


def _words(w, name, ids, given):
    """The input embeddings: the table's rows, or the rows given (integrated gradients), as a leaf."""
    words = w(name)[ids].clone() if given is None else given
    return words if words.requires_grad else words.requires_grad_()


def _post_norm(cfg, w, ids, names, given=None):
    """BERT, RoBERTa, XLM-R, ALBERT, ELECTRA, DistilBERT: x = LN(x + attn(x)); x = LN(x + mlp(x))."""
    sites = {}
    S = len(ids)
    eps = names["eps"]
    word = _words(w, names["word"], ids, given)
    if names["positions"] == "roberta":
        pos = cfg["pad_token_id"] + 1 + torch.arange(S)
    else:
        pos = torch.arange(S)
    x = word
    if names.get("type"):
        x = x + w(names["type"])[0]
    x = x + w(names["position"])[pos]
    x = w.norm(names["emb_norm"], x, eps)
    if names.get("project"):
        x = w.linear(names["project"], x)
    x = _keep(sites, "embed.out", x)
    heads = names["heads"]
    for L in range(names["layers"]):
        p = names["block"].format(L=L)
        q = _keep(sites, f"blocks.{L}.attn.q", w.linear(p + names["q"], x))
        k = _keep(sites, f"blocks.{L}.attn.k", w.linear(p + names["k"], x))
        v = _keep(sites, f"blocks.{L}.attn.v", w.linear(p + names["v"], x))
        context = _attention(sites, L, q, k, v, heads)
        attn_out = _keep(sites, f"blocks.{L}.attn.out", w.linear(p + names["o"], context))
        mid = _keep(sites, f"blocks.{L}.ln1.out", w.norm(p + names["ln1"], attn_out + x, eps))
        pre = _keep(sites, f"blocks.{L}.mlp.pre", w.linear(p + names["ffn_in"], mid))
        post = _keep(sites, f"blocks.{L}.mlp.post", _act(names["act"])(pre))
        mlp_out = _keep(sites, f"blocks.{L}.mlp.out", w.linear(p + names["ffn_out"], post))
        x = _keep(sites, f"blocks.{L}.out", w.norm(p + names["ln2"], mlp_out + mid, eps))
    t = _act(names["head_act"])(w.linear(names["head_dense"], x))
    t = w.norm(names["head_norm"], t, eps)
    decoder = w(names["decoder"]) if w.has(names["decoder"]) else w(names["word"])
    return t @ decoder.T + w(names["decoder_bias"]), sites, word


def _bert_names(prefix, cfg):
    return dict(word=f"{prefix}.embeddings.word_embeddings.weight", position=f"{prefix}.embeddings.position_embeddings.weight",
                type=f"{prefix}.embeddings.token_type_embeddings.weight", emb_norm=f"{prefix}.embeddings.LayerNorm",
                block=prefix + ".encoder.layer.{L}.", q="attention.self.query", k="attention.self.key",
                v="attention.self.value", o="attention.output.dense", ln1="attention.output.LayerNorm",
                ffn_in="intermediate.dense", ffn_out="output.dense", ln2="output.LayerNorm",
                act=cfg.get("hidden_act", "gelu"), head_act=cfg.get("hidden_act", "gelu"),
                eps=cfg.get("layer_norm_eps", 1e-12), layers=cfg["num_hidden_layers"],
                heads=cfg["num_attention_heads"], positions="zero")


def _names(cfg):
    kind = cfg.get("model_type", "bert")
    if kind == "bert":
        n = _bert_names("bert", cfg)
        n.update(head_dense="cls.predictions.transform.dense", head_norm="cls.predictions.transform.LayerNorm",
                 decoder="cls.predictions.decoder.weight", decoder_bias="cls.predictions.bias")
    elif kind in ("roberta", "xlm-roberta"):
        n = _bert_names("roberta", cfg)
        n.update(head_dense="lm_head.dense", head_norm="lm_head.layer_norm", decoder="lm_head.decoder.weight",
                 decoder_bias="lm_head.bias", head_act="gelu", positions="roberta")
    elif kind == "electra":
        n = _bert_names("electra", cfg)
        n.update(project="electra.embeddings_project", head_dense="generator_predictions.dense",
                 head_norm="generator_predictions.LayerNorm", decoder="generator_lm_head.weight",
                 decoder_bias="generator_lm_head.bias", head_act="gelu")
    elif kind == "albert":
        n = _bert_names("albert", cfg)
        n.update(project="albert.encoder.embedding_hidden_mapping_in",
                 block="albert.encoder.albert_layer_groups.0.albert_layers.0.", q="attention.query",
                 k="attention.key", v="attention.value", o="attention.dense", ln1="attention.LayerNorm",
                 ffn_in="ffn", ffn_out="ffn_output", ln2="full_layer_layer_norm", head_dense="predictions.dense",
                 head_norm="predictions.LayerNorm", decoder="predictions.decoder.weight", decoder_bias="predictions.bias")
    elif kind == "distilbert":
        n = dict(word="distilbert.embeddings.word_embeddings.weight",
                 position="distilbert.embeddings.position_embeddings.weight", emb_norm="distilbert.embeddings.LayerNorm",
                 block="distilbert.transformer.layer.{L}.", q="attention.q_lin", k="attention.k_lin",
                 v="attention.v_lin", o="attention.out_lin", ln1="sa_layer_norm", ffn_in="ffn.lin1",
                 ffn_out="ffn.lin2", ln2="output_layer_norm", act=cfg["activation"], head_act=cfg["activation"],
                 eps=1e-12, layers=cfg["n_layers"], heads=cfg["n_heads"], positions="zero",
                 head_dense="vocab_transform", head_norm="vocab_layer_norm", decoder="vocab_projector.weight",
                 decoder_bias="vocab_projector.bias")
    else:
        raise ValueError(kind)
    return n


def _gpt2(cfg, w, ids, given=None):
    sites = {}
    S, H, heads = len(ids), cfg["n_embd"], cfg["n_head"]
    eps = cfg["layer_norm_epsilon"]
    word = _words(w, "transformer.wte.weight", ids, given)
    x = _keep(sites, "embed.out", word + w("transformer.wpe.weight")[torch.arange(S)])
    conv = lambda prefix, x: x @ w(prefix + ".weight") + w(prefix + ".bias")  # Conv1D: [in, out]
    for L in range(cfg["n_layer"]):
        p = f"transformer.h.{L}."
        qkv = conv(p + "attn.c_attn", w.norm(p + "ln_1", x, eps))
        q = _keep(sites, f"blocks.{L}.attn.q", qkv[:, :H])
        k = _keep(sites, f"blocks.{L}.attn.k", qkv[:, H:2 * H])
        v = _keep(sites, f"blocks.{L}.attn.v", qkv[:, 2 * H:])
        context = _attention(sites, L, q, k, v, heads, causal=True)
        attn_out = _keep(sites, f"blocks.{L}.attn.out", conv(p + "attn.c_proj", context))
        mid = _keep(sites, f"blocks.{L}.ln1.out", x + attn_out)
        pre = _keep(sites, f"blocks.{L}.mlp.pre", conv(p + "mlp.c_fc", w.norm(p + "ln_2", mid, eps)))
        post = _keep(sites, f"blocks.{L}.mlp.post", _act(cfg["activation_function"])(pre))
        mlp_out = _keep(sites, f"blocks.{L}.mlp.out", conv(p + "mlp.c_proj", post))
        x = _keep(sites, f"blocks.{L}.out", mid + mlp_out)
    return w.norm("transformer.ln_f", x, eps) @ w("transformer.wte.weight").T, sites, word


def _modernbert(cfg, w, ids, given=None):
    sites = {}
    S, H, heads = len(ids), cfg["hidden_size"], cfg["num_attention_heads"]
    d = H // heads
    eps = cfg["norm_eps"]
    norm = lambda prefix, x: w.norm(prefix, x, eps, bias=cfg["norm_bias"])
    word = _words(w, "model.embeddings.tok_embeddings.weight", ids, given)
    x = _keep(sites, "embed.out", norm("model.embeddings.norm", word))
    act = _act(cfg["hidden_activation"])

    def rope(theta):
        inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2).double() / d))
        freqs = torch.arange(S).double()[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        rotate_half = lambda t: torch.cat((-t[..., d // 2:], t[..., :d // 2]), dim=-1)
        return lambda t: t * cos + rotate_half(t) * sin

    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        is_global = L % cfg["global_attn_every_n_layers"] == 0
        theta = cfg["global_rope_theta"] if is_global else cfg["local_rope_theta"]
        window = None if is_global else cfg["local_attention"] // 2
        normed = x if L == 0 else norm(p + "attn_norm", x)
        qkv = w.linear(p + "attn.Wqkv", normed, bias=cfg["attention_bias"])
        q, k, v = qkv[:, :H], qkv[:, H:2 * H], _keep(sites, f"blocks.{L}.attn.v", qkv[:, 2 * H:])
        context = _attention(sites, L, q, k, v, heads, window=window, rotary=rope(theta))
        attn_out = _keep(sites, f"blocks.{L}.attn.out", w.linear(p + "attn.Wo", context, bias=cfg["attention_bias"]))
        mid = _keep(sites, f"blocks.{L}.ln1.out", x + attn_out)
        inp, gate = w.linear(p + "mlp.Wi", norm(p + "mlp_norm", mid), bias=cfg["mlp_bias"]).chunk(2, dim=-1)
        post = _keep(sites, f"blocks.{L}.mlp.post", act(_keep(sites, f"blocks.{L}.mlp.pre", inp)) * gate)
        mlp_out = _keep(sites, f"blocks.{L}.mlp.out", w.linear(p + "mlp.Wo", post, bias=cfg["mlp_bias"]))
        x = _keep(sites, f"blocks.{L}.out", mid + mlp_out)
    h = norm("model.final_norm", x)
    h = norm("head.norm", _act(cfg["classifier_activation"])(w.linear("head.dense", h, bias=cfg["classifier_bias"])))
    logits = h @ w("model.embeddings.tok_embeddings.weight").T
    if cfg.get("decoder_bias", True):
        logits = logits + w("decoder.bias")
    return logits, sites, word


def _config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


def forward(model_dir, ids, word_embeddings=None):
    """word_embeddings: [seq, E] float64 to use instead of the table's rows (None: looked up)."""
    cfg = _config(model_dir)
    w = _Weights(model_dir)
    ids = torch.tensor(ids, dtype=torch.long)
    kind = cfg.get("model_type", "bert")
    if kind == "gpt2":
        return _gpt2(cfg, w, ids, word_embeddings)
    if kind == "modernbert":
        return _modernbert(cfg, w, ids, word_embeddings)
    return _post_norm(cfg, w, ids, _names(cfg), word_embeddings)


def word_table(model_dir):
    """The word-embedding table [vocab, E], float64."""
    cfg = _config(model_dir)
    kind = cfg.get("model_type", "bert")
    name = {"gpt2": "transformer.wte.weight", "modernbert": "model.embeddings.tok_embeddings.weight"}.get(kind)
    return _Weights(model_dir)(name or _names(cfg)["word"])
