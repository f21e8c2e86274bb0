"""The backward pass and attribution patching against activation patching, on the
bert-large-shaped model of bench/run.sh (made once in bench/.cache/), side by side in one run:
  /usr/bin/python3 bench/gradients.py [--build-dir build-bench] [--repeats 3] [--quick]
Builds bertscope-gradients-bench, fma_peak and make-random-model (Release) unless up to date,
measures the FMA peak, runs bertscope-gradients-bench (bench/gradients_bench.cpp says what each
case is) and prints a markdown table: the times, the AtP grids in forward-pass equivalents,
their speed-up over the exhaustive grids, and the forward's and backward's share of the peak.
The raw numbers go to bench/results/gradients.json."""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import run as bench  # noqa: E402  (the main driver: build and model helpers)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="a 4-layer model: a sanity check")
    a = p.parse_args()
    layers = 4 if a.quick else 24
    subprocess.run(["cmake", "-S", ROOT, "-B", a.build_dir, "-DCMAKE_BUILD_TYPE=Release", "-DBERTSCOPE_BENCH=ON"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", a.build_dir, "-j", str(os.cpu_count() or 1), "--target",
                    "bertscope-gradients-bench", "fma_peak", "make-random-model"], check=True, stdout=subprocess.DEVNULL)
    model = os.path.join(ROOT, "bench", ".cache", f"bert-large-{layers}l-f32")
    bench.ensure_model({"make_random_model": os.path.join(a.build_dir, "bin", "make-random-model")}, model, layers)
    peak = json.loads(subprocess.run([os.path.join(a.build_dir, "bench", "fma_peak"), "--json"], check=True,
                                     capture_output=True, text=True).stdout)["gflops"]
    out = json.loads(subprocess.run([os.path.join(a.build_dir, "bench", "bertscope-gradients-bench"), "--model", model,
                                     "--repeats", str(a.repeats)], check=True, capture_output=True, text=True).stdout)
    out["fma_peak_gflops"] = peak
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "gradients.json"), "w") as f:
        json.dump(out, f, indent=1)
    c = out["cases"]
    print(f"bert-large-shaped, {layers} layers, {out['tokens']} tokens; FMA peak {peak:.1f} GFLOP/s\n")
    print("| case | median s | forward-pass equivalents |")
    print("|---|---|---|")
    for name in ("forward", "gradients", "atp_positions", "patch_positions", "atp_heads", "patch_heads"):
        print(f"| {name} | {c[name]['median_s']:.3f} | {c[name]['median_s'] / c['forward']['median_s']:.2f} |")
    print(f"\nAtP over the exhaustive grid: {out['speedup_over_patching']['positions']:.1f}x faster "
          f"({out['cells']['positions']} position cells), {out['speedup_over_patching']['heads']:.1f}x "
          f"({out['cells']['heads']} head cells)")
    print(f"share of the FMA peak: forward {out['forward_gflop_per_s'] / peak:.0%} "
          f"({out['forward_gflops']:.2f} GFLOP), backward {out['backward_gflop_per_s'] / peak:.0%} "
          f"({out['backward_gflops']:.2f} GFLOP, its time estimated as gradients - forward)")


if __name__ == "__main__":
    main()
