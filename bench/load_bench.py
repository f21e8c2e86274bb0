#!/usr/bin/python3
"""Load time and shared memory with the packed-weights cache (issue #27), against a baseline
build in the same run: every figure that matters is a ratio of two runs made here, interleaved.

    bench/load_bench.py --baseline-build ../main/build            # this checkout's build/ vs main's

What it measures, on a bert-large-shaped model (made once with make-random-model under
bench/.cache unless --model is given), each a fresh process, median of --repeats:
  touch        mapping the weights file and reading one byte of every page: the floor of a load
  predict      `bertscope predict` wall time, load to first prediction: the baseline build; this
               build with --no-weights-cache; with the cache cold (its file removed first); warm
  memory       summed PSS (/proc/PID/smaps_rollup: shared pages counted once, split between
               their users) of 4 concurrent `bertscope sweep` processes, against one alone
  hot path     bertscope-bench's noise sweep and batched-throughput cases in both builds (needs
               bertscope-bench in both: -DBERTSCOPE_BENCH=ON), warm cache
Only the standard library and numpy are used. The cache of this run lives in a temporary
folder under bench/.cache (XDG_CACHE_HOME), never the user's.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = "Pay no attention to that man [MASK] the curtain!"
TARGET = "behind"
VOCAB = os.path.join(ROOT, "models", "bert-mini-uncased-demo", "vocab.txt")


def wall(cmd, env):
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return elapsed


TOUCH = r"""
import mmap, sys, time
import numpy as np
with open(sys.argv[1], "rb") as f:
    start = time.perf_counter()
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    total = int(np.frombuffer(m, dtype=np.uint8)[::4096].sum())
    print(time.perf_counter() - start)
