#pragma once
// Activations at chosen sites and positions over a list of prompts, kept as rows: the data
// of statistics across prompts (bertscope collect, Model.collect, bertscope neurons). One row
// per (prompt, position): at `word:him` a prompt gives a row per piece of every "him".
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/defaults.h"
#include "experiments/prompt_spec.h"
#include "experiments/sweep.h"
#include "interventions/intervention.h"
#include "model/encoder.h"
#include "model/hook_site.h"

namespace bertscope {

struct CollectRequest {
  std::vector<PromptSpec> prompts;
  std::vector<HookSite> sites;  // any site whose rows are positions (not attn.scores or attn.pattern)
  Positions positions;          // mask by default: the prediction position; a prompt's own positions win
  int max_batch_tokens = defaults::kMaxBatchTokens;  // prompts run as padded batches of at most this many token rows
};

struct Collection {
  std::vector<HookSite> sites;
  std::vector<int> widths;            // floats per row at each site
  std::vector<int> row_prompt;        // the prompt (index into the request's) of each row
  std::vector<int> row_position;      // its token position
  std::vector<std::string> row_token; // the token there
  std::vector<std::vector<float>> values;  // per site: rows x width, row-major
  size_t rows() const { return row_prompt.size(); }
};

// The rows of each prompt, tokenized and resolved (an Error names the prompt when a word is
// missing), and the bytes the collection will hold: before any forward pass.
struct CollectPlan {
  std::vector<std::vector<int>> ids;        // per prompt
  std::vector<std::vector<int>> positions;  // per prompt
  std::vector<int> widths;                  // per site
  size_t rows = 0;
  std::uint64_t bytes() const;
};
CollectPlan plan_collection(const Encoder& model, const CollectRequest& request);

// The padded batches the prompts run in, in order: [first, end) prompt ranges as many as fit
// `max_batch_tokens` once padded to their longest (at least one prompt each).
std::vector<std::pair<size_t, size_t>> collect_batches(const CollectPlan& plan, int max_batch_tokens);

// Runs the prompts and keeps the rows. `progress(done, total, 0)` after each batch of
// prompts, in prompts; an exception it throws stops the collection (Ctrl-C, a cancel).
Collection collect_activations(const Encoder& model, const CollectRequest& request, const CollectPlan& plan,
                               const ProgressFn& progress = {});

}  // namespace bertscope
