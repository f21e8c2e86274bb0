"""Model.gradients against PyTorch's autograd on the HuggingFace reference models of every
family (torch_reference.py), after checking that those torch passes reproduce HuggingFace's
own hidden states and logits (the goldens of tests/data)."""
import json
import os

import numpy as np
import pytest

from conftest import REFERENCE, SOURCE_DIR
import bertscope

torch = pytest.importorskip("torch", reason="python3-torch (scripts/setup-debian.sh python-tests) is missing")
import safetensors_np  # noqa: E402
import torch_reference  # noqa: E402

FAMILIES = os.path.join(SOURCE_DIR, "tests", "data", "families")
# (model folder, golden prefix): every family, and BERT's tied F16 and BF16 checkpoints.
CASES = [(os.path.join(REFERENCE, "models", c), os.path.join(REFERENCE, "golden", c)) for c in ("tiny-fp32", "small-bf16")]
CASES += [(os.path.join(FAMILIES, "models", c), os.path.join(FAMILIES, "golden", c)) for c in
          ("roberta-tiny", "xlm-roberta-tiny", "distilbert-tiny-f16", "albert-tiny", "electra-generator-untied",
           "gpt2-tiny", "modernbert-tiny-bf16")]
# A site's gradient is within 1e-4 of the float64 one in relative norm (the largest seen: 6.2e-5,
# DistilBERT's blocks.2.attn.q), and no element is off by more than 5e-4 of the site's largest
# (1.2e-4 seen, at scores, where P (dP - sum P dP) cancels).
NORM_TOLERANCE = 1e-4
ELEMENT_TOLERANCE = 5e-4


def prompts(golden):
    with open(golden + ".json") as f:
        doc = json.load(f)
    tensors = safetensors_np.load_file(golden + ".safetensors")
    for n, p in enumerate(doc["prompts"]):
        position = p.get("mask_index", p.get("prediction_position"))
        yield n, p, position, tensors


def site_array(name, value, seq):
    """bertscope's site shape -> the torch reference's ([seq, hidden] for q, k, v, z)."""
    if name.endswith((".attn.q", ".attn.k", ".attn.v", ".attn.z")):
        return value.reshape(seq, -1)
    return value


@pytest.mark.parametrize("model_dir,golden", CASES, ids=[os.path.basename(c[0]) for c in CASES])
def test_the_torch_reference_is_huggingface(model_dir, golden):
    for n, p, position, tensors in prompts(golden):
        logits, sites, _ = torch_reference.forward(model_dir, p["ids"])
        layers = sum(1 for k in tensors if k.startswith(f"p{n}.hidden."))
        for layer in range(layers):
            site = "embed.out" if layer == 0 else f"blocks.{layer - 1}.out"
            want = tensors[f"p{n}.hidden.{layer}"]
            got = sites[site].detach().numpy()
            if layer == layers - 1 and f"p{n}.block_out.{layers - 2}" in tensors:
                want = tensors[f"p{n}.block_out.{layers - 2}"]  # before a final norm
            np.testing.assert_allclose(got, want, atol=2e-4, rtol=1e-3, err_msg=f"{site} of prompt {n}")
        want_logits = tensors[f"p{n}.logits"]
        row = want_logits[position] if want_logits.shape[0] == len(p["ids"]) and want_logits.ndim == 2 else want_logits.reshape(-1)
        np.testing.assert_allclose(logits[position].detach().numpy(), row, atol=2e-4, rtol=1e-3)


def torch_gradients(model_dir, ids, position, metric, target, foil=None):
    logits, sites, word = torch_reference.forward(model_dir, ids)
    row = logits[position]
    if metric == "logit_diff":
        value = row[target] - row[foil]
    else:
        value = row.log_softmax(-1)[target] * (-1 if metric == "loss" else 1)
    value.backward()
    return float(value), {k: v.grad.numpy() for k, v in sites.items()}, word.grad.numpy()