"""


def touch_seconds(path):
    """Seconds to map `path` and read one byte of each of its pages (page cache warm)."""
    out = subprocess.run([sys.executable, "-c", TOUCH, path], check=True, capture_output=True, text=True)
    return float(out.stdout)


def pss_bytes(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def concurrent_pss(cmds, env):
    """Peak of the summed PSS of `cmds` run at once, sampled every 20 ms."""
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in cmds]
    peak = 0
    while any(p.poll() is None for p in procs):
        peak = max(peak, sum(pss_bytes(p.pid) for p in procs if p.poll() is None))
        time.sleep(0.02)
    for p in procs:
        if p.wait() != 0:
            sys.exit(f"sweep failed: {p.stderr.read().decode()}")
    return peak


def median(values):
    return statistics.median(values)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="this build (bin/bertscope)")
    p.add_argument("--baseline-build", required=True, help="the build to compare with, e.g. main's")
    p.add_argument("--model", help="model folder (default: a bert-large-shaped random F32 model in bench/.cache)")
    p.add_argument("--repeats", type=int, default=3, help="runs of each predict variant (median)")
    p.add_argument("--dtypes", default="f32,bf16")
    p.add_argument("--sweep-trials", type=int, default=2, help="noise trials per layer of the memory case's sweeps")
    p.add_argument("--hot-trials", type=int, default=10, help="noise trials per layer of the hot-path sweep")
    p.add_argument("--hot-repeats", type=int, default=3)
    p.add_argument("--skip-hot", action="store_true", help="no hot-path comparison")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--omp-wait-policy", choices=["inherit", "passive", "active"], default="inherit",
                   help="OMP_WAIT_POLICY of every run (passive: idle OpenMP threads do not spin, steadier "
                        "timings on a busy machine)")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "load-latest.json"))
    a = p.parse_args()

    this = os.path.join(a.build, "bin", "bertscope")
    base = os.path.join(a.baseline_build, "bin", "bertscope")
    for path in (this, base):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path}: not built")
    model = a.model or os.path.join(ROOT, "bench", ".cache", "bert-large-24l-f32")
    if not os.path.isdir(model):
        subprocess.run([os.path.join(a.build, "bin", "make-random-model"), "--out", model, "--vocab-file", VOCAB],
                       check=True)
    weights = os.path.join(model, "model.safetensors")
    os.makedirs(os.path.join(ROOT, "bench", ".cache"), exist_ok=True)
    xdg = tempfile.mkdtemp(prefix="load-bench-xdg-", dir=os.path.join(ROOT, "bench", ".cache"))
    env = dict(os.environ, XDG_CACHE_HOME=xdg)
    if a.omp_wait_policy != "inherit":
        env["OMP_WAIT_POLICY"] = a.omp_wait_policy
    env.pop("BERTSCOPE_WEIGHTS_CACHE", None)
    cache_dir = os.path.join(xdg, "bertscope", "weights")
    results = {"model": model, "weights_bytes": os.path.getsize(weights), "build": a.build,
               "baseline_build": a.baseline_build, "predict": {}, "memory": {}, "hot": {}}

    def clear_cache():
        shutil.rmtree(cache_dir, ignore_errors=True)

    try:
        wall([sys.executable, "-c", f"open({weights!r}, 'rb').read()"], env)  # page cache warm
        touches = [touch_seconds(weights) for _ in range(a.repeats)]
        results["touch_s"] = median(touches)
        results["cat_s"] = median([wall(["sh", "-c", f"cat '{weights}' > /dev/null"], env) for _ in range(a.repeats)])
        print(f"{weights} ({results['weights_bytes'] / 1e9:.2f} GB): touch every page of an mmap of it "
              f"{results['touch_s']:.3f} s, cat it {results['cat_s']:.3f} s")

        for dtype in a.dtypes.split(","):
            predict = [None, "--model", model, "--dtype", dtype, PROMPT]
            runs = {"baseline": [], "off": [], "cold": [], "warm": []}
            for _ in range(a.repeats):  # interleaved: drifts of the machine hit every variant alike
                runs["baseline"].append(wall([base, "predict"] + predict[1:], env))
                runs["off"].append(wall([this, "predict", "--no-weights-cache"] + predict[1:], env))
                clear_cache()
                runs["cold"].append(wall([this, "predict"] + predict[1:], env))
                runs["warm"].append(wall([this, "predict"] + predict[1:], env))
            cache_files = [os.path.join(cache_dir, f) for f in os.listdir(cache_dir) if f.endswith(".weights")]
            cache_touch = median([touch_seconds(cache_files[0]) for _ in range(a.repeats)])
            row = {k: median(v) for k, v in runs.items()}
            row["cache_bytes"] = os.path.getsize(cache_files[0])
            row["touch_cache_s"] = cache_touch
            results["predict"][dtype] = row
            print(f"predict {dtype}: baseline {row['baseline']:.3f} s, cache off {row['off']:.3f} s, "
                  f"cold {row['cold']:.3f} s, warm {row['warm']:.3f} s | warm/baseline {row['warm'] / row['baseline']:.2f}, "
                  f"cold/baseline {row['cold'] / row['baseline']:.2f}, warm/touch(weights file) "
                  f"{row['warm'] / results['touch_s']:.2f}, warm/cat(weights file) {row['warm'] / results['cat_s']:.2f}, touch of the cache file {cache_touch:.3f} s "
                  f"({row['cache_bytes'] / 1e9:.2f} GB)")

        if not a.skip_memory:
            with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "bench", ".cache")) as outs:
                def sweeps(binary, n, extra):
                    return [[binary, "sweep", "--model", model, "--dtype", "f32", "--quiet", "--prompt", PROMPT,
                             "--target", TARGET, "--intervention", "noise", "--trials", str(a.sweep_trials),
                             "--out", os.path.join(outs, f"{os.path.basename(os.path.dirname(os.path.dirname(binary)))}-{n}-{i}-{time.time_ns()}")]
                            + extra for i in range(n)]
                wall(sweeps(this, 1, [])[0], env)  # the f32 cache warm
                for name, binary, extra in (("baseline", base, []), ("off", this, ["--no-weights-cache"]),
                                            ("warm", this, [])):
                    one = concurrent_pss(sweeps(binary, 1, extra), env)
                    four = concurrent_pss(sweeps(binary, 4, extra), env)
                    results["memory"][name] = {"one": one, "four": four}
                    print(f"summed PSS, 4 concurrent sweeps, {name}: {four / 1e9:.2f} GB; one alone {one / 1e9:.2f} GB; "
                          f"ratio {four / one:.2f}")
                m = results["memory"]
                print(f"4 sweeps' summed PSS, warm cache over baseline: {m['warm']['four'] / m['baseline']['four']:.2f}")

        if not a.skip_hot:
            this_bench = os.path.join(a.build, "bench", "bertscope-bench")
            base_bench = os.path.join(a.baseline_build, "bench", "bertscope-bench")
            if not (os.access(this_bench, os.X_OK) and os.access(base_bench, os.X_OK)):
                print("hot path: skipped (bertscope-bench is not built in both builds: -DBERTSCOPE_BENCH=ON)")
            else:
                batch = os.path.join(xdg, "batch.json")
                write_batch(batch)
                times = {"baseline": {}, "this": {}}
                builds = [("baseline", base_bench), ("this", this_bench)]
                for r in range(a.hot_repeats):
                    for name, binary in builds if r % 2 == 0 else builds[::-1]:  # either goes first by turns
                        out = subprocess.run([binary, "--model", model, "--dtype", "f32", "--prompt", PROMPT,
                                              "--target", TARGET, "--cases", "noise,throughput", "--trials",
                                              str(a.hot_trials), "--long-repeats", "1", "--repeats", "1",
                                              "--batch", batch], env=env, check=True, capture_output=True, text=True)
                        for case, value in case_seconds(json.loads(out.stdout)).items():
                            times[name].setdefault(case, []).append(value)
                for case in times["this"]:
                    t, b = median(times["this"][case]), median(times["baseline"][case])
                    results["hot"][case] = {"this": t, "baseline": b}
                    print(f"hot path {case}: this {t:.3f} s, baseline {b:.3f} s, this/baseline {t / b:.3f}")
    finally:
        shutil.rmtree(xdg, ignore_errors=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"wrote {a.out}")


def case_seconds(report):
    """{case: seconds} from bertscope-bench's JSON (the median of its timed runs)."""
    out = {}
    for case, value in report.get("cases", report).items():
        if isinstance(value, dict):
            for key in ("median_s", "seconds", "median"):
                if key in value:
                    out[case] = float(value[key])
                    break
    return out


def write_batch(path, count=32, length=128, vocab=30522, cls=101, sep=102, mask=103):
    """The 32 x 128 throughput batch of bench/run.py: [CLS] random ids [SEP], one [MASK] each."""
    import random
    rng = random.Random(0)
    sequences, positions = [], []
    for _ in range(count):
        seq = [cls] + [rng.randrange(1000, vocab) for _ in range(length - 2)] + [sep]
        positions.append(rng.randrange(1, length - 1))
        seq[positions[-1]] = mask
        sequences.append(seq)
    with open(path, "w") as f:
        json.dump({"ids": sequences, "mask_positions": positions}, f)


if __name__ == "__main__":
    main()
