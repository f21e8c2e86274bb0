#!/usr/bin/python3
"""The collect case: what keeping a site's activations costs over the forward passes they need.

    bench/collect.py [--build-dir build-bench] [--prompts 108] [--rounds 5]

The course's neuron study collects the MLP activations (blocks.L.mlp.post, every block) at one
position of each of 108 sentences. bertscope-bench times, on run.py's bert-large-shaped model
(24 layers, ffn 4096), `collect` (bertscope's collect API: the prompts in padded batches, the
[MASK] row of every block's mlp.post kept) against `collect_forward` (the same batches'
forward passes alone), in alternating order over the rounds; the ratio of each round is
reported with their median. The sentences are examples/neurons/him.txt and her.txt with the
pronoun masked, repeated to --prompts. Only the standard library; prints a markdown table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (run.py: build, model, machine)


def dataset(count):
    lines = []
    for name, word in (("him.txt", "him"), ("her.txt", "her")):
        with open(os.path.join(bench.ROOT, "examples", "neurons", name)) as f:
            for text in f:
                words = text.strip().split(" ")
                at = next(i for i, w in enumerate(words) if w.strip(".,").lower() == word)
                words[at] = words[at].lower().replace(word, "[MASK]")
                lines.append(" ".join(words) + "\t" + word)
    return [lines[i % len(lines)] for i in range(count)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(bench.ROOT, "build-bench"))
    p.add_argument("--model", default=os.path.join(bench.ROOT, "bench", ".cache", "bert-large-24l-f32"))
    p.add_argument("--prompts", type=int, default=108)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    bins = bench.build(a.build_dir)
    bench.ensure_model(bins, a.model, 24)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("\n".join(dataset(a.prompts)) + "\n")
        data = f.name
    times = {"collect": [], "collect_forward": []}
    ratios = []
    try:
        for r in range(a.rounds):
            order = ["collect_forward", "collect"] if r % 2 == 0 else ["collect", "collect_forward"]
            out = subprocess.run([bins["bench"], "--model", a.model, "--dataset", data, "--cases", ",".join(order),
                                  "--repeats", "1", "--threads", str(a.threads)],
                                 check=True, capture_output=True, text=True).stdout
            cases = json.loads(out)["cases"]
            for name in times:
                times[name].append(cases[name]["median_s"])
            ratios.append(cases["collect"]["median_s"] / cases["collect_forward"]["median_s"])
            bench.log(f"round {r + 1}: collect {times['collect'][-1]:.3f} s, forward only {times['collect_forward'][-1]:.3f} s")
    finally:
        os.unlink(data)
    print(f"| case ({a.prompts} prompts, 24 x mlp.post at the [MASK], {a.threads} threads) | median s | |")
    print("|---|---|---|")
    print(f"| forward passes only | {statistics.median(times['collect_forward']):.3f} | 1.00x |")
    print(f"| collect | {statistics.median(times['collect']):.3f} | {statistics.median(ratios):.3f}x "
          f"(rounds {min(ratios):.3f}-{max(ratios):.3f}) |")


if __name__ == "__main__":
    main()