def assert_gradients_match(model_dir, text, ids, position, metric, target, foil=None):
    m = bertscope.load(model_dir)
    ours = m.gradients(text, target, foil=foil, metric=metric, sites="**")
    assert ours["ids"] == ids and ours["position"] == position
    value, grads, input_grad = torch_gradients(model_dir, ids, position, ours["metric_name"], target, foil)
    assert ours["metric"] == pytest.approx(value, abs=1e-4)  # the forward's agreement with HF (2e-5 seen)
    seq = len(ids)
    compared = 0
    for name, want in grads.items():
        got = site_array(name, ours["gradients"][name], seq)
        scale = float(np.abs(want).max())
        assert scale > 0, f"{name}: the metric does not depend on it"
        relative = float(np.linalg.norm(got - want) / np.linalg.norm(want))
        assert relative <= NORM_TOLERANCE, f"{name}: relative error {relative:.2g} in norm"
        error = float(np.abs(got - want).max())
        assert error <= ELEMENT_TOLERANCE * scale, f"{name}: largest error {error:.3g}, {error / scale:.2g} of its largest gradient"
        compared += 1
    # embed.out and 12 sites a block: q, k, v, scores, pattern, z, attn.out, ln1.out, mlp.pre, mlp.post, mlp.out, out
    assert compared == 1 + 12 * m.config["num_hidden_layers"]
    relative = float(np.linalg.norm(ours["input_gradients"] - input_grad) / np.linalg.norm(input_grad))
    assert relative <= NORM_TOLERANCE, f"input embeddings: relative error {relative:.2g} in norm"
    return ours


@pytest.mark.parametrize("model_dir,golden", CASES, ids=[os.path.basename(c[0]) for c in CASES])
def test_gradients_at_every_site_equal_autograd(model_dir, golden):
    for n, p, position, tensors in prompts(golden):
        # The target: the golden top-5's second token (its log-prob far from saturated), a foil the third.
        top = p["top5"] if "top5" in p and isinstance(p["top5"][0], dict) else None
        target = top[1]["id"] if top else p["target_id"]
        assert_gradients_match(model_dir, p["text"], p["ids"], position, None, target)
        if n == 0:
            foil = top[2]["id"] if top else p["ids"][1]
            assert_gradients_match(model_dir, p["text"], p["ids"], position, "logit_diff", target, foil)
            assert_gradients_match(model_dir, p["text"], p["ids"], position, "loss", target)


def test_head_out_gradient_is_attn_out_for_every_head():
    m = bertscope.load(CASES[0][0])
    r = m.gradients("the man went to the [MASK] .", "store", sites="blocks.1.attn.*")
    by_head, whole = r["gradients"]["blocks.1.attn.head_out"], r["gradients"]["blocks.1.attn.out"]
    assert by_head.shape == (whole.shape[0], m.config["num_attention_heads"], whole.shape[1])
    np.testing.assert_array_equal(by_head, np.repeat(whole[:, None, :], by_head.shape[1], axis=1))


def test_bad_arguments_are_named():
    m = bertscope.load(CASES[0][0])
    with pytest.raises(bertscope.Error, match="needs a foil"):
        m.gradients("the [MASK] .", "store", metric="logit_diff")
    with pytest.raises(bertscope.Error, match="not one of target_logprob, logit_diff, loss"):
        m.gradients("the [MASK] .", "store", metric="kl")
    with pytest.raises(bertscope.Error, match="outside the vocabulary"):
        m.gradients("the [MASK] .", 10**9)
    with pytest.raises(bertscope.Error, match="no \\[MASK\\]"):
        m.gradients("the store .", "store")
    with pytest.raises(bertscope.Error, match="foil is the target"):
        m.gradients("the [MASK] .", "store", foil="store")


# ---- attribution patching ------------------------------------------------------------------

