#include "experiments/run_memory.h"

#include <algorithm>

#include "common/error.h"
#include "common/memory_limit.h"
#include "experiments/prompt.h"
#include "experiments/prompt_groups.h"
#include "experiments/sweep.h"

namespace bertscope {

namespace {

constexpr std::uint64_t kBytesPerTrial = 3000;
// Streamed to disk, a trial still holds its job in the sweep (32 bytes) and its entry in
// the index that reads the records back in order (12 bytes): 64 with room.
constexpr std::uint64_t kBytesPerStreamedTrial = 64;
constexpr std::uint64_t kBytesPerTopEntry = 150;

// A trial's kept activations (ExperimentSpec::keep_sites), at the prompt that keeps the
// most positions.
std::uint64_t kept_site_bytes(const Encoder& model, const ExperimentSpec& spec) {
  std::uint64_t positions = 0, floats_per_position = 0;
  for (const PromptSpec& p : spec.prompts) {
    try {
      const MaskedPrompt prompt = MaskedPrompt::prepare(model, p.text, "", spec.keep_positions.mode == Positions::Mode::Mask);
      positions = std::max<std::uint64_t>(positions, spec.keep_positions.resolve(prompt.mask_index, prompt.ids, model.tokenizer()).size());
    } catch (const Error&) {
      // The sweep refuses the prompt with its own message; here it counts as every position.
      positions = std::max<std::uint64_t>(positions, model.tokenizer().encode(p.text).ids.size());
    }
  }
  for (const HookSite& site : spec.keep_sites) floats_per_position += static_cast<std::uint64_t>(model.site_width(site.kind, 1));
  return positions * floats_per_position * sizeof(float);
}

}  // namespace

RunMemory estimate_run_memory(const Encoder& model, const ExperimentSpec& spec, bool keeps_results) {
  RunMemory memory;
  const ModelConfig& c = model.config();
  const auto layers = static_cast<std::uint64_t>(parse_layers(spec.layers, model.layers()).size());
  std::uint64_t per_trial =
      keeps_results ? kBytesPerTrial + kBytesPerTopEntry * static_cast<std::uint64_t>(spec.top_k) : kBytesPerStreamedTrial;
  if (keeps_results && spec.keep_log_probs) per_trial += static_cast<std::uint64_t>(c.vocab_size) * sizeof(float);
  if (keeps_results && !spec.keep_sites.empty()) per_trial += kept_site_bytes(model, spec);
  std::uint64_t jobs_per_prompt = 0;
  for (const InterventionSpec& intervention : spec.interventions) {
    jobs_per_prompt += (intervention.is_random() ? static_cast<std::uint64_t>(spec.trials) : 1) * layers;
  }
  memory.results = jobs_per_prompt * spec.prompts.size() * per_trial;
  if (jobs_per_prompt > 0) {
    // The shortest prompt packs the most trials into a batch: that bounds the logits.
    std::uint64_t shortest = UINT64_MAX;
    std::vector<int> lengths;
    for (const PromptSpec& p : spec.prompts) {
      lengths.push_back(static_cast<int>(model.tokenizer().encode(p.text).ids.size()));
      shortest = std::min<std::uint64_t>(shortest, static_cast<std::uint64_t>(lengths.back()));
    }
    const auto rows = static_cast<std::uint64_t>(spec.max_batch_tokens);
    const std::uint64_t trials_per_batch = std::min(jobs_per_prompt, std::max<std::uint64_t>(1, rows / std::max<std::uint64_t>(1, shortest)));
    const auto width = static_cast<std::uint64_t>(7 * c.hidden_size + c.intermediate_size);
    memory.working = std::max(rows, shortest) * width * 4 + 2 * trials_per_batch * static_cast<std::uint64_t>(c.vocab_size) * 4 +
                     largest_group_bytes(model, lengths, spec.site);  // the clean states of the prompts batched together
  }
  return memory;
}

std::uint64_t capture_bytes(const Encoder& model, const std::vector<HookSite>& sites, std::uint64_t batch,
                            std::uint64_t seq, bool hidden_states) {
  const ModelConfig& c = model.config();
  const auto hidden = static_cast<std::uint64_t>(c.hidden_size), heads = static_cast<std::uint64_t>(c.num_attention_heads);
  const std::uint64_t tokens = batch * seq;
  // Floats per token of each site's view (bertscope hooks: the shapes).
  auto per_token = [&](SiteKind kind) -> std::uint64_t {
    switch (kind) {
      case SiteKind::AttnScores:
      case SiteKind::AttnPattern: return heads * seq;
      case SiteKind::AttnHeadOut: return heads * hidden;
      case SiteKind::MlpPre:
      case SiteKind::MlpPost: return static_cast<std::uint64_t>(c.intermediate_size);
      default: return hidden;
    }
  };
  std::uint64_t floats = tokens * static_cast<std::uint64_t>(c.vocab_size);  // the logits
  for (const HookSite& site : sites) floats += tokens * per_token(site.kind);
  if (hidden_states) floats += (static_cast<std::uint64_t>(model.layers()) + 1) * tokens * hidden;
  // The pass itself: a block's activations (7 x hidden + ffn per token) and one layer's
  // attention scores.
  floats += tokens * (7 * hidden + static_cast<std::uint64_t>(c.intermediate_size)) + batch * heads * seq * seq;
  return floats * sizeof(float);
}

void check_capture_memory(const Encoder& model, const std::vector<HookSite>& sites, std::uint64_t batch,
                          std::uint64_t seq, bool hidden_states, const std::string& what) {
  check_memory(capture_bytes(model, sites, batch, seq, hidden_states),
               what + " (" + std::to_string(batch) + " text(s) of " + std::to_string(seq) + " tokens)",
               "run fewer or shorter texts at a time, or capture fewer sites");
}

void check_run_memory(const Encoder& model, const ExperimentSpec& spec, bool keeps_results) {
  const RunMemory memory = estimate_run_memory(model, spec, keeps_results);
  check_memory(memory.total(),
               "this run (" + format_bytes(memory.results) + " of results, " + format_bytes(memory.working) +
                   " of working memory)",
               "use fewer trials or layers (split the run with --layers), or a smaller --max-batch-tokens");
}

}  // namespace bertscope
