#!/usr/bin/python3
"""bench/run.sh --compare-python: bertscope's cases through the Python module, as a user of it
runs them, with the protocol of `bertscope-bench --serve` so that run.py interleaves them with
the library's runs: a first JSON line (info), then per input line "CASE SEED" a line
{"seconds": s}, and {"peak_rss_bytes": n} for "quit".

  clean     m.predict(prompt): one forward pass, the MLM head at the [MASK], log-softmax, top-5
  notebook  m.sweep(prompt, target, ["shuffle", "noise"], trials=1, seed=SEED)
  noise     m.sweep(prompt, target, "noise", trials=N, seed=SEED)

Each time is of the Python call, from the caller's side: argument handling, the GIL released
and taken back, the progress checks between batches and the Result object included (its
DataFrames are built when first read, which a timing of the sweep itself leaves out).
"""
import argparse
import json
import resource
import sys
import time

import bertscope


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--serve", action="store_true", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--max-batch-tokens", type=int, default=2048)
    p.add_argument("--prompt", default="Pay no attention to that man [MASK] the curtain!")
    p.add_argument("--target", default="behind")
    args = p.parse_args()

    start = time.perf_counter()
    m = bertscope.load(args.model, threads=args.threads)
    load_s = time.perf_counter() - start

    def run(case, seed):
        start = time.perf_counter()
        if case == "clean":
            m.predict(args.prompt)
        elif case == "notebook":
            m.sweep(args.prompt, args.target, ["shuffle", "noise"], seed=seed, max_batch_tokens=args.max_batch_tokens)
        elif case == "noise":
            m.sweep(args.prompt, args.target, "noise", trials=args.trials, seed=seed,
                    max_batch_tokens=args.max_batch_tokens)
        else:
            raise ValueError(f"unknown case '{case}' (clean, notebook, noise)")
        return time.perf_counter() - start

    run("clean", 0)  # warm-up, untimed, as bertscope-bench does
    m.sweep(args.prompt, args.target, "shuffle", seed=999)
    check = m.sweep(args.prompt, args.target, "zero")
    tokens, _ = m.encode(args.prompt)
    print(json.dumps({"impl": "python", "ready": True, "model": m.path, "threads": m.threads, "load_s": load_s,
                      "seq": len(tokens), "mask_index": tokens.index("[MASK]"), "trials": args.trials,
                      "clean_target_logsoftmax": check.clean["target_logsoftmax"]}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line == "quit":
            break
        name, seed = (line.split() + ["0"])[:2]
        try:
            reply = {"seconds": run(name, int(seed))}
        except Exception as e:  # reported to run.py, which stops with it
            reply = {"error": str(e)}
        print(json.dumps(reply), flush=True)
    print(json.dumps({"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}), flush=True)


if __name__ == "__main__":
    main()
