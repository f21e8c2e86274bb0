#!/usr/bin/python3
"""bench/run.sh's driver: bertscope against PyTorch on a bert-large-shaped model.

Builds what it needs (Release), makes the random-weight model once, checks the PyTorch
baselines against bertscope on the same weights, times every case with the runs of all
implementations interleaved, and prints a markdown table with the targets beside the
measured values. Also writes bench/results/latest.json. See bench/README.md.

Only the standard library is used here, so bertscope's rows still come out where
python3-torch is not installed (the baseline rows then say so).
"""
import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = "Pay no attention to that man [MASK] the curtain!"
TARGET = "behind"
VOCAB = os.path.join(ROOT, "models", "bert-mini-uncased-demo", "vocab.txt")
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python, where python3-torch lives
MODULE_PYTHON = "/usr/bin/python3"  # the interpreter the Python module is built for (python/CMakeLists.txt)
TARGETS = {
    "peak_share": 0.70,     # 24x100 noise sweep fp32: share of measured FMA peak
    "bf16_speedup": 1.7,    # bf16 over fp32, same sweep
    "bf16_same_top1": 0.99, # share of noise trials whose top-1 token bf16 keeps
    "vs_a": 30.0,           # bertscope over baseline (a), sweeps
    "vs_b": 2.0,            # bertscope over baseline (b), sweeps
    "load_s": 1.5,          # load to first prediction, warm page cache
    "rss_over_file": 200e6, # peak RSS of an fp32 run minus the weights file size
    "python_overhead": 0.05,  # Python's m.sweep over the library's run_sweep, noise sweep
    "baseline_slowdown": 0.02,  # this build against --baseline-build's, noise sweep
    "dataset_peak_share": 0.70,  # dataset case fp32: share of measured FMA peak
    "dataset_vs_b": 5.0,    # dataset case: bertscope over (b) run one prompt at a time
    "rss_growth": 0.10,     # peak RSS of a streamed sweep with 10 x N trials over N trials, minus 1
}
# bertscope-bench servers: the portable fp32 build (the reference of every ratio), bf16, and
# with --compare-native an fp32 build with -march=native; with --compare-python the same
# cases through the Python module (bench/python_bench.py), fp32; with --baseline-build the
# bertscope-bench of another build (another checkout, e.g. main's), fp32.
BERTSCOPE_IMPLS = ("bertscope", "bf16", "native", "python", "baseline")
CASES = {
    "clean": "clean forward (1 x {seq} tokens)",
    "notebook": "notebook sweep ({layers} x 1 shuffle + {layers} x 1 noise)",
    "noise": "noise sweep ({layers} x {trials})",
    "dataset": "dataset ({prompts} prompts of {shortest}-{longest} tokens x {layers} x {dataset_trials} noise)",
    "throughput": "batched throughput ({batch} x {tokens} tokens: one forward, head at each [MASK])",
}
# The throughput case: sequences x tokens in one forward (equal lengths, no padding).
THROUGHPUT_SHAPE = (32, 128)
# Which implementations run which case (bertscope's servers run them all, except the
# Python module and --baseline-build, which predate the throughput case).
CASE_IMPLS = {
    "clean": BERTSCOPE_IMPLS + ("a", "b", "onnx"),
    "notebook": BERTSCOPE_IMPLS + ("a", "b"),
    "noise": BERTSCOPE_IMPLS + ("a", "b"),
    "throughput": ("bertscope", "bf16", "native", "torch", "onnx"),
    # batched across prompts (fp32, bf16), one prompt at a time (the fp32 server), and (b)
    # one prompt at a time in fp32 and in bf16 ("b16")
    "dataset": ("bertscope", "bf16", "serial", "b", "b16"),
}

def rss_label(impl, scope):
    """The peak-RSS row of a bertscope-bench server; `scope`: which cases it covers."""
    return {"bertscope": f"bertscope-bench (fp32, {scope})", "bf16": f"bertscope-bench --dtype bf16 ({scope})",
            "native": f"bertscope-bench -march=native build ({scope})"}[impl]


ORT_VERSION = "1.23.2"  # onnxruntime-node, installed on demand into bench/.cache/onnxruntime
ORT_DIR = os.path.join(ROOT, "bench", ".cache", "onnxruntime")
ONNX_DIR = os.path.join(ROOT, "bench", ".cache", "onnx")
# The dataset case's sentences: each base sentence (one [MASK], its target word) grows by
# the clauses in turn until it reaches its share of 8-40 tokens (with [CLS] and [SEP]).
DATASET_BASES = [
    ("the man went to the [MASK]", "store"),
    ("paris is the [MASK] of france", "capital"),
    ("she opened the [MASK] very slowly", "window"),
    ("the children played in the [MASK]", "park"),
    ("he drank a cup of [MASK]", "coffee"),
    ("the doctor sent her to [MASK]", "bed"),
    ("we took the [MASK] to town", "train"),
    ("my brother plays the [MASK] well", "guitar"),
]
DATASET_CLAUSES = [
    "on a cold morning", "because it was late", "while the rain kept falling outside",
    "and nobody in the house said a word about it", "although his friends had warned him many times",
    "just as the old clock on the wall struck nine", "after a long and difficult week at the office",
    "before anyone else in the family woke up",
]


def dataset_prompts(count=48, shortest=8, longest=40):
    """`count` masked sentences whose lengths (words + [CLS], [SEP] and the full stop: the
    tokens, for these common words) spread evenly over shortest..longest: a base sentence
    with one [MASK] (and its target word) grown by the clauses that fit, in turn.
    Deterministic. Returns (text, target) pairs."""
    prompts = []
    for k in range(count):
        want = shortest + (longest - shortest) * k // max(1, count - 1)
        text, target = DATASET_BASES[k % len(DATASET_BASES)]
        words = text.split()
        for c in range(len(DATASET_CLAUSES)):
            clause = DATASET_CLAUSES[(k + c) % len(DATASET_CLAUSES)].split()
            if len(words) + 3 + len(clause) <= want:
                words += clause
        prompts.append((" ".join(words) + ".", target))
    return prompts

# Measured on whole `bertscope sweep` processes, not on the servers: --cases rss.
PROCESS_CASES = {"rss": "peak RSS of `bertscope sweep`, N and 10 x N noise trials (results streamed to disk)"}


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, text=True, **kwargs)


# ------------------------------------------------------------------------------ setup

def build(build_dir, native=None, python=False):
    """Configures a Release build (tests off when the folder is new) and builds the four
    binaries the benchmark runs; a no-op when they are up to date. `native`: True or False
    sets BERTSCOPE_NATIVE (-march=native for everything), None leaves the folder's setting.
    `python`: also the Python module (-DBERTSCOPE_PYTHON=ON)."""
    flags = [] if native is None else [f"-DBERTSCOPE_NATIVE={'ON' if native else 'OFF'}"]
    if python:
        flags.append("-DBERTSCOPE_PYTHON=ON")
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache) as f:
            build_type = next((l.split("=", 1)[1].strip() for l in f if l.startswith("CMAKE_BUILD_TYPE:")), "")
        if build_type != "Release":
            raise SystemExit(f"{build_dir} is a {build_type or 'no-type'} build: benchmarks need Release "
                             f"(use --build-dir with another folder)")
        run(["cmake", "-S", ROOT, "-B", build_dir, "-DBERTSCOPE_BENCH=ON"] + flags, stdout=subprocess.DEVNULL)
    else:
        run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release", "-DBERTSCOPE_TESTS=OFF",
             "-DBERTSCOPE_BENCH=ON"] + flags, stdout=subprocess.DEVNULL)
    log(f"building in {build_dir} (first time: several minutes)")
    run(["cmake", "--build", build_dir, "-j", str(os.cpu_count()), "--target", "bertscope", "bertscope-bench",
         "fma_peak", "make-random-model"] + (["bertscope_python"] if python else []), stdout=subprocess.DEVNULL)
    site = [d for d in (os.path.join(build_dir, "lib", n, "site-packages")
                        for n in sorted(os.listdir(os.path.join(build_dir, "lib")))) if os.path.isdir(d)] \
        if python else []
    return {
        "python_path": site[0] if site else None,
        "bertscope": os.path.join(build_dir, "bin", "bertscope"),
        "make_random_model": os.path.join(build_dir, "bin", "make-random-model"),
        "bench": os.path.join(build_dir, "bench", "bertscope-bench"),
        "fma_peak": os.path.join(build_dir, "bench", "fma_peak"),
    }


