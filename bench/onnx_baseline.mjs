// ONNX Runtime baseline of bench/run.sh: the model that `torch_baseline.py export-onnx`
// exported (encoder on every token, MLM head at the rows `positions` names), run by the npm
// package onnxruntime-node (bench/run.py installs it into bench/.cache/onnxruntime).
//
// Loaded once; checks its clean logits of every token of the prompt against `bertscope dump`
// before anything is timed; then serves bench/run.py with bertscope-bench --serve's
// protocol: a "ready" JSON line, then per input line "CASE SEED" a line {"seconds": s};
// "quit" or end of input -> {"peak_rss_bytes": n}. Cases:
//   clean       the prompt, logits at the [MASK] row, log-softmax (as bertscope's clean case)
//   throughput  the --batch file's sequences in one run, logits and log-softmax at each
//               sequence's [MASK] row
// --profile-out DIR: instead of serving, runs the throughput case --profile-runs times with
// ONNX Runtime's profiler on and prints seconds per forward by operator type (from the
// profile's node events inside the timed runs; the file stays in DIR).
// Session: intra-op threads = --threads, no inter-op pool, graph optimizations "all",
// sequential execution; --no-spin turns off the intra-op threads' spin-waiting (bench/run.py
// passes it with OMP_WAIT_POLICY=passive, as libgomp's threads then stop spinning too).
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

function parseArgs(argv) {
  const args = { tolerance: 1e-3, spin: true };
  for (let i = 0; i < argv.length; ++i) {
    const name = argv[i].replace(/^--/, "");
    if (name === "no-spin") args.spin = false;
    else args[name] = argv[++i];
  }
  for (const required of ["onnx", "ort-dir", "threads", "ids", "mask"]) {
    if (args[required] === undefined) throw new Error(`--${required} is required`);
  }
  return args;
}