def torch_pair(model_dir, clean_ids, corrupted_ids, position, target, foil):
    """The float64 torch passes of both prompts, the corrupted one's metric backpropagated:
    (metric, clean sites, corrupted sites with their .grad)."""
    _, clean, _ = torch_reference.forward(model_dir, clean_ids)
    logits, corrupted, _ = torch_reference.forward(model_dir, corrupted_ids)
    row = logits[position]
    value = row[target] - row[foil] if foil is not None else row.log_softmax(-1)[target]
    value.backward()
    return float(value), clean, corrupted


def torch_atp(model_dir, clean_ids, corrupted_ids, position, target, foil, sites, heads=None):
    """AtP by hand: (a_clean - a_corrupted) . d metric / d a on the corrupted run, per position
    (or per head's slice of z over every position), from the float64 torch passes."""
    value, clean, corrupted = torch_pair(model_dir, clean_ids, corrupted_ids, position, target, foil)
    out = {}
    for name in sites:
        delta = (clean[name] - corrupted[name]).detach().numpy() * corrupted[name].grad.numpy()
        if heads:
            out[name] = delta.reshape(delta.shape[0], heads, -1).sum(axis=(0, 2))
        else:
            out[name] = delta.sum(axis=1)
    return value, out


def estimates(table, site):
    rows = table[(table["method"] == "atp") & (table["site"] == site)]
    return rows["metric"].to_numpy() - table.attrs["corrupted_metric"]


@pytest.mark.parametrize("case", ["bert", "gpt2-ioi"])
def test_attribution_patching_equals_atp_by_hand_in_torch(case):
    if case == "bert":
        model_dir = CASES[0][0]
        clean_text, corrupted_text = "the man went to the [MASK] to buy milk .", "the woman went to the [MASK] to buy bread ."
        target, foil = "store", "market"
        m = bertscope.load(model_dir)
        target_id, foil_id = m.token_id(target), m.token_id(foil)
    else:
        model_dir = os.path.join(FAMILIES, "models", "gpt2-tiny")
        with open(os.path.join(FAMILIES, "golden", "gpt2-tiny.json")) as f:
            ioi = json.load(f)["ioi"]
        clean_text, corrupted_text, target, foil = ioi["a"]["text"], ioi["b"]["text"], ioi["io_token"], ioi["s_token"]
        target_id, foil_id = ioi["io_id"], ioi["s_id"]
        m = bertscope.load(model_dir)
    clean_ids, corrupted_ids = m.encode(clean_text)[1], m.encode(corrupted_text)[1]
    # The [MASK], or GPT-2's last token (the row a causal model predicts from).
    position = corrupted_ids.index(m.token_id("[MASK]")) if case == "bert" else len(corrupted_ids) - 1
    layers = m.config["num_hidden_layers"]
    for heads in (False, True):
        table = m.attribution_patch(clean_text, corrupted_text, target.strip(), foil=foil.strip(), heads=heads)
        names = [f"blocks.{L}.attn.z" for L in range(layers)] if heads else \
            [f"blocks.{L}.{s}" for s in ("out", "attn.out", "mlp.out") for L in range(layers)]
        value, want = torch_atp(model_dir, clean_ids, corrupted_ids, position, target_id, foil_id, names,
                                heads=m.config["num_attention_heads"] if heads else None)
        assert table.attrs["corrupted_metric"] == pytest.approx(value, abs=1e-4)
        got = {site: rows["metric"].to_numpy() - table.attrs["corrupted_metric"] for site, rows in table.groupby("site")}
        scale = max(float(np.abs(v).max()) for v in want.values())
        assert scale > 0
        for name, w in want.items():
            np.testing.assert_allclose(got[name], w, atol=1e-4 * scale, err_msg=name)