def ensure_model(bins, model_dir, layers):
    """The random-weight model, bert-large's shape (with `layers` blocks), F32; made once."""
    if os.path.exists(os.path.join(model_dir, "model.safetensors")) and \
            os.path.exists(os.path.join(model_dir, "config.json")):
        return
    log(f"writing a random bert-large-shaped model ({layers} layers) to {model_dir}")
    run([bins["make_random_model"], "--out", model_dir, "--vocab-file", VOCAB, "--layers", str(layers),
         "--dtype", "F32"], stdout=subprocess.DEVNULL)


def read_safetensors_ids(path):
    """input_ids of a `bertscope dump` file (I64), read with the standard library."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        info = header["input_ids"]
        begin, end = info["data_offsets"]
        f.seek(8 + n + begin)
        data = f.read(end - begin)
    return list(struct.unpack(f"<{len(data) // 8}q", data))


def cpu_info():
    name, flags = platform.processor(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and not name:
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return name or "unknown CPU", flags


def timed_process(cmd, env=None):
    """Wall seconds and peak RSS (bytes) of a child process, as GNU time -v reports them
    (both come from wait4's rusage). Output goes to temporary files, not pipes, so a
    chatty child cannot block."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().strip()[-2000:]}")
        return {"seconds": wall, "peak_rss_bytes": usage.ru_maxrss * 1024, "stdout": out.read()}


class Server:
    """A bertscope-bench --serve or torch_baseline.py serve process (one JSON line each way)."""

    def __init__(self, cmd, env, name):
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, text=True)
        self.info = self._reply()

    def _reply(self):
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            raise RuntimeError(f"{self.name} stopped: {err.strip()[-3000:]}")
        return json.loads(line)

    def ask(self, request):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        reply = self._reply()
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {reply['error']}")
        return reply

    def close(self):
        """Stops the server; returns its peak RSS in bytes."""
        reply = self.ask("quit")
        self.proc.wait()
        return reply["peak_rss_bytes"]


# ----------------------------------------------------------------------------- torch

def torch_available():
    if not os.path.exists(TORCH_PYTHON):
        return False
    return subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True).returncode == 0


def torch_env(threads, coretype):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    else:
        env.pop("OPENBLAS_CORETYPE", None)
    return env


def pick_openblas_kernel(threads, flags, requested):
    """PyTorch's float32 matmuls go through the system BLAS. Give the baseline the fastest
    OpenBLAS kernel this CPU runs: OpenBLAS may not know a new CPU and fall back to an old
    kernel (or the environment may pin one with OPENBLAS_CORETYPE). Returns (coretype, probes)."""
    script = os.path.join(ROOT, "bench", "torch_baseline.py")
    def probe(coretype):
        out = run([TORCH_PYTHON, script, "probe", "--threads", str(threads)], capture_output=True,
                  env=torch_env(threads, coretype)).stdout
        return json.loads(out)
    if requested != "auto":
        return (None if requested == "none" else requested), {}
    first = probe(os.environ.get("OPENBLAS_CORETYPE"))
    probes = {os.environ.get("OPENBLAS_CORETYPE") or "(unset)": first}
    if not any("openblas" in p for p in first["blas"]):
        log(f"WARNING: torch uses {first['blas']}, not OpenBLAS: a slow reference BLAS makes the baseline "
            "look worse than it is. Install libopenblas0 (libtorch recommends it).")
        return os.environ.get("OPENBLAS_CORETYPE"), probes
    candidates = ["Haswell", "Zen"] + (["SkylakeX", "CooperLake"] if "avx512f" in flags else [])
    for coretype in candidates:
        if coretype not in probes:
            probes[coretype] = probe(coretype)
    best = max(probes, key=lambda k: probes[k]["gflops"])
    return (None if best == "(unset)" else best), probes


# ------------------------------------------------------------------------ ONNX Runtime

