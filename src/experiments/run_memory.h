#pragma once
// What a run will hold in memory, estimated before it starts, so that options that cannot
// fit are refused with the estimate and the limit (see common/memory_limit.h) instead of
// ending in std::bad_alloc after seconds of work.
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/experiment.h"

namespace bertscope {

struct RunMemory {
  std::uint64_t results = 0;  // every trial's result, and its rows in results.json / runs.csv
  std::uint64_t working = 0;  // the largest batched forward pass and its logits
  std::uint64_t total() const { return results + working; }
};

// The estimate for `spec` on `model` (the weights are already loaded, so not counted).
// Per trial and layer: its result and its share of the written files, about 3 KB at top 5
// (measured on bert-large: 7 GB for 24 layers x 100 000 trials), plus ~150 bytes per top-k
// entry. Per batch: rows x (7 x hidden + ffn) x 4 bytes plus 2 x trials x vocab x 4 bytes.
// With spec.keep_log_probs, each kept trial adds its vocab floats.
// `keeps_results` false: the trials are streamed to disk as they finish (TrialStream), and
// each holds only its job and index entry, 64 bytes.
RunMemory estimate_run_memory(const Encoder& model, const ExperimentSpec& spec, bool keeps_results = true);

// Throws Error naming the estimate and the limit when the run cannot fit.
void check_run_memory(const Encoder& model, const ExperimentSpec& spec, bool keeps_results = true);

// What one forward pass over `batch` texts of `seq` tokens holds when it keeps activations
// (dump, Python's run_with_cache): every captured site's view (site_floats), the logits at
// every position, the working memory of the pass, and with `hidden_states` the embeddings
// and every block's output (dump writes them all). In bytes, float32.
std::uint64_t capture_bytes(const Encoder& model, const std::vector<HookSite>& sites, std::uint64_t batch,
                            std::uint64_t seq, bool hidden_states);
// Throws Error with the estimate and the limit (common/memory_limit.h) when it cannot fit:
// before the pass, not after seconds of work in std::bad_alloc.
void check_capture_memory(const Encoder& model, const std::vector<HookSite>& sites, std::uint64_t batch,
                          std::uint64_t seq, bool hidden_states, const std::string& what);

}  // namespace bertscope