// The float32 tensor `name` of a .safetensors file (8-byte header length, JSON header,
// little-endian data), as `bertscope dump` writes it.
function readSafetensorsF32(path, name) {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
  const info = header[name];
  if (!info || info.dtype !== "F32") throw new Error(`${path}: no F32 tensor '${name}'`);
  const [begin, end] = info.data_offsets;
  const data = bytes.subarray(8 + headerLength + begin, 8 + headerLength + end);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

// log-softmax of each row of `logits` ([rows, vocab]), sums in double as bertscope's.
function logSoftmaxRows(logits, vocab) {
  const out = new Float32Array(logits.length);
  for (let start = 0; start < logits.length; start += vocab) {
    let max = -Infinity;
    for (let i = start; i < start + vocab; ++i) max = Math.max(max, logits[i]);
    let sum = 0;
    for (let i = start; i < start + vocab; ++i) sum += Math.exp(logits[i] - max);
    const shift = max + Math.log(sum);
    for (let i = start; i < start + vocab; ++i) out[i] = logits[i] - shift;
  }
  return out;
}

class Runner {
  constructor(ort, session) {
    this.ort = ort;
    this.session = session;
  }

  // Feeds for `sequences` (equal lengths) and one list of row positions per sequence.
  feeds(sequences, positions) {
    const { Tensor } = this.ort;
    const batch = sequences.length, seq = sequences[0].length, rows = positions[0].length;
    const ids = BigInt64Array.from(sequences.flat(), BigInt);
    return {
      input_ids: new Tensor("int64", ids, [batch, seq]),
      attention_mask: new Tensor("int64", new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
      positions: new Tensor("int64", BigInt64Array.from(positions.flat(), BigInt), [batch, rows]),
    };
  }

  async logits(feeds) {
    const { logits } = await this.session.run(feeds);
    return logits;
  }
}

// Seconds per throughput forward by operator type, from ONNX Runtime's profile (chrome
// trace JSON: "Session" model_run events, "Node" events ending in _kernel_time, in us).
async function profileThroughput(session, cases, dir, runs) {
  await cases.throughput();  // warm-up: not counted
  const wall = [];
  for (let i = 0; i < runs; ++i) {
    const start = performance.now();
    await cases.throughput();
    wall.push((performance.now() - start) / 1e3);
  }
  session.endProfiling();
  const file = readdirSync(dir).filter((f) => f.startsWith("ort") && f.endsWith(".json")).sort().pop();
  const events = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const timed = events.filter((e) => e.cat === "Session" && e.name === "model_run").slice(-runs);
  const inside = (e) => timed.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
  const byOp = {};
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || !inside(e)) continue;
    const op = e.args?.op_name ?? "?";
    byOp[op] = (byOp[op] ?? 0) + e.dur / 1e6 / runs;
  }
  const model = timed.reduce((sum, r) => sum + r.dur / 1e6, 0) / runs;
  process.stdout.write(JSON.stringify({ wall_s: wall, model_run_s: model, op_seconds: byOp, profile: join(dir, file) }) + "\n",
                       () => process.exit(0));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const require = createRequire(join(args["ort-dir"], "package.json"));
  const ort = require("onnxruntime-node");
  const threads = Number(args.threads);
  const loadStart = performance.now();
  const profiling = args["profile-out"] !== undefined;
  const session = await ort.InferenceSession.create(args.onnx, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    extra: { session: { intra_op: { allow_spinning: args.spin ? "1" : "0" } } },
    ...(profiling ? { enableProfiling: true, profileFilePrefix: join(args["profile-out"], "ort") } : {}),
  });
  const loadSeconds = (performance.now() - loadStart) / 1e3;
  const runner = new Runner(ort, session);
  const ids = args.ids.split(",").map(Number);
  const mask = Number(args.mask);

  // Correctness first: the clean logits of every token against bertscope's dump.
  const checks = { tolerance: Number(args.tolerance), passed: null };
  if (args.dump) {
    const all = await runner.logits(runner.feeds([ids], [ids.map((_, i) => i)]));
    const expected = readSafetensorsF32(args.dump, "logits");
    if (expected.length !== all.data.length) {
      throw new Error(`dump has ${expected.length} logits, ONNX Runtime gave ${all.data.length}`);
    }
    const vocab = all.dims[2];
    let maxAll = 0, maxMask = 0;
    for (let i = 0; i < expected.length; ++i) {
      const diff = Math.abs(expected[i] - all.data[i]);
      maxAll = Math.max(maxAll, diff);
      if (Math.floor(i / vocab) === mask) maxMask = Math.max(maxMask, diff);
    }
    checks.clean_logits_max_abs_diff_all_tokens = maxAll;
    checks.clean_logits_max_abs_diff_mask_row = maxMask;
    checks.passed = maxAll < checks.tolerance;
    if (!checks.passed) {
      process.stderr.write(JSON.stringify({ checks }) + "\n");
      throw new Error("ONNX Runtime disagrees with bertscope: not timing a wrong model");
    }
  }

  const clean = runner.feeds([ids], [[mask]]);
  let throughput = null;
  if (args.batch) {
    const batch = JSON.parse(readFileSync(args.batch, "utf8"));
    throughput = runner.feeds(batch.ids, batch.mask_positions.map((p) => [p]));
  }
  // One run of a case: the forward, then log-softmax at the rows read (in the timed part,
  // as bertscope's and PyTorch's cases do it too).
  const forward = async (feeds) => {
    const logits = await runner.logits(feeds);
    return logSoftmaxRows(logits.data, logits.dims[2]);
  };
  const cases = {
    clean: () => forward(clean),
    throughput: () => {
      if (!throughput) throw new Error("the throughput case needs --batch");
      return forward(throughput);
    },
  };
  if (profiling) {
    await profileThroughput(session, cases, args["profile-out"], Number(args["profile-runs"] ?? 3));
    return;
  }
  // Warm-up, untimed, as on the other implementations' side (bench/run.py warms up the
  // throughput case of every implementation before its rounds).
  await cases.clean();

  const ready = {
    impl: "onnxruntime", ort_version: ort.env.versions.node, node_version: process.versions.node, threads,
    spin: args.spin, load_s: loadSeconds, checks, ready: true,
  };
  process.stdout.write(JSON.stringify(ready) + "\n");
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "quit") break;
    const [name] = line.trim().split(/\s+/);
    let reply;
    try {
      if (!cases[name]) throw new Error(`unknown case '${name}' (clean, throughput)`);
      const start = performance.now();
      await cases[name]();
      reply = { seconds: (performance.now() - start) / 1e3 };
    } catch (e) {
      reply = { error: e.message };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
  // Exit explicitly: the driver keeps our stdin open until we are gone.
  process.stdout.write(JSON.stringify({ peak_rss_bytes: process.resourceUsage().maxRSS * 1024 }) + "\n",
                       () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`onnx_baseline: error: ${e.message}\n`);
  process.exit(1);
});
