#!/usr/bin/python3
"""The dataset report case: what writing a run's files costs beside computing it.

    bench/report_files.py [--build-dir build] [--model DIR] [--prompts 20] [--trials 20] [--rounds 3]

A dataset run as the course makes one: --prompts masked sentences (run.py's dataset, whose
lengths spread over 8..40 tokens) x 3 interventions (noise and shuffle with --trials trials,
zero once) at every block. Through the Python module, each round computes the run
(bertscope.run_spec without an output folder) and then writes its files (Result.save: the
CSV and JSON files, the figures and report.html), once for each `figures` setting, the
settings in a different order every round. Reported per setting: the median compute and
write times, their ratio, and the files written. The model is the demo model unless --model
names another. Only the standard library and the built module; prints a markdown table.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (run.py: the dataset's prompts)

SETTINGS = ("all", "summary", "none")


def module_path(build_dir):
    lib = os.path.join(build_dir, "lib")
    found = [os.path.join(lib, n, "site-packages") for n in sorted(os.listdir(lib))] if os.path.isdir(lib) else []
    found = [d for d in found if os.path.isdir(os.path.join(d, "bertscope"))]
    if not found:
        raise SystemExit(f"no Python module in {build_dir}: configure it with -DBERTSCOPE_PYTHON=ON and build")
    return found[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default=os.path.join(bench.ROOT, "build"))
    p.add_argument("--model", default=None, help="model folder (default: the demo model)")
    p.add_argument("--prompts", type=int, default=20)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    sys.path.insert(0, module_path(args.build_dir))
    import bertscope  # noqa: E402

    m = bertscope.load(args.model, threads=args.threads)
    prompts = [{"text": text, "target": target} for text, target in bench.dataset_prompts(args.prompts)]
    spec = {"name": "dataset", "trials": args.trials, "seed": 1, "prompts": prompts,
            "interventions": [{"kind": "noise"}, {"kind": "shuffle"}, {"kind": "zero"}]}
    times = {s: {"compute": [], "write": [], "files": 0, "bytes": 0} for s in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for k in range(len(SETTINGS)):
                setting = SETTINGS[(r + k) % len(SETTINGS)]
                start = time.perf_counter()
                result = bertscope.run_spec(dict(spec, figures=setting), model=m)
                middle = time.perf_counter()
                folder = os.path.join(tmp, f"{setting}-{r}")
                files = result.save(folder)
                end = time.perf_counter()
                times[setting]["compute"].append(middle - start)
                times[setting]["write"].append(end - middle)
                times[setting]["files"] = len(files)
                times[setting]["bytes"] = sum(os.path.getsize(f) for f in files)
    print(f"Model: {m.path} ({m.config['layers']} layers, hidden {m.config['hidden']}); {args.prompts} prompts x 3 "
          f"interventions, {args.trials} trials; {m.threads} threads; median of {args.rounds} rounds\n")
    print("| figures | compute (s) | write (s) | write / compute | files | MB |")
    print("|---|---|---|---|---|---|")
    for s in SETTINGS:
        c, w = statistics.median(times[s]["compute"]), statistics.median(times[s]["write"])
        print(f"| {s} | {c:.2f} | {w:.2f} | {w / c:.2f} | {times[s]['files']} | {times[s]['bytes'] / 1e6:.1f} |")
    auto = "summary" if args.prompts > 8 else "all"
    print(f"\n`auto` (the default) is `{auto}` for {args.prompts} prompts.")


if __name__ == "__main__":
    main()
