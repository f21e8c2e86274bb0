#pragma once
// Where the time of a batched forward goes in bertscope: each stage of one encoder block
// (the kernels run_block calls, in its order) and the MLM head, timed alone on random
// weights of the model's shape. bertscope-bench --profile-block prints it; bench/run.py
// puts it beside ONNX Runtime's own per-operator profile of the throughput case.
#include <nlohmann/json.hpp>

#include "kernels/linear.h"

namespace bertscope_bench {

struct BlockShape {
  int batch = 32, seq = 128;  // sequences x tokens of one forward
  int hidden = 1024, ffn = 4096, heads = 16, vocab = 30522, layers = 24;
};

// {"stages": [{"stage", "seconds", "per_block", "gflops_per_s"}...], "block_seconds",
// "forward_seconds_estimate" (layers x block + head)}; median of `repeats` per stage.
nlohmann::json profile_block(const BlockShape& shape, bertscope::MatmulPrecision precision, int repeats);

// The fused attention kernel alone on `batch` sequences of `seq` tokens (no padding), with
// the model's heads: bidirectional, causal, and a sliding window of `window` tokens
// (window_half = window / 2, ModernBERT's local layers), timed in interleaved rounds: the
// median seconds of each and their ratios to bidirectional, beside the share of (query, key)
// pairs each mask keeps (what the ratio would be if skipped work cost nothing and the rest
// as much as before).
nlohmann::json profile_attention_masks(const BlockShape& shape, int window, int repeats);

}  // namespace bertscope_bench