def test_checked_cells_are_the_patch_grids_own():
    m = bertscope.load(CASES[0][0])
    args = ("the man went to the [MASK] to buy milk .", "the woman went to the [MASK] to buy bread .", "store")
    grid = m.patch_grid(*args, foil="market")
    atp = m.attribution_patch(*args, foil="market", check=6)
    checked = atp[atp["method"] == "patch"]
    assert len(checked) == 6 and len(atp) == len(grid) + 6
    keys = ["site", "block", "position"]
    merged = checked.merge(grid, on=keys, suffixes=("_check", "_grid"))
    assert len(merged) == 6
    np.testing.assert_array_equal(merged["metric_check"].to_numpy(), merged["metric_grid"].to_numpy())
    # The checked cells are those of the largest estimates.
    estimate = (atp[atp["method"] == "atp"]["metric"] - atp.attrs["corrupted_metric"]).abs()
    assert estimate.nlargest(6).min() <= (checked.merge(atp[atp["method"] == "atp"], on=keys)["metric_y"]
                                          - atp.attrs["corrupted_metric"]).abs().min() + 1e-12
    assert -1.0 <= atp.attrs["checked_correlation"] <= 1.0


# ---- token attributions --------------------------------------------------------------------

def torch_token_attributions(model_dir, ids, position, target, baseline_id, kept, steps):
    """Integrated gradients (midpoint rule), gradient x input and gradient norms by hand, on the
    float64 torch pass with its word embeddings replaced."""
    def metric_at(words):
        logits, _, _ = torch_reference.forward(model_dir, ids, word_embeddings=words)
        return logits[position].log_softmax(-1)[target]

    _, _, word = torch_reference.forward(model_dir, ids)
    x = word.detach()
    b = x.clone()
    for s in range(len(ids)):
        if not kept[s]:
            b[s] = torch_reference.word_table(model_dir)[baseline_id]
    total = torch.zeros_like(x)
    for k in range(1, steps + 1):
        point = (b + (k - 0.5) / steps * (x - b)).requires_grad_()
        metric_at(point).backward()
        total += point.grad
    at_x = x.clone().requires_grad_()
    value = metric_at(at_x)
    value.backward()
    ig = ((x - b) * total / steps).sum(-1).numpy()
    return ig, (x * at_x.grad).sum(-1).numpy(), at_x.grad.norm(dim=-1).numpy(), float(value), float(metric_at(b))


# (model folder, prompt, target word, target id): a masked model and a causal one.
SALIENCY_CASES = {
    "tiny-fp32": (CASES[0][0], "the man went to the [MASK] to buy milk .", "store", 3573),
    "gpt2-tiny": (os.path.join(FAMILIES, "models", "gpt2-tiny"),
                  "When Mary and John went to the store, John gave a drink to", "Mary", 5335),
}


@pytest.mark.parametrize("case", sorted(SALIENCY_CASES))
def test_token_attributions_equal_torch_by_hand(case):
    model_dir, text, target, target_id = SALIENCY_CASES[case]
    m = bertscope.load(model_dir)
    table = m.saliency(text, target, steps=16)
    ids = m.encode(text)[1]
    position = ids.index(m.token_id("[MASK]")) if "[MASK]" in text else len(ids) - 1
    baseline_id = m.token_id(table.attrs["baseline"])
    ig, gxi, norm, value, baseline_value = torch_token_attributions(
        model_dir, ids, position, target_id, baseline_id, table["kept"].tolist(), steps=16)
    assert table.attrs["metric_value"] == pytest.approx(value, abs=1e-4)
    assert table.attrs["baseline_metric"] == pytest.approx(baseline_value, abs=1e-4)
    for column, want in (("integrated_gradients", ig), ("gradient_x_input", gxi), ("gradient_norm", norm)):
        np.testing.assert_allclose(table[column].to_numpy(), want, atol=1e-4 * float(np.abs(want).max()), err_msg=column)
    # The special tokens are kept: their integrated gradient is 0 (x = b there).
    assert (table.loc[table["kept"], "integrated_gradients"] == 0).all()


@pytest.mark.parametrize("case", sorted(SALIENCY_CASES))
def test_integrated_gradients_are_complete_within_one_percent_at_64_steps(case):
    model_dir, text, target, _ = SALIENCY_CASES[case]
    table = bertscope.load(model_dir).saliency(text, target)
    assert table.attrs["steps"] == 64
    assert table.attrs["completeness_error"] < 0.01
    assert table["integrated_gradients"].sum() == pytest.approx(
        table.attrs["metric_value"] - table.attrs["baseline_metric"], rel=0.01)


