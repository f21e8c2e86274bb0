#!/usr/bin/python3
"""The families case: the same noise sweep on a large-shaped random model of each family,
side by side in one run, as shares of the measured FMA peak.

    bench/families.py [--build-dir build-bench] [--layers 24] [--trials 100] [--repeats 2]

For each family make-random-model writes a model of the family's large shape once, under
bench/.cache/families/ (bert-large, roberta-large, xlm-roberta-large with its 250002-piece
vocabulary, distilbert-base, albert-large, modernbert-large, gpt2-medium; F32). Each repeat
times, interleaved across families, a whole `bertscope sweep` process (the noise sweep of
every block x --trials trials at the [MASK] of run.py's prompt; GPT-2 predicts the word
after "... that old man standing behind the", at its last token) and a `bertscope predict` process on the
same model; the sweep's time is their difference, so loading is not counted. FLOPs are
counted as run.py counts them (matmuls only), with each family's own shapes (ALBERT's and the
factorized head's widths, ModernBERT's GLU, GPT-2's causal mask: the attention a mask leaves).

A second table (--window, on by default) times a 512-token ModernBERT forward with the local
layers' sliding window of 128 tokens against the same weights with a window past the prompt
(every layer global): the time saved against the FLOPs the window leaves out. Only the
standard library; prints markdown tables.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (run.py: build, fma peak, prompt, vocabulary)

# name: (make-random-model arguments, shapes for the FLOP count)
FAMILIES = {
    "bert": (["--family", "bert"], dict(layers=24, hidden=1024, ffn=4096, vocab=30522, head=1024)),
    "roberta": (["--family", "roberta"], dict(layers=24, hidden=1024, ffn=4096, vocab=30522, head=1024)),
    "xlm-roberta": (["--family", "xlm-roberta", "--vocab-size", "250002"],
                    dict(layers=24, hidden=1024, ffn=4096, vocab=250002, head=1024)),
    "distilbert": (["--family", "distilbert", "--layers", "6", "--hidden", "768", "--heads", "12", "--ffn", "3072"],
                   dict(layers=6, hidden=768, ffn=3072, vocab=30522, head=768)),
    "albert": (["--family", "albert", "--embedding", "128"], dict(layers=24, hidden=1024, ffn=4096, vocab=30522, head=128)),
    "modernbert": (["--family", "modernbert", "--layers", "28", "--heads", "16", "--ffn", "2624", "--vocab-size", "50368",
                    "--positions", "8192"],
                   dict(layers=28, hidden=1024, ffn=2624, vocab=50368, head=1024, glu=True)),
    "gpt2": (["--family", "gpt2", "--heads", "16", "--vocab-size", "50257", "--positions", "1024"],
             dict(layers=24, hidden=1024, ffn=4096, vocab=50257, head=1024, causal=True)),
}
# A causal model has no [MASK]: it predicts the word after the prompt, here of as many tokens
# (12) as the masked families' prompt, so that every family runs the same rows.
CAUSAL_PROMPT, CAUSAL_TARGET = "Pay no attention to that old man standing behind the", "curtain"


def sweep_flops(cfg, seq, trials, edited_layers):
    """run.py's count for the noise sweep (bertscope's rows), with the head's width `head`:
    every trial edited at block L runs blocks L+1.. (the last for the [MASK] row's query,
    FFN and output only) and the head on the [MASK] row."""
    H, F, V, D, n = cfg["hidden"], cfg["ffn"], cfg["vocab"], cfg["head"], cfg["layers"]
    ffn = (3 if cfg.get("glu") else 2) * H * F  # a GLU's input projection is twice as wide
    # q k^T and the weighted values: every key for every query, or under a causal mask only
    # the keys up to the query's own position, (seq + 1) / 2 of them on average.
    keys = (seq + 1) / 2 if cfg.get("causal") else seq
    block = seq * (2 * (4 * H * H + ffn) + 4 * keys * H)
    last_block = seq * 2 * 2 * H * H + seq * 2 * H * H + 2 * (H * H + ffn) + 4 * seq * H
    head_row = 2 * (H * D + D * V)
    per_trial = {layer: (n - 2 - layer) * block + last_block + head_row for layer in range(n - 1)}
    per_trial[n - 1] = head_row
    return sum(per_trial[layer] for layer in edited_layers) * trials + n * block + head_row


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(bench.ROOT, "build-bench"))
    p.add_argument("--cache", default=os.path.join(bench.ROOT, "bench", ".cache", "families"))
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--families", default=",".join(FAMILIES))
    p.add_argument("--no-window", dest="window", action="store_false", help="skip the windowed-attention table")
    args = p.parse_args()
    names = args.families.split(",")
    bins = bench.build(args.build_dir)
    threads = os.cpu_count()
    models = {}
    for name in names:
        extra, cfg = FAMILIES[name]
        models[name] = os.path.join(args.cache, name)
        if not os.path.exists(os.path.join(models[name], "model.safetensors")):
            bench.log(f"writing a random {name} model to {models[name]}")
            # bert-base-uncased's words (make-random-model fills a larger vocabulary with words of its own)
            bench.run([bins["make_random_model"], "--out", models[name], "--vocab-file", bench.VOCAB] + extra,
                      stdout=subprocess.DEVNULL)
    prompts = {name: (CAUSAL_PROMPT, CAUSAL_TARGET) if FAMILIES[name][1].get("causal") else (bench.PROMPT, bench.TARGET)
               for name in names}
    peak = json.loads(bench.run([bins["fma_peak"], "--threads", str(threads), "--seconds", "2", "--json"],
                                capture_output=True).stdout)["gflops"]
    out = os.path.join(args.cache, "sweep-out")
    times = {name: [] for name in names}
    seq = {}
    for _ in range(args.repeats):
        for name in names:  # interleaved: a slow minute of the machine hits every family alike
            model = models[name]
            prompt, target = prompts[name]
            sweep = timed([bins["bertscope"], "sweep", "--model", model, "--prompt", prompt, "--target",
                           target, "--intervention", "noise", "--trials", str(args.trials), "--seed", "0",
                           "--dtype", "f32", "--no-weights-cache", "--figures", "none", "--out", out, "--quiet"])
            # f32 throughout: the shares are of the f32 FMA peak (--dtype auto is bf16 on AMX). No
            # weights cache: a cold cache's write would fall on the sweep and not on the predict.
            # No figures: drawing them takes about 0.5 s whatever the model, a third of
            # DistilBERT's sweep and 1% of bert-large's.
            load = timed([bins["bertscope"], "predict", "--model", model, "--dtype", "f32", "--no-weights-cache",
                          prompt])
            times[name].append(sweep - load)
            if name not in seq:
                with open(os.path.join(out, "results.json")) as f:
                    seq[name] = len(json.load(f)["prompts"][0]["ids"])
    print(f"FMA peak {peak:.1f} GFLOP/s, {threads} threads; noise sweep of every block x {args.trials} trials, "
          f"median of {args.repeats} (sweep process minus predict process)\n")
    print("| family | shape | tokens | sweep | GFLOP | % of FMA peak | vs BERT's share |")
    print("|---|---|---|---|---|---|---|")
    shares = {}
    for name in names:
        cfg = FAMILIES[name][1]
        flops = sweep_flops(cfg, seq[name], args.trials, range(cfg["layers"]))
        t = statistics.median(times[name])
        shares[name] = flops / t / 1e9 / peak
        ratio = f"{shares[name] / shares['bert']:.3f}" if "bert" in shares else ""
        print(f"| {name} | {cfg['layers']} x {cfg['hidden']}, ffn {cfg['ffn']}, head {cfg['head']}, vocab {cfg['vocab']} "
              f"| {seq[name]} | {t:.2f} s | {flops / 1e9:.0f} | {100 * shares[name]:.1f}% | {ratio} |")
    if args.window and "modernbert" in names:
        window_table(bins, models["modernbert"], args.cache, args.repeats)


def window_table(bins, model, cache, repeats):
    """A 512-token forward of the ModernBERT model with its local layers' window of 128
    against the same weights with a window past the prompt (every layer attends to every
    token): the time saved, against the share of the forward's FLOPs the window leaves out."""
    wide = os.path.join(cache, "modernbert-global")
    os.makedirs(wide, exist_ok=True)
    with open(os.path.join(model, "config.json")) as f:
        config = json.load(f)
    for name in os.listdir(model):
        if name != "config.json" and not os.path.exists(os.path.join(wide, name)):
            os.symlink(os.path.join(model, name), os.path.join(wide, name))
    window = config["local_attention"]
    with open(os.path.join(wide, "config.json"), "w") as f:
        json.dump(dict(config, local_attention=4096), f, indent=2)
    words = "the man behind the curtain pays no attention to what the wizard says".split()
    long_text = " ".join(words[i % len(words)] for i in range(505)) + " [MASK] ."
    times = {"local": [], "global": []}
    for _ in range(repeats):
        for label, folder in (("local", model), ("global", wide)):
            base = ["--model", folder, "--dtype", "f32", "--no-weights-cache"]
            long_run = timed([bins["bertscope"], "predict"] + base + [long_text])
            short_run = timed([bins["bertscope"], "predict"] + base + [bench.PROMPT])
            times[label].append(long_run - short_run)
    H, F, n, every = 1024, 2624, config["num_hidden_layers"], config["global_attn_every_n_layers"]
    seq = 512
    local_layers = sum(1 for layer in range(n) if layer % every != 0)
    matmul = n * seq * 2 * (4 * H * H + 3 * H * F)
    attention_full = n * 4 * seq * seq * H
    # A query attends to the keys within window / 2 on each side (HF's sliding window).
    kept = sum(min(seq, q + window // 2 + 1) - max(0, q - window // 2) for q in range(seq)) / (seq * seq)
    attention_windowed = attention_full * (n - local_layers * (1 - kept)) / n
    predicted = (matmul + attention_windowed) / (matmul + attention_full)
    local, full = statistics.median(times["local"]), statistics.median(times["global"])
    print(f"\nModernBERT forward of {seq} tokens, {local_layers} of {n} layers local (window {window}), "
          f"median of {repeats} (512-token predict minus a short one)\n")
    print("| attention | forward | time vs every layer global | FLOPs vs every layer global |")
    print("|---|---|---|---|")
    print(f"| every layer global | {full:.2f} s | 1.000 | 1.000 |")
    print(f"| local layers windowed | {local:.2f} s | {local / full:.3f} | {predicted:.3f} |")


if __name__ == "__main__":
    main()
