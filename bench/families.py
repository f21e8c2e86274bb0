#!/usr/bin/python3
"""The families case: the same noise sweep on a large-shaped random model of each family,
side by side in one run, as shares of the measured FMA peak.

    bench/families.py [--build-dir build-bench] [--layers 24] [--trials 100] [--repeats 2]

For each family make-random-model writes a model of the family's large shape once, under
bench/.cache/families/ (bert-large, roberta-large, xlm-roberta-large with its 250002-piece
vocabulary, distilbert-base, albert-large; F32). Each repeat times, interleaved across
families, a whole `bertscope sweep` process (the noise sweep of every block x --trials
trials at the [MASK] of run.py's prompt) and a `bertscope predict` process on the same
model; the sweep's time is their difference, so loading is not counted. FLOPs are counted
as run.py counts them (matmuls only), with each family's own shapes (ALBERT's and the
factorized head's widths). Only the standard library; prints a markdown table.
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
}


def sweep_flops(cfg, seq, trials, edited_layers):
    """run.py's count for the noise sweep (bertscope's rows), with the head's width `head`:
    every trial edited at block L runs blocks L+1.. (the last for the [MASK] row's query,
    FFN and output only) and the head on the [MASK] row."""
    H, F, V, D, n = cfg["hidden"], cfg["ffn"], cfg["vocab"], cfg["head"], cfg["layers"]
    block = seq * (2 * (4 * H * H + 2 * H * F) + 4 * seq * H)
    last_block = seq * 2 * 2 * H * H + seq * 2 * H * H + 2 * (H * H + 2 * H * F) + 4 * seq * H
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
    peak = json.loads(bench.run([bins["fma_peak"], "--threads", str(threads), "--seconds", "2", "--json"],
                                capture_output=True).stdout)["gflops"]
    out = os.path.join(args.cache, "sweep-out")
    times = {name: [] for name in names}
    seq = None
    for _ in range(args.repeats):
        for name in names:  # interleaved: a slow minute of the machine hits every family alike
            model = models[name]
            sweep = timed([bins["bertscope"], "sweep", "--model", model, "--prompt", bench.PROMPT, "--target",
                           bench.TARGET, "--intervention", "noise", "--trials", str(args.trials), "--seed", "0",
                           "--dtype", "f32", "--no-weights-cache", "--out", out, "--quiet"])
            # f32 throughout: the shares are of the f32 FMA peak (--dtype auto is bf16 on AMX). No
            # weights cache: a cold cache's write would fall on the sweep and not on the predict.
            load = timed([bins["bertscope"], "predict", "--model", model, "--dtype", "f32", "--no-weights-cache",
                          bench.PROMPT])
            times[name].append(sweep - load)
            if seq is None:
                with open(os.path.join(out, "results.json")) as f:
                    seq = len(json.load(f)["prompts"][0]["ids"])
    print(f"FMA peak {peak:.1f} GFLOP/s, {threads} threads; noise sweep of every block x {args.trials} trials, "
          f"{seq}-token prompt, median of {args.repeats} (sweep process minus predict process)\n")
    print("| family | shape | sweep | GFLOP | % of FMA peak | vs BERT's share |")
    print("|---|---|---|---|---|---|")
    shares = {}
    for name in names:
        cfg = FAMILIES[name][1]
        flops = sweep_flops(cfg, seq, args.trials, range(cfg["layers"]))
        t = statistics.median(times[name])
        shares[name] = flops / t / 1e9 / peak
        ratio = f"{shares[name] / shares['bert']:.3f}" if "bert" in shares else ""
        print(f"| {name} | {cfg['layers']} x {cfg['hidden']}, ffn {cfg['ffn']}, head {cfg['head']}, vocab {cfg['vocab']} "
              f"| {t:.2f} s | {flops / 1e9:.0f} | {100 * shares[name]:.1f}% | {ratio} |")


if __name__ == "__main__":
    main()