def test_saliency_refuses_what_it_cannot_do():
    gpt2 = bertscope.load(SALIENCY_CASES["gpt2-tiny"][0])
    with pytest.raises(bertscope.Error, match="no mask token"):
        gpt2.saliency("When Mary and John went to the store, John gave a drink to", "Mary", baseline="mask")
    bert = bertscope.load(CASES[0][0])
    with pytest.raises(bertscope.Error, match="1 to 4096"):
        bert.saliency("the [MASK] .", "store", steps=0)
    with pytest.raises(bertscope.Error, match="not one of pad, mask"):
        bert.saliency("the [MASK] .", "store", baseline="zero")


# ---- AtP*'s QK fix ---------------------------------------------------------------------------

def torch_qk_fixed(model_dir, clean_ids, corrupted_ids, position, target, foil, layers, heads):
    """AtP* by hand: for each attn.q (attn.k) cell, the corrupted scores recomputed with the clean
    q (k) row at that position, masked as the forward masks them, softmaxed, then
    (pattern_patched - pattern) . d metric / d pattern."""
    _, clean, corrupted = torch_pair(model_dir, clean_ids, corrupted_ids, position, target, foil)
    out = {}
    for L in range(layers):
        scores = corrupted[f"blocks.{L}.attn.scores"].detach()
        masked = scores == torch.finfo(torch.float64).min
        pattern = corrupted[f"blocks.{L}.attn.pattern"].detach()
        grad = corrupted[f"blocks.{L}.attn.pattern"].grad
        for side in ("q", "k"):
            name = f"blocks.{L}.attn.{side}"
            S, H = clean[name].shape
            split = lambda x: x.detach().view(S, heads, H // heads).transpose(0, 1)
            q, k = split(corrupted[f"blocks.{L}.attn.q"]), split(corrupted[f"blocks.{L}.attn.k"])
            estimates = []
            for p in range(S):
                patched_q, patched_k = q.clone(), k.clone()
                (patched_q if side == "q" else patched_k)[:, p] = split(clean[name])[:, p]
                new = (patched_q @ patched_k.transpose(-1, -2) / np.sqrt(H // heads)).masked_fill(masked, -np.inf)
                estimates.append(float(((new.softmax(-1) - pattern) * grad).sum()))
            out[name] = np.array(estimates)
    return out


# (model, clean, corrupted, target, foil, the target's and foil's vocabulary pieces)
QK_CASES = {
    "bert": (CASES[0][0], "the man went to the [MASK] to buy milk .", "the woman went to the [MASK] to buy bread .",
             "store", "market", "store", "market"),
    "modernbert": (os.path.join(FAMILIES, "models", "modernbert-tiny-bf16"),
                   "Pay no attention to that man [MASK] the curtain, said the wizard.",
                   "Pay no attention to that old [MASK] the curtain, said the wizard.", "the", None, "\u0120the", None),
    "gpt2-ioi": (os.path.join(FAMILIES, "models", "gpt2-tiny"), None, None, None, None, None, None),
}


@pytest.mark.parametrize("case", sorted(QK_CASES))
def test_qk_fix_equals_atp_star_by_hand_in_torch(case):
    model_dir, clean_text, corrupted_text, target, foil, target_piece, foil_piece = QK_CASES[case]
    m = bertscope.load(model_dir)
    if case == "gpt2-ioi":
        with open(os.path.join(FAMILIES, "golden", "gpt2-tiny.json")) as f:
            ioi = json.load(f)["ioi"]
        clean_text, corrupted_text = ioi["a"]["text"], ioi["b"]["text"]
        target, foil = ioi["io_token"].strip(), ioi["s_token"].strip()
        target_piece, foil_piece = "\u0120" + target, "\u0120" + foil
    clean_ids, corrupted_ids = m.encode(clean_text)[1], m.encode(corrupted_text)[1]
    assert len(clean_ids) == len(corrupted_ids)
    # The [MASK], or GPT-2's last token (the row a causal model predicts from).
    position = corrupted_ids.index(m.token_id("[MASK]")) if case != "gpt2-ioi" else len(corrupted_ids) - 1
    target_id, foil_id = m.token_id(target_piece), (m.token_id(foil_piece) if foil_piece else None)
    layers, heads = m.config["num_hidden_layers"], m.config["num_attention_heads"]
    fixed = m.attribution_patch(clean_text, corrupted_text, target, foil=foil, sites="attn.q,attn.k", qk_fix=True)
    plain = m.attribution_patch(clean_text, corrupted_text, target, foil=foil, sites="attn.q,attn.k")
    assert fixed.attrs["qk_fix"] and not plain.attrs["qk_fix"]
    assert fixed.attrs["corrupted_metric"] == plain.attrs["corrupted_metric"]
    want = torch_qk_fixed(model_dir, clean_ids, corrupted_ids, position, target_id, foil_id, layers, heads)
    names = [f"blocks.{L}.attn.{s}" for s in ("q", "k") for L in range(layers)]
    _, linear = torch_atp(model_dir, clean_ids, corrupted_ids, position, target_id, foil_id, names)
    scale = max(float(np.abs(v).max()) for v in want.values())
    assert scale > 0
    for name in names:
        got = fixed[fixed["site"] == name]["metric"].to_numpy() - fixed.attrs["corrupted_metric"]
        np.testing.assert_allclose(got, want[name], atol=1e-4 * scale, err_msg=name)
        lin = plain[plain["site"] == name]["metric"].to_numpy() - plain.attrs["corrupted_metric"]
        np.testing.assert_allclose(lin, linear[name], atol=1e-4 * scale, err_msg=name)
    # The fix changes the estimates (a linear softmax is not the recomputed one), and only at q and k.
    assert not np.allclose(fixed["metric"], plain["metric"], rtol=0, atol=1e-6 * scale)
    both = m.attribution_patch(clean_text, corrupted_text, target, foil=foil, sites="out,attn.q", qk_fix=True)
    out_rows = both[both["site"].str.endswith(".out")]["metric"].to_numpy()
    assert np.array_equal(out_rows, m.attribution_patch(clean_text, corrupted_text, target, foil=foil,
                                                        sites="out")["metric"].to_numpy())


def test_qk_fix_without_q_or_k_cells_and_head_sites_patched_by_position():
    m = bertscope.load(CASES[0][0])
    args = ("the man went to the [MASK] to buy milk .", "the woman went to the [MASK] to buy bread .", "store")
    with pytest.raises(bertscope.Error, match="qk_fix recomputes the attention softmax for attn.q and attn.k cells"):
        m.attribution_patch(*args, sites="out", qk_fix=True)
    with pytest.raises(bertscope.Error, match="not at blocks.{L}.attn.pattern|not at attn.pattern"):
        m.patch_grid(*args, sites="attn.pattern")
    # A q cell of the patch grid is the corrupted run with that position's q (every head) put back.
    grid = m.patch_grid(*args, sites="attn.q")
    _, cache = m.run_with_cache(args[0], sites="blocks.1.attn.q")
    clean_q = cache["blocks.1.attn.q"]
    mask = m.encode(args[1])[0].index("[MASK]")

    def put_back(name, q):
        q[3] = clean_q[3]

    logits = m.run_with_hooks(args[1], {"blocks.1.attn.q": put_back})
    row = logits[mask].astype(np.float64)
    want = row[m.token_id("store")] - np.log(np.exp(row - row.max()).sum()) - row.max()
    cell = grid[(grid["block"] == 1) & (grid["position"] == 3)]
    assert float(cell["metric"].iloc[0]) == pytest.approx(want, abs=1e-4)
