"""Every family through the Python module: bertscope.load(dir) picks the family from
config.json, and its numbers are HuggingFace's (tests/data/families: golden hidden states
and the logits after zeroing block L's output at the prediction position)."""
import json
import os

import numpy as np
import pytest

import bertscope
from conftest import SOURCE_DIR
import safetensors_np

FAMILIES = os.path.join(SOURCE_DIR, "tests", "data", "families")
CASES = ["roberta-tiny", "xlm-roberta-tiny", "distilbert-tiny-f16", "albert-tiny", "electra-generator-untied",
         "modernbert-tiny-bf16", "gpt2-tiny"]


def golden(case):
    with open(os.path.join(FAMILIES, "golden", case + ".json")) as f:
        return json.load(f), safetensors_np.load_file(os.path.join(FAMILIES, "golden", case + ".safetensors"))


def whole_word(readable):
    """A word a user can type as a target: a golden top-5 token that is a whole word (no ##
    in WordPiece; the Ġ or ▁ word-start marker in BPE and SentencePiece), unmarked, from the
    first prompt that has one: (prompt index, token entry, word)."""
    wordpiece = readable["model_type"] in ("bert", "distilbert", "electra")
    for p, prompt in enumerate(readable["prompts"]):
        for t in prompt["top5"]:
            word = t["token"].removeprefix("\u0120").removeprefix("\u2581")
            if word.isalpha() and (not t["token"].startswith("##") if wordpiece else word != t["token"]):
                return p, t, word
    raise AssertionError("no whole word in the golden top-5")


@pytest.mark.parametrize("case", CASES)
def test_load_picks_the_family_and_matches_huggingface(case):
    m = bertscope.load(os.path.join(FAMILIES, "models", case), dtype="f32")  # HF's numbers are float32
    readable, tensors = golden(case)
    assert m.config["family"] == readable["model_type"]
    assert m.config["architecture"] == readable["hf_class"]
    prompt = readable["prompts"][0]
    # Hidden states at every layer, from the text (the family's tokenizer included).
    logits, cache = m.run_with_cache(prompt["text"], sites=["embed.out", "blocks.*.out"])
    assert m.encode(prompt["text"])[1] == list(tensors["p0.input_ids"])
    hidden = [cache["embed.out"]] + [cache[f"blocks.{l}.out"] for l in range(readable["num_layers"])]
    layers = readable["num_layers"]
    for l, h in enumerate(hidden):
        # GPT-2's last hidden_states entry is after ln_f; blocks.L.out is the residual stream
        # before it (the golden's block_out.{layers-1}).
        key = f"p0.block_out.{layers - 1}" if l == layers and f"p0.block_out.{layers - 1}" in tensors else f"p0.hidden.{l}"
        np.testing.assert_allclose(h, tensors[key], atol=1e-4, rtol=1e-3)
    at = prompt["prediction_position"]
    expected = tensors["p0.logits"]  # every position, or [1, vocab] at `at` for large vocabularies
    np.testing.assert_allclose(logits[at], expected[at] if len(expected) == len(logits) else expected[0],
                               atol=1e-4, rtol=1e-3)
    # The top-5 at the prediction position is HF's.
    predicted = m.predict(prompt["text"], top=5)[0]
    assert [t for t, _ in predicted] == [t["token"] for t in prompt["top5"]]


@pytest.mark.parametrize("case", CASES)
def test_a_sweep_gives_huggingfaces_edited_logits(case):
    m = bertscope.load(os.path.join(FAMILIES, "models", case), dtype="f32")  # HF's numbers are float32
    readable, tensors = golden(case)
    p, target, word = whole_word(readable)
    r = m.sweep(readable["prompts"][p]["text"], word, "zero")
    for l in range(readable["num_layers"]):
        logits = tensors[f"p{p}.zero.L{l}.logits"].astype(np.float64)
        expected = logits[target["id"]] - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
        assert r.runs["target_logsoftmax"][l] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("case", CASES)
def test_a_trials_kept_state_is_what_huggingface_reads_after_the_edit(case):
    """return_sites: the last block's output kept at the prediction position of each zeroed
    trial, through the head, gives HF's edited logits (p{p}.zero.L{l}.logits)."""
    m = bertscope.load(os.path.join(FAMILIES, "models", case), dtype="f32")
    readable, tensors = golden(case)
    p, target, word = whole_word(readable)
    last = f"blocks.{readable['num_layers'] - 1}.out"
    r = m.sweep(readable["prompts"][p]["text"], word, "zero", return_sites=last)
    assert r.site_positions.tolist() == [[readable["prompts"][p]["prediction_position"]]]
    for l in range(readable["num_layers"]):
        np.testing.assert_allclose(m.head(r.sites[last][l, 0]), tensors[f"p{p}.zero.L{l}.logits"].reshape(-1),
                                   atol=1e-4, rtol=1e-3, err_msg=f"zero at block {l}")


def test_gpt2_ioi_patch_at_the_last_token_gives_huggingfaces_logits():
    """The course's IOI exercise on the Python API: patch block L's output at prompt a's last
    token from prompt b; the target " Mary"'s log-softmax is HF's (ioi.a_from_b.L{L}.logits).
    positions="last" and the default (a causal model predicts after its last token) agree."""
    m = bertscope.load(os.path.join(FAMILIES, "models", "gpt2-tiny"), dtype="f32")
    readable, tensors = golden("gpt2-tiny")
    ioi = readable["ioi"]
    for positions in ("last", "mask"):
        r = m.sweep(ioi["a"]["text"], "Mary", "patch", other_prompt=ioi["b"]["text"], positions=positions)
        for l in range(readable["num_layers"]):
            logits = tensors[f"ioi.a_from_b.L{l}.logits"].astype(np.float64)
            expected = logits[ioi["io_id"]] - logits.max() - np.log(np.exp(logits - logits.max()).sum())
            assert r.runs["target_logsoftmax"][l] == pytest.approx(expected, abs=1e-4)
    # With foil="John": IOI's metric, logit(" Mary") - logit(" John"), in every run, the
    # summary and the clean prediction, against HF's numbers.
    r = m.sweep(ioi["a"]["text"], "Mary", "patch", other_prompt=ioi["b"]["text"], foil="John")
    for l in range(readable["num_layers"]):
        expected = ioi["patches"][l]["a_from_b_logit_diff"]
        assert r.runs["logit_diff"][l] == pytest.approx(expected, abs=1e-4)
        assert r.summary["logit_diff_mean"][l] == r.runs["logit_diff"][l]
    assert r.prompts_table["clean_logit_diff"][0] == pytest.approx(ioi["clean_logit_diff_a"], abs=1e-4)
    assert r.prompts_table["foil"][0] == "John" and r.prompts[0]["foil"] == "John"
    assert r.clean["logit_diff"] == pytest.approx(r.prompts_table["clean_logit_diff"][0], rel=1e-6)
    with pytest.raises(bertscope.Error, match="foil \"Mary\" is the same word piece as target"):
        m.sweep(ioi["a"]["text"], "Mary", "zero", foil="Mary")
    with pytest.raises(TypeError, match="foil must be a str"):
        m.sweep(ioi["a"]["text"], "Mary", "zero", foil=3)
    # predict reads the next token after the prompt: HF's top-5 at the last position.
    prompt = readable["prompts"][0]
    assert [t for t, _ in m.predict(prompt["text"], top=5)[0]] == [t["token"] for t in prompt["top5"]]