def ensure_onnxruntime():
    """onnxruntime-node ORT_VERSION in ORT_DIR, installed with npm the first time.
    Returns (folder, None) or (None, why not). --ignore-scripts: the package's postinstall
    only fetches GPU (CUDA, TensorRT) provider libraries; the CPU library ships in it."""
    if not shutil.which("node"):
        return None, "no node on PATH (apt-get install nodejs npm)"
    installed = os.path.join(ORT_DIR, "node_modules", "onnxruntime-node", "package.json")
    if os.path.exists(installed):
        with open(installed) as f:
            if json.load(f).get("version") == ORT_VERSION:
                return ORT_DIR, None
    if not shutil.which("npm"):
        return None, "no npm on PATH to install onnxruntime-node (apt-get install npm)"
    log(f"installing onnxruntime-node {ORT_VERSION} into {ORT_DIR} (npm, once)")
    os.makedirs(ORT_DIR, exist_ok=True)
    with open(os.path.join(ORT_DIR, "package.json"), "w") as f:
        json.dump({"private": True, "description": "bench/run.sh's ONNX Runtime baseline"}, f)
    done = subprocess.run(["npm", "install", "--prefix", ORT_DIR, "--ignore-scripts", "--no-audit", "--no-fund",
                           "--omit=dev", f"onnxruntime-node@{ORT_VERSION}"], capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"npm install onnxruntime-node@{ORT_VERSION} failed: {done.stderr.strip()[-500:]}"
    return ORT_DIR, None


def export_onnx(model, ids, mask, env):
    """The model as ONNX (torch_baseline.py export-onnx), cached in ONNX_DIR and written
    again when the weights file changes (the stamp beside it records which one it is)."""
    weights = os.path.join(model, "model.safetensors")
    st = os.stat(weights)
    stamp = {"weights": os.path.realpath(weights), "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
    path = os.path.join(ONNX_DIR, os.path.basename(os.path.normpath(model)) + ".onnx")
    try:
        with open(path + ".json") as f:
            if json.load(f) == stamp and os.path.exists(path):
                return path
    except (OSError, ValueError):
        pass
    log(f"exporting the model to ONNX ({path}, once per weights file)")
    os.makedirs(ONNX_DIR, exist_ok=True)
    run([TORCH_PYTHON, os.path.join(ROOT, "bench", "torch_baseline.py"), "export-onnx", "--model", model,
         "--ids", ",".join(map(str, ids)), "--mask", str(mask), "--out", path], capture_output=True, env=env)
    with open(path + ".json", "w") as f:
        json.dump(stamp, f)
    return path


def mask_token_id(model):
    """The id of [MASK] in the model's vocabulary (vocab.txt, or tokenizer.json's)."""
    vocab_txt = os.path.join(model, "vocab.txt")
    if os.path.exists(vocab_txt):
        with open(vocab_txt, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f].index("[MASK]")
    with open(os.path.join(model, "tokenizer.json"), encoding="utf-8") as f:
        return json.load(f)["model"]["vocab"]["[MASK]"]


def write_throughput_batch(path, ids, mask_index, vocab):
    """The throughput case's batch, the same for every implementation: THROUGHPUT_SHAPE
    sequences of [CLS] + random ids + [SEP] (ids of the prompt's tokens), one [MASK] each
    at a random position; fixed seed."""
    count, length = THROUGHPUT_SHAPE
    rng = random.Random(0)
    cls, sep, mask = ids[0], ids[-1], ids[mask_index]
    special = {cls, sep, mask}
    words = [i for i in range(1000, vocab) if i not in special]
    sequences, positions = [], []
    for _ in range(count):
        seq = [cls] + [rng.choice(words) for _ in range(length - 2)] + [sep]
        positions.append(rng.randrange(1, length - 1))
        seq[positions[-1]] = mask
        sequences.append(seq)
    with open(path, "w") as f:
        json.dump({"ids": sequences, "mask_positions": positions}, f)
    return path


# ---------------------------------------------------------------------- FLOP counting

def count_flops(cfg, seq, case, impl, trials):
    """FLOPs an implementation executes for a case, counting matmuls only (2 per multiply-
    add): per token per block 2*(4*H*H + 2*H*F) for the six weight matmuls, plus 4*S*H for
    attention's QK^T and PV; the MLM head 2*(H*H + H*V) per row it is computed on.
    Embeddings, LayerNorm, GELU, softmax and log-softmax are left out (O(S*H) each).
    Baseline (a) runs a full pass per trial, head on every token (as HF's BertForMaskedLM);
    bertscope and (b) run one clean pass, then blocks L+1.. per trial, the last of them for
    the [MASK] row only (keys and values of every row; bertscope's fused QKV matmul also
    computes every row's query there), and the head on the mask row. ONNX Runtime's clean
    forward is bertscope's (the exported graph runs the head at the rows asked for); the
    throughput case is the same work for every implementation."""
    H, F, V, n = cfg["hidden"], cfg["ffn"], cfg["vocab"], cfg["layers"]
    block = seq * (2 * (4 * H * H + 2 * H * F) + 4 * seq * H)  # one block, one sequence
    query_rows = seq if impl in BERTSCOPE_IMPLS else 1
    last_block = seq * 2 * 2 * H * H + query_rows * 2 * H * H + 2 * (H * H + 2 * H * F) + 4 * seq * H
    head_row = 2 * (H * H + H * V)
    full_pass = n * block + seq * head_row
    clean_pass = n * block + head_row
    if case == "clean":
        return full_pass if impl == "a" else clean_pass
    if case == "throughput":  # every implementation: the encoder on every token, the head on the [MASK] rows
        count, length = THROUGHPUT_SHAPE
        return count * (n * length * (2 * (4 * H * H + 2 * H * F) + 4 * length * H) + head_row)
    kinds, per_layer = (2, 1) if case == "notebook" else (1, trials)
    if impl == "a":
        return (1 + kinds * n * per_layer) * full_pass
    # A trial edited at block L runs n - 1 - L blocks: all but the last in full.
    suffix = sum((n - 2 - layer) * block + last_block for layer in range(n - 1))
    return clean_pass + kinds * per_layer * (suffix + n * head_row)


def dataset_flops(cfg, dataset, impl, trials):
    """The dataset case's FLOPs: the noise sweep's of every prompt at its own length (real
    tokens only: the padding bertscope's batches carry is not credited)."""
    return sum(count_flops(cfg, len(p["ids"]), "noise", impl, trials) for p in dataset)


# -------------------------------------------------------------------------- reporting

def fmt_time(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_bytes(b):
    return f"{b / 1e6:,.0f} MB"


def verdict(ok):
    return "met" if ok else "**not met**"


def process_rows(r):
    """Rows of the things measured on whole processes: load time, peak RSS, CLI sweeps."""
    limit = f"<= {fmt_bytes(r['weights_bytes'] + TARGETS['rss_over_file'])}"
    rows = []
    load = r["load_to_first_prediction"]
    rows.append(("load to first prediction (warm)", "`bertscope predict` fp32", fmt_time(load["bertscope"]["seconds"]),
                 "2nd of 2", f"< {TARGETS['load_s']} s"))
    if "torch" in load:
        rows.append(("", "PyTorch: python, import torch, load, predict", fmt_time(load["torch"]["seconds"]),
                     "2nd of 2", ""))
    first = "peak RSS"
    for label, rss in r["peak_rss"].items():
        rows.append((first, label, fmt_bytes(rss), "", limit if label.startswith("bertscope") else ""))
        first = ""
    err = r.get("bf16_error")
    if err:
        rows.append(("bf16 error vs fp32", "clean [MASK] logits",
                     f"max abs diff {err['clean_max_abs_logit_diff']:.3g}, top-5 "
                     f"{'identical' if err['clean_top5_identical'] else 'differs'}", "", ""))
        rows.append(("", f"{err['trials']} noise trials, same draws",
                     f"same top-1 in {err['same_top1_share']:.1%}; target log-softmax within "
                     f"{err['max_abs_target_logsoftmax_diff']:.3g}", "",
                     f">= {TARGETS['bf16_same_top1']:.0%} same top-1"))
        rows.append(("", "fp32 top-1 margin (log-prob over top-2)",
                     f"median {err['median_fp32_top1_margin']:.3g}; every changed top-1 had at most "
                     f"{err['changed_top1_widest_fp32_margin']:.3g}", "", ""))
    if "rss" in r:
        rows += rss_rows(r["rss"])
    return rows


def measure_rss(bins, model, threads, trials, layers):
    """Peak RSS of `bertscope sweep` with `trials` and 10 x `trials` noise trials per layer
    at the last `layers` blocks (the cheapest trials: the measure is memory, not speed).
    Results go to disk as trials finish, so the two should be within TARGETS['rss_growth']."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="bertscope-rss-") as tmp:
        for n in (trials, 10 * trials):
            log(f"rss: bertscope sweep, {n} noise trials x {layers} layers")
            cfg = json.load(open(os.path.join(model, "config.json")))
            last = cfg["num_hidden_layers"] - 1
            m = timed_process([bins["bertscope"], "sweep", "--model", model, "--threads", str(threads), "--prompt", PROMPT,
                               "--target", TARGET, "--intervention", "noise", "--layers", f"{last - layers + 1}-{last}",
                               "--trials", str(n), "--out", os.path.join(tmp, f"rss{n}"), "--quiet"])
            out[str(n)] = {"trials": n * layers, "seconds": m["seconds"], "peak_rss_bytes": m["peak_rss_bytes"]}
    small, large = out[str(trials)], out[str(10 * trials)]
    out["growth"] = large["peak_rss_bytes"] / small["peak_rss_bytes"] - 1
    return out


def rss_rows(rss):
    rows = []
    runs = [v for k, v in rss.items() if k != "growth"]
    for i, m in enumerate(runs):
        rows.append(("peak RSS, streamed sweep" if i == 0 else "", f"`bertscope sweep`, {m['trials']} noise trials",
                     fmt_bytes(m["peak_rss_bytes"]), fmt_time(m["seconds"]),
                     f"10x trials within +{TARGETS['rss_growth']:.0%}" if i == 0 else ""))
    rows.append(("", "growth from N to 10 x N trials", f"{rss['growth']:+.1%}", "",
                 verdict(rss["growth"] <= TARGETS["rss_growth"])))
    return rows


def make_report(r):
    cfg, seq, trials = r["config"], r["seq"], r["trials"]
    peak = r["fma_peak"]["gflops"]
    lines = []
    add = lines.append
    add(f"## bertscope vs PyTorch: {cfg['layers']} layers, hidden {cfg['hidden']}, ffn {cfg['ffn']}, "
        f"vocab {cfg['vocab']} (random weights, fp32, {seq}-token prompt)")
    add("")
    m = r["machine"]
    add(f"- machine: {m['cpu']}, {m['cores']} cores, {r['threads']} threads used by every implementation; "
        f"load average {m['load_before'][0]:.2f} before, {m['load_after'][0]:.2f} after; "
        f"OMP_WAIT_POLICY={m['omp_wait_policy'] or '(unset)'}")
    add(f"- FMA peak (bench/fma_peak, {r['fma_peak']['isa']}, {r['fma_peak']['threads']} threads, over each "
        f"thread's CPU time; best of a run before and after: "
        f"{' / '.join(f'{g:.0f}' for g in r['fma_peak']['runs_gflops'])}): **{peak:.1f} GFLOP/s** float32. "
        f"By wall clock, with the other processes of the machine, it got "
        f"{' / '.join(f'{g:.0f}' for g in r['fma_peak']['runs_wall_gflops'])} GFLOP/s: the cases' times include "
        f"that sharing, so on a busy machine their share of peak reads low")
    t = r["torch"]
    if t.get("info"):
        i = t["info"]
        blas = next((b for b in i["blas"] if "libblas" in b), ", ".join(i["blas"]) or "?")
        add(f"- PyTorch {i['torch_version']}, {i['threads']} threads, BLAS {blas}, "
            f"OPENBLAS_CORETYPE={i['openblas_coretype'] or '(unset)'} "
            f"(probed GFLOP/s: {', '.join(f'{k} {v:.0f}' for k, v in t.get('openblas_probes', {}).items())})")
        c = i["checks"]
        add(f"- correctness check (same weights): clean logits vs `bertscope dump`, max |diff| "
            f"{c['clean_logits_max_abs_diff_all_tokens']:.1e} (all tokens), "
            f"{c['clean_logits_max_abs_diff_mask_row']:.1e} ([MASK] row); (b) vs (a) clean log-probs "
            f"{c['b_vs_a_clean_log_probs_max_abs_diff']:.1e}; zeroing the [MASK] row after each block, target "
            f"log-prob vs `bertscope sweep`: (a) {c['zero_sweep_a_vs_bertscope_max_abs_diff']:.1e}, "
            f"(b) {c['zero_sweep_b_vs_bertscope_max_abs_diff']:.1e} -> "
            f"**{'PASS' if c['passed'] else 'FAIL'}** (tolerance {c['tolerance']:g})")
        if "b16_vs_f32_clean_log_probs_max_error" in c:
            add(f"- (b) in bf16 (\"b16\", `model.to(torch.bfloat16)`, dataset case): its clean log-probs at the "
                f"[MASK] differ from fp32's by up to {c['b16_vs_f32_clean_log_probs_max_error']:.2g} "
                "(reported, not checked: bf16 is not exact)")
    else:
        add(f"- PyTorch baselines: skipped ({t.get('skipped')})")
    o = r.get("onnx", {})
    if o.get("info"):
        i, c = o["info"], o["info"]["checks"]
        add(f"- ONNX Runtime {i['ort_version']} (npm onnxruntime-node, node {i['node_version']}), {i['threads']} "
            f"intra-op threads (spinning {'on' if i['spin'] else 'off'}), graph optimizations all, sequential; "
            f"model exported by torch.onnx.export (opset 14): encoder + MLM head at the rows asked for; "
            f"correctness check: clean logits vs `bertscope dump`, max |diff| "
            f"{c['clean_logits_max_abs_diff_all_tokens']:.1e} (all tokens), "
            f"{c['clean_logits_max_abs_diff_mask_row']:.1e} ([MASK] row) -> "
            f"**{'PASS' if c['passed'] else 'FAIL'}** (tolerance {c['tolerance']:g})")
    elif "onnx" in r:
        add(f"- ONNX Runtime baseline: skipped ({o.get('skipped')})")
    add("- a shared, noisy machine: read the ratios within one run, not the absolute times. The runs of all "
        "implementations are interleaved, so a burst of load hits them alike")
    add("- GFLOP: matmul FLOPs each implementation executes (see count_flops: per token per block "
        "2(4H^2+2HF) + 4SH, head 2(H^2+HV) per row it runs on)")
    add("- bertscope speed-up: baseline time / bertscope time within each round (they run one after the other), "
        "median over the rounds, (lowest-highest round)")
    add("")
    add("| case | implementation | median time | runs | GFLOP | GFLOP/s | % of FMA peak | bertscope speed-up | target |")
    add("|---|---|---|---|---|---|---|---|---|")
    names = {"bertscope": "bertscope fp32", "bf16": "bertscope `--dtype bf16`",
             "a": "PyTorch (a) notebook: hook + full pass per trial",
             "b": "PyTorch (b) batched, prefix reuse",
             "b16": "PyTorch (b) in bf16 (`model.to(torch.bfloat16)`)",
             "torch": "PyTorch, one batched forward (inference_mode)",
             "onnx": "ONNX Runtime (onnxruntime-node)",
             "native": "bertscope fp32, `-DBERTSCOPE_NATIVE=ON` build",
             "python": "bertscope fp32 from Python (`m.sweep`, `m.predict`)",
             "baseline": "bertscope fp32, baseline build (`--baseline-build`)",
             "serial": "bertscope fp32, one prompt at a time (run_sweep per prompt)"}
    lengths = [len(p["ids"]) for p in r.get("dataset", [])] or [0]
    for case, by_impl in r["cases"].items():
        label = CASES[case].format(seq=seq, layers=cfg["layers"], trials=trials, prompts=len(r.get("dataset", [])),
                                   shortest=min(lengths), longest=max(lengths), dataset_trials=r.get("dataset_trials"),
                                   batch=THROUGHPUT_SHAPE[0], tokens=THROUGHPUT_SHAPE[1])
        for impl, m in by_impl.items():
            gflop = m["flops"] / 1e9
            rate = gflop / m["median_s"]
            runs = str(len(m["times_s"]))
            if m.get("extrapolated") and case == "dataset":
                runs += f", {m['prompts_run']} of {len(r['dataset'])} prompts, x{m['scale']:.2f} (FLOPs)"
            elif m.get("extrapolated"):
                runs += f" of {m['trials_run']} trials/layer, x{m['scale']:.2f}"
            speedup = ""
            if impl != "bertscope":
                lo, hi = min(m["round_speedups"]), max(m["round_speedups"])
                speedup = f"{m['speedup']:.2f}x" + (f" ({lo:.2f}-{hi:.2f})" if len(m["round_speedups"]) > 1 else "")
                if impl == "bf16":
                    speedup += " bf16 over fp32"
                if impl == "b16":
                    speedup += " (bertscope bf16 over it)"
                if "bf16_speedup" in m:
                    speedup += f"; bertscope bf16 over it: {m['bf16_speedup']:.2f}x"
                if impl == "native":
                    speedup += " portable over native"
                if impl == "baseline":
                    speedup += " this build over the baseline"
                if impl == "python":  # the ratio is Python's time over the library's, not a speed-up
                    speedup = (f"{m['speedup']:.3f}x" + (f" ({lo:.3f}-{hi:.3f})" if len(m["round_speedups"]) > 1
                                                         else "") + " Python's time over the library's")
            add(f"| {label} | {names[impl]} | {fmt_time(m['median_s'])} | {runs} | {gflop:,.1f} | "
                f"{rate:,.1f} | {100 * rate / peak:.1f}% | {speedup} | {m.get('target', '')} |")
            label = ""
    for case, impl, value, runs, target in process_rows(r):
        add(f"| {case} | {impl} | {value} | {runs} | | | | | {target} |")
    add("")
    lines.extend(profile_lines(r))
    add("### Targets")
    add("")
    add("| target | measured | verdict |")
    add("|---|---|---|")
    for tgt in r["targets"]:
        add(f"| {tgt['target']} | {tgt['measured']} | {tgt['verdict']} |")
    return "\n".join(lines)


def profile_lines(r):
    """Where the throughput forward's time goes: bertscope's block stages (each timed alone,
    x layers) beside ONNX Runtime's profile by operator type (inside its timed runs)."""
    p = r.get("throughput_profile")
    if not p:
        return []
    b, o = p["bertscope"], p["onnx"]
    layers, total_b, total_o = b["layers"], b["forward_seconds_estimate"], o["model_run_s"]
    out = ["### Where the throughput forward's time goes", "",
           f"Each process alone, after the interleaved runs. bertscope: each stage of a block timed alone on "
           f"{b['rows']} rows (random weights of the model's shape), x {layers} blocks: sum {fmt_time(total_b)} "
           f"per forward. ONNX Runtime: its profiler's kernel times by operator type, per forward "
           f"(model_run {fmt_time(total_o)}).", "",
           "| bertscope stage | time per forward | share | GFLOP/s |", "|---|---|---|---|"]
    for st in b["stages"]:
        t = st["seconds"] * (layers if st["per_block"] else 1)
        rate = f"{st['gflops_per_s']:,.0f}" if st["gflops_per_s"] else ""
        out.append(f"| {st['stage']} | {fmt_time(t)} | {t / total_b:.0%} | {rate} |")
    out += ["", "| ONNX Runtime operator | time per forward | share |", "|---|---|---|"]
    for op, t in sorted(o["op_seconds"].items(), key=lambda kv: -kv[1]):
        if t >= 0.005 * total_o:
            out.append(f"| {op} | {fmt_time(t)} | {t / total_o:.0%} |")
    out.append("")
    return out


def evaluate_targets(r):
    out = []
    peak = r["fma_peak"]["gflops"]
    bs = r["cases"].get("noise", {}).get("bertscope")
    if bs:
        share = bs["flops"] / bs["median_s"] / 1e9 / peak
        out.append({"target": f"{r['config']['layers']}x{r['trials']} noise sweep fp32 >= "
                              f"{TARGETS['peak_share']:.0%} of measured FMA peak",
                    "measured": f"{share:.1%}", "verdict": verdict(share >= TARGETS["peak_share"])})
    bf = r["cases"].get("noise", {}).get("bf16")
    if bf:
        out.append({"target": f"bf16 >= {TARGETS['bf16_speedup']}x faster than fp32 (noise sweep)",
                    "measured": f"{bf['speedup']:.2f}x", "verdict": verdict(bf["speedup"] >= TARGETS["bf16_speedup"])})
    else:
        out.append({"target": f"bf16 >= {TARGETS['bf16_speedup']}x faster than fp32",
                    "measured": "not run (--dtype, --cases)", "verdict": "skipped"})
    if "bf16_error" in r:
        same = r["bf16_error"]["same_top1_share"]
        out.append({"target": f"bf16 keeps fp32's top-1 in >= {TARGETS['bf16_same_top1']:.0%} of noise trials",
                    "measured": f"{same:.1%}", "verdict": verdict(same >= TARGETS["bf16_same_top1"])})
    for impl, key in (("a", "vs_a"), ("b", "vs_b")):
        for case in ("notebook", "noise"):
            c = r["cases"].get(case, {})
            if impl in c:
                s = c[impl]["speedup"]
                out.append({"target": f"{CASES[case].split(' (')[0]}: bertscope >= {TARGETS[key]:g}x faster than "
                                      f"({impl})", "measured": f"{s:.2f}x", "verdict": verdict(s >= TARGETS[key])})
    ds = r["cases"].get("dataset", {})
    if "bertscope" in ds:
        share = ds["bertscope"]["flops"] / ds["bertscope"]["median_s"] / 1e9 / peak
        out.append({"target": f"dataset fp32 >= {TARGETS['dataset_peak_share']:.0%} of measured FMA peak",
                    "measured": f"{share:.1%}", "verdict": verdict(share >= TARGETS["dataset_peak_share"])})
    # 5x over (b) one prompt at a time: fp32 against fp32, bf16 against PyTorch's own bf16, and
    # bf16 against fp32 (b) (what a PyTorch user runs by default).
    goal = TARGETS["dataset_vs_b"]
    for ours, impl, s in (("fp32", "b", ds.get("b", {}).get("speedup")),
                          ("bf16", "b16", ds.get("b16", {}).get("speedup")),
                          ("bf16", "b", ds.get("b", {}).get("bf16_speedup"))):
        if s is not None:
            theirs = "(b) in bf16" if impl == "b16" else "(b) fp32"
            out.append({"target": f"dataset: bertscope {ours} >= {goal:g}x faster than {theirs} one prompt at a time",
                        "measured": f"{s:.2f}x", "verdict": verdict(s >= goal)})
    py = r["cases"].get("noise", {}).get("python")
    if py:
        overhead = py["speedup"] - 1  # median over the rounds of Python's time / the library's
        out.append({"target": f"Python's m.sweep within {TARGETS['python_overhead']:.0%} of the library's time "
                              "(noise sweep, median of the rounds' ratios)",
                    "measured": f"{overhead:+.1%}", "verdict": verdict(overhead <= TARGETS["python_overhead"])})
    base = r["cases"].get("noise", {}).get("baseline")
    if base:
        # The baseline's time over this build's: below 1 when this build is slower.
        out.append({"target": f"noise sweep within {TARGETS['baseline_slowdown']:.0%} of the baseline build "
                              f"({r['baseline_build']}), median of the rounds' ratios",
                    "measured": f"{base['speedup']:.3f}x",
                    "verdict": verdict(base["speedup"] >= 1 - TARGETS["baseline_slowdown"])})
    load = r["load_to_first_prediction"]["bertscope"]["seconds"]
    out.append({"target": f"load to first prediction < {TARGETS['load_s']} s (warm)",
                "measured": fmt_time(load), "verdict": verdict(load < TARGETS["load_s"])})
    limit = r["weights_bytes"] + TARGETS["rss_over_file"]
    for label, rss in r["peak_rss"].items():
        if label.startswith("bertscope"):
            out.append({"target": f"peak RSS of {label} <= weights file + 200 MB = {fmt_bytes(limit)}",
                        "measured": fmt_bytes(rss), "verdict": verdict(rss <= limit)})
    return out


# ----------------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description="bertscope vs PyTorch benchmark (see bench/README.md)")
    p.add_argument("--quick", action="store_true", help="4-layer model, fewer runs: a sanity check in about a minute")
    p.add_argument("--model", help="existing model folder to use instead of the generated random one")
    p.add_argument("--dtype", default="f32,bf16",
                   help="f32 and/or bf16, comma-separated (default both; fp32 always runs, as the reference)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="threads of every implementation")
    p.add_argument("--repeats", type=int, help="runs of the short cases (default 5; quick 3)")
    p.add_argument("--long-repeats", type=int, help="runs of the noise sweep (default 3; quick 1)")
    p.add_argument("--trials", type=int, default=100, help="noise trials per layer of the long case")
    p.add_argument("--a-trials", type=int, help="trials per layer baseline (a) really runs in the long case, "
                   "scaled to --trials (default 10; quick 2; = --trials for no scaling)")
    p.add_argument("--cases", default="clean,notebook,noise,dataset,throughput",
                   help="comma-separated subset of clean,notebook,noise,dataset,throughput,rss (rss: peak RSS of bertscope "
                        "sweep with N and 10 x N trials; alone, it runs nothing else)")
    p.add_argument("--dataset-trials", type=int, default=10, help="noise trials per layer and prompt, dataset case")
    p.add_argument("--b-dataset-prompts", type=int,
                   help="prompts baseline (b) really runs in the dataset case (every k-th, spread over the lengths), "
                        "scaled by FLOPs to all 48 (default 12; quick 48 = no scaling)")
    p.add_argument("--rss-trials", type=int, default=5000, help="N of the rss case: noise trials per layer")
    p.add_argument("--rss-layers", type=int, default=1, help="last blocks the rss case edits")
    p.add_argument("--skip-torch", action="store_true", help="bertscope rows only")
    p.add_argument("--no-profile", action="store_true", help="skip the throughput case's profile (where the "
                   "time goes, bertscope's block stages beside ONNX Runtime's operators)")
    p.add_argument("--skip-onnx", action="store_true", help="no ONNX Runtime rows (they need node, npm once, "
                   "and python3-torch for the export)")
    p.add_argument("--openblas-coretype", default="auto",
                   help="OpenBLAS kernel for PyTorch: auto (fastest probed), none (OpenBLAS's own choice), or a name")
    p.add_argument("--omp-wait-policy", choices=["inherit", "passive", "active"], default="inherit",
                   help="OMP_WAIT_POLICY for every process (bertscope and PyTorch both use libgomp); passive "
                        "avoids spin-waiting threads fighting other processes on a busy machine")
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--compare-native", action="store_true",
                   help="also time an fp32 build with -DBERTSCOPE_NATIVE=ON (in BUILD_DIR-native), interleaved "
                        "with the portable one: what runtime dispatch leaves on the table")
    p.add_argument("--compare-python", action="store_true",
                   help="also build the Python module in BUILD_DIR and time the cases through it (m.sweep, "
                        "bench/python_bench.py with /usr/bin/python3), interleaved with the library's")
    p.add_argument("--baseline-build", metavar="DIR",
                   help="also time the bertscope-bench of another, already built Release build (DIR/bench/"
                        "bertscope-bench, e.g. another checkout's build folder), fp32, interleaved with this one: "
                        "whether a change kept the fast path as fast")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.json"))
    args = p.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)
    long_repeats = args.long_repeats or (1 if args.quick else 3)
    a_trials = args.a_trials or (2 if args.quick else 10)
    b_dataset_prompts = args.b_dataset_prompts or (48 if args.quick else 12)
    dtypes = [d.strip().lower() for d in args.dtype.split(",") if d.strip()]
    cases = [c for c in args.cases.split(",") if c]
    if not set(dtypes) <= {"f32", "bf16"}:
        raise SystemExit("--dtype takes f32 and/or bf16")
    if not set(cases) <= set(CASES) | set(PROCESS_CASES) or not cases:
        raise SystemExit(f"--cases takes a subset of {','.join(list(CASES) + list(PROCESS_CASES))}")
    rss_case = "rss" in cases
    cases = [c for c in cases if c in CASES]
    threads = args.threads
    if args.omp_wait_policy != "inherit":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()  # inherited by every child
    load = os.getloadavg()[0]
    if load > 0.5 and not os.environ.get("OMP_WAIT_POLICY"):
        log(f"WARNING: load average {load:.1f}: other processes are running. OpenMP threads that spin-wait "
            "(libgomp's default) can then lose a scheduler tick at every parallel region, for bertscope and "
            "PyTorch alike; consider --omp-wait-policy passive")

    bins = build(args.build_dir, native=False if args.compare_native else None, python=args.compare_python)
    native_bins = build(args.build_dir + "-native", native=True) if args.compare_native else None
    baseline_bench = None
    if args.baseline_build:
        baseline_bench = os.path.join(os.path.abspath(args.baseline_build), "bench", "bertscope-bench")
        if not os.access(baseline_bench, os.X_OK):
            raise SystemExit(f"--baseline-build: {baseline_bench} is not an executable: build that folder with "
                             f"-DBERTSCOPE_BENCH=ON first (cmake --build DIR --target bertscope-bench)")
    layers = 4 if args.quick else 24
    model = args.model or os.path.join(ROOT, "bench", ".cache", f"bert-large-{layers}l-f32")
    if not args.model:
        ensure_model(bins, model, layers)
    weights_bytes = os.path.getsize(os.path.join(model, "model.safetensors"))
    cpu, flags = cpu_info()
    r = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "model": model, "threads": threads,
        "weights_bytes": weights_bytes, "trials": args.trials, "repeats": repeats, "long_repeats": long_repeats,
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "load_before": os.getloadavg(),
                    "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")},
        "load_to_first_prediction": {}, "peak_rss": {}, "torch": {}, "onnx": {},
    }
    failed = False

    def fma_peak():
        return json.loads(run([bins["fma_peak"], "--threads", str(threads), "--seconds", "2", "--json"],
                              capture_output=True).stdout)

    if rss_case:
        r["rss"] = measure_rss(bins, model, threads, args.rss_trials, args.rss_layers)
        if not cases:  # the rss case alone: its table, nothing else
            rows = rss_rows(r["rss"])
            os.makedirs(os.path.dirname(args.out), exist_ok=True)
            with open(args.out, "w") as f:
                json.dump(r, f, indent=1)
            print("| what | run | measured | time | target |\n|---|---|---|---|---|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            return 0 if r["rss"]["growth"] <= TARGETS["rss_growth"] else 1

    log("measuring the FMA peak")
    r["fma_peak"] = fma_peak()

    # Load to first prediction and peak RSS of the real CLI: run twice, keep the second
    # (page cache warm, as for anyone who ran it a moment ago).
    log("timing load to first prediction (bertscope predict, twice)")
    predict = [bins["bertscope"], "predict", "--model", model, "--threads", str(threads), PROMPT]
    cold = timed_process(predict)
    warm = timed_process(predict)
    r["load_to_first_prediction"]["bertscope"] = {"seconds": warm["seconds"], "first_run_s": cold["seconds"]}
    r["peak_rss"]["bertscope predict (fp32)"] = warm["peak_rss_bytes"]

    with tempfile.TemporaryDirectory(prefix="bertscope-bench-") as tmp:
        # What the baselines are checked against: bertscope's clean logits and a sweep
        # that zeroes the [MASK] row after each block (deterministic, so comparable).
        dump = os.path.join(tmp, "clean.safetensors")
        run([bins["bertscope"], "dump", "--model", model, "--threads", str(threads), "--out", dump, PROMPT],
            stdout=subprocess.DEVNULL)
        ids = read_safetensors_ids(dump)
        batch_args = []  # the throughput case's sequences, for every server that runs it
        if "throughput" in cases:
            with open(os.path.join(model, "config.json")) as f:
                vocab_size = json.load(f)["vocab_size"]
            batch_args = ["--batch", write_throughput_batch(os.path.join(tmp, "batch.json"), ids,
                                                            ids.index(mask_token_id(model)), vocab_size)]
        run([bins["bertscope"], "sweep", "--model", model, "--threads", str(threads), "--prompt", PROMPT, "--target",
             TARGET, "--intervention", "zero", "--out", os.path.join(tmp, "zero"), "--quiet"],
            stdout=subprocess.DEVNULL)

        dataset_file = os.path.join(tmp, "dataset.tsv")
        with open(dataset_file, "w") as f:
            f.writelines(f"{text}\t{target}\n" for text, target in dataset_prompts())
        log("loading bertscope-bench")
        servers = {"bertscope": Server([bins["bench"], "--serve", "--model", model, "--threads", str(threads),
                                        "--trials", str(args.trials), "--prompt", PROMPT, "--target", TARGET,
                                        "--dataset", dataset_file, "--dataset-trials", str(args.dataset_trials)]
                                       + batch_args,
                                       None, "bertscope-bench")}
        info = servers["bertscope"].info
        r["bertscope"], r["config"], r["seq"] = info, info["config"], info["seq"]
        r["dataset"], r["dataset_trials"] = info["dataset"], args.dataset_trials
        dataset_json = os.path.join(tmp, "dataset.json")
        with open(dataset_json, "w") as f:
            json.dump(info["dataset"], f)
        if "bf16" in dtypes:
            log("loading bertscope-bench --dtype bf16")
            servers["bf16"] = Server([bins["bench"], "--serve", "--dtype", "bf16", "--model", model, "--threads",
                                      str(threads), "--trials", str(args.trials), "--prompt", PROMPT, "--target",
                                      TARGET, "--dataset", dataset_file, "--dataset-trials", str(args.dataset_trials)]
                                     + batch_args, None, "bertscope-bench --dtype bf16")

        if native_bins:
            log("loading bertscope-bench built with -march=native")
            servers["native"] = Server([native_bins["bench"], "--serve", "--model", model, "--threads", str(threads),
                                        "--trials", str(args.trials), "--prompt", PROMPT, "--target", TARGET]
                                       + batch_args, None, "bertscope-bench (-march=native build)")

        if baseline_bench:
            log(f"loading the baseline build's bertscope-bench ({baseline_bench})")
            servers["baseline"] = Server([baseline_bench, "--serve", "--model", model, "--threads", str(threads),
                                          "--trials", str(args.trials), "--prompt", PROMPT, "--target", TARGET],
                                         None, "bertscope-bench (baseline build)")
            r["baseline_build"] = os.path.abspath(args.baseline_build)

        if args.compare_python:
            log("loading the Python module (bench/python_bench.py)")
            env = dict(os.environ, PYTHONPATH=bins["python_path"])
            servers["python"] = Server([MODULE_PYTHON, os.path.join(ROOT, "bench", "python_bench.py"), "--serve",
                                        "--model", model, "--threads", str(threads), "--trials", str(args.trials),
                                        "--prompt", PROMPT, "--target", TARGET], env, "python_bench.py")
            r["python"] = servers["python"].info

        if args.skip_torch:
            r["torch"]["skipped"] = "--skip-torch"
        elif not torch_available():
            r["torch"]["skipped"] = f"no torch for {TORCH_PYTHON}: apt-get install python3-torch libopenblas0"
        else:
            log("probing OpenBLAS kernels for PyTorch")
            coretype, probes = pick_openblas_kernel(threads, flags, args.openblas_coretype)
            r["torch"]["openblas_probes"] = {k: v["gflops"] for k, v in probes.items()}
            env = torch_env(threads, coretype)
            script = os.path.join(ROOT, "bench", "torch_baseline.py")
            common = ["--model", model, "--threads", str(threads), "--ids", ",".join(map(str, ids)),
                      "--mask", str(info["mask_index"]), "--target-id", str(info["target_id"])]
            log("timing load to first prediction (PyTorch, twice)")
            timed_process([TORCH_PYTHON, script, "predict"] + common, env)
            tp = timed_process([TORCH_PYTHON, script, "predict"] + common, env)
            r["load_to_first_prediction"]["torch"] = {"seconds": tp["seconds"]}
            r["peak_rss"]["PyTorch predict"] = tp["peak_rss_bytes"]
            log("loading the PyTorch baselines and checking them against bertscope")
            try:
                servers["torch"] = Server([TORCH_PYTHON, script, "serve"] + common + [
                    "--trials", str(args.trials), "--a-trials", str(a_trials), "--dump", dump,
                    "--dataset", dataset_json, "--dataset-trials", str(args.dataset_trials),
                    "--dataset-prompts", str(b_dataset_prompts)]
                    + (["--bf16"] if "bf16" in dtypes and "dataset" in cases else []) + [
                    "--zero-csv", os.path.join(tmp, "zero", "runs.csv")] + batch_args, env, "torch baseline")
                r["torch"]["info"] = servers["torch"].info
            except RuntimeError as e:  # the check failed: no timing of a model that is not the same
                r["torch"]["skipped"] = f"FAILED to load or check: {e}"
                failed = True

        # ONNX Runtime: the same weights exported by torch.onnx.export, run by onnxruntime-node
        # (both optional: without them the table says why the rows are missing).
        onnx_cases = [c for c in cases if "onnx" in CASE_IMPLS[c]]
        if args.skip_onnx:
            r["onnx"]["skipped"] = "--skip-onnx"
        elif not onnx_cases:
            r["onnx"]["skipped"] = "no case it runs in --cases (clean, throughput)"
        elif not torch_available():
            r["onnx"]["skipped"] = f"the ONNX export needs python3-torch for {TORCH_PYTHON}"
        else:
            ort_dir, why = ensure_onnxruntime()
            if not ort_dir:
                r["onnx"]["skipped"] = why
            else:
                try:
                    onnx_path = export_onnx(model, ids, info["mask_index"], torch_env(threads, None))
                    r["onnx"]["model"] = onnx_path
                    log("loading ONNX Runtime (bench/onnx_baseline.mjs) and checking it against bertscope")
                    servers["onnx"] = Server(
                        ["node", os.path.join(ROOT, "bench", "onnx_baseline.mjs"), "--onnx", onnx_path,
                         "--ort-dir", ort_dir, "--threads", str(threads), "--ids", ",".join(map(str, ids)),
                         "--mask", str(info["mask_index"]), "--dump", dump] + batch_args
                        + (["--no-spin"] if os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE" else []),
                        None, "ONNX Runtime baseline")
                    r["onnx"]["info"] = servers["onnx"].info
                except (RuntimeError, subprocess.CalledProcessError) as e:
                    detail = getattr(e, "stderr", None) or str(e)
                    r["onnx"]["skipped"] = f"FAILED to export, load or check: {detail.strip()[-1000:]}"
                    failed = True

        # Interleaved runs: round k runs every implementation once, starting from a
        # different one each round, so slow spells of a shared machine spread evenly.
        all_impls = [i for i in BERTSCOPE_IMPLS if i in servers] + (["a", "b", "torch"] if "torch" in servers else []) \
            + (["b16"] if "torch" in servers and servers["torch"].info.get("b16") else []) \
            + (["onnx"] if "onnx" in servers else [])
        r["cases"] = {}
        # The cases that hold more than one prompt's sweep run last, throughput last of all:
        # the RSS target is one prompt's, read before them (see below).
        for case in sorted(cases, key=lambda c: (c == "throughput", c == "dataset")):
            # "serial": the dataset case one prompt at a time, on the fp32 server.
            case_impls = [i for i in all_impls + ["serial"] if i in CASE_IMPLS[case]]
            n = long_repeats if case in ("noise", "dataset", "throughput") else repeats
            times = {impl: [] for impl in case_impls}
            # The dataset case holds the clean states of 48 prompts, the throughput case a
            # 4096-token batch's activations: both raise bertscope-bench's peak RSS above one
            # prompt's sweep, which the RSS target is about. Read it before them.
            if case in ("dataset", "throughput"):
                for impl in BERTSCOPE_IMPLS:
                    if impl in servers:
                        label = rss_label(impl, "the one-prompt cases above")
                        if label in r["peak_rss"]:
                            label = "with the dataset case: " + rss_label(impl, "all cases above but throughput")
                        r["peak_rss"][label] = servers[impl].ask("rss")["peak_rss_bytes"]
            if case == "throughput":  # warm the case up everywhere (untimed)
                for impl in case_impls:
                    servers[impl].ask(f"{case} 999") if impl != "torch" else servers["torch"].ask(f"torch {case} 999")
            for k in range(n):
                for impl in case_impls[k % len(case_impls):] + case_impls[:k % len(case_impls)]:
                    if impl == "serial":
                        seconds = servers["bertscope"].ask(f"dataset_serial {k}")["seconds"]
                    elif impl in BERTSCOPE_IMPLS or impl == "onnx":
                        seconds = servers[impl].ask(f"{case} {k}")["seconds"]
                    else:
                        seconds = servers["torch"].ask(f"{impl} {case} {k}")["seconds"]
                    times[impl].append(seconds)
                    log(f"{case}: {impl} run {k + 1}/{n}: {fmt_time(seconds)}")
            r["cases"][case] = {}
            for impl in case_impls:
                flops = dataset_flops(r["config"], r["dataset"], impl, args.dataset_trials) if case == "dataset" \
                    else count_flops(r["config"], r["seq"], case, impl, args.trials)
                m = {"times_s": times[impl], "median_s": statistics.median(times[impl]), "flops": flops}
                if impl in ("b", "b16") and case == "dataset":
                    run_idx = servers["torch"].info["b_dataset_prompts_run"]
                    scale = flops / dataset_flops(r["config"], [r["dataset"][i] for i in run_idx], impl,
                                                  args.dataset_trials)
                    m.update(measured_median_s=m["median_s"], median_s=m["median_s"] * scale, scale=scale,
                             prompts_run=len(run_idx), extrapolated=scale != 1.0)
                if impl == "a" and case == "noise":
                    scale = servers["torch"].info["a_noise_scale"]
                    m.update(measured_median_s=m["median_s"], median_s=m["median_s"] * scale, scale=scale,
                             trials_run=servers["torch"].info["a_noise_trials_run"], extrapolated=scale != 1.0)
                r["cases"][case][impl] = m
            # Speed-up of bertscope over a baseline: the median over rounds of the ratio within
            # the round (paired: both ran minutes apart at most, under similar load).
            for impl in case_impls[1:]:
                m = r["cases"][case][impl]
                scale = m.get("scale", 1.0)
                m["round_speedups"] = [t * scale / b for t, b in zip(m["times_s"], times["bertscope"])]
                if impl == "bf16":  # bf16's speed-up over fp32, the other way round
                    m["round_speedups"] = [f / t for t, f in zip(m["times_s"], times["bertscope"])]
                if impl == "b16":  # PyTorch in bf16 against bertscope in bf16
                    m["round_speedups"] = [t * scale / b for t, b in zip(m["times_s"], times["bf16"])]
                elif impl == "b" and case == "dataset" and "bf16" in times:  # and bertscope bf16 over fp32 (b)
                    m["bf16_speedup"] = statistics.median(t * scale / b for t, b in zip(m["times_s"], times["bf16"]))
                m["speedup"] = statistics.median(m["round_speedups"])
            for impl, m in r["cases"][case].items():
                if case == "noise" and impl == "bertscope":
                    m["target"] = f">= {TARGETS['peak_share']:.0%} of peak"
                if case == "noise" and impl == "bf16":
                    m["target"] = f">= {TARGETS['bf16_speedup']:g}x over fp32"
                if case in ("notebook", "noise") and impl in ("a", "b"):
                    m["target"] = f">= {TARGETS['vs_' + impl]:g}x"
                if case == "dataset" and impl == "bertscope":
                    m["target"] = f">= {TARGETS['dataset_peak_share']:.0%} of peak"
                if case == "dataset" and impl in ("b", "b16"):
                    m["target"] = f">= {TARGETS['dataset_vs_b']:g}x"
        # With the dataset or throughput case, the peak RSS at the end is theirs: labelled so
        # that the RSS target (rows starting with "bertscope") reads the one before them.
        for impl in ("bertscope", "bf16", "native"):
            if impl in servers:
                label = rss_label(impl, "all cases above")
                if "throughput" in cases:
                    label = f"with the {THROUGHPUT_SHAPE[0]} x {THROUGHPUT_SHAPE[1]} batch: " + rss_label(impl, "all cases")
                elif "dataset" in cases:
                    label = "with the dataset case: " + rss_label(impl, "all cases")
                r["peak_rss"][label] = servers[impl].close()
        if "baseline" in servers:
            r["peak_rss"]["bertscope-bench baseline build (all cases above)"] = servers["baseline"].close()
        if "python" in servers:
            r["peak_rss"]["Python module process (all cases above)"] = servers["python"].close()
        if "torch" in servers:
            r["peak_rss"]["PyTorch baselines process (all cases above)"] = servers["torch"].close()
        if "onnx" in servers:
            r["peak_rss"]["ONNX Runtime process (node, all cases above)"] = servers["onnx"].close()
            if "throughput" in cases and not args.no_profile:
                # Where the time goes: ONNX Runtime's profiler by operator, and bertscope's block
                # stages timed alone (each process alone, after the interleaved runs).
                log("profiling the throughput forward (ONNX Runtime's profiler, bertscope-bench --profile-block)")
                profile_dir = os.path.join(tmp, "ort-profile")
                os.makedirs(profile_dir)
                ort = run(servers["onnx"].proc.args + ["--profile-out", profile_dir, "--profile-runs", "2"],
                          capture_output=True)
                block = run([bins["bench"], "--profile-block", "--model", model, "--threads", str(threads),
                             "--profile-batch", str(THROUGHPUT_SHAPE[0]), "--profile-seq", str(THROUGHPUT_SHAPE[1]),
                             "--repeats", "3"], capture_output=True)
                r["throughput_profile"] = {"onnx": json.loads(ort.stdout), "bertscope": json.loads(block.stdout)}

        # bf16's error against fp32 on the same noise draws (seed 0): clean logits and the
        # top-1 token of every trial.
        if "bf16" in servers:
            log("comparing bf16 with fp32 (bertscope-bench --compare-bf16)")
            compare = run([bins["bench"], "--compare-bf16", "--model", model, "--threads", str(threads),
                           "--trials", str(args.trials)], capture_output=True)
            r["bf16_error"] = json.loads(compare.stdout)

    # Measured again at the end; the higher one is the peak (other processes only lower it).
    log("measuring the FMA peak again")
    again = fma_peak()
    r["fma_peak"]["runs_gflops"] = [r["fma_peak"]["gflops"], again["gflops"]]
    r["fma_peak"]["runs_wall_gflops"] = [r["fma_peak"]["wall_gflops"], again["wall_gflops"]]
    r["fma_peak"]["gflops"] = max(r["fma_peak"]["runs_gflops"])
    r["machine"]["load_after"] = os.getloadavg()
    r["targets"] = evaluate_targets(r)
    report = make_report(r)
    r["report_markdown"] = report
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(r, f, indent=1)
    os.replace(args.out + ".tmp", args.out)
    print(report)
    log(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
