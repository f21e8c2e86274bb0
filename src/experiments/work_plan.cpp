#include "experiments/work_plan.h"

#include <algorithm>
#include <queue>

#include "common/error.h"

namespace bertscope {

WorkPlan::WorkPlan(const Encoder& model, const ExperimentSpec& spec) : blocks_(model.layers()) {
  // As run_sweep: an edit of embed.out is one "layer", -1, before block 0.
  layers_ = spec.site == SiteKind::EmbedOut ? std::vector<int>{-1} : parse_layers(spec.layers, model.layers());
  for (const InterventionSpec& intervention : spec.interventions) {
    first_.push_back(per_prompt_);
    trials_.push_back(intervention.is_random() ? spec.trials : 1);
    per_prompt_ += static_cast<uint64_t>(trials_.back()) * layers_.size();
    // As run_sweep's jobs: an edit of a block's output runs from the next block; an edit
    // inside a block (another site) or a skipped block runs that block again.
    const bool inside = intervention.kind == InterventionKind::Skip ||
                        (spec.site != SiteKind::BlockOut && spec.site != SiteKind::EmbedOut);
    start_offset_.push_back(inside ? 0 : 1);
  }
  for (const PromptSpec& prompt : spec.prompts) tokens_.push_back(model.tokenizer().encode(prompt.text).ids.size());
}

uint64_t WorkPlan::rank(const WorkItem& item) const {
  const auto layer = std::lower_bound(layers_.begin(), layers_.end(), item.layer);
  if (item.prompt < 0 || static_cast<size_t>(item.prompt) >= tokens_.size() || item.intervention < 0 ||
      static_cast<size_t>(item.intervention) >= trials_.size() || layer == layers_.end() || *layer != item.layer ||
      item.trial < 0 || item.trial >= trials_[static_cast<size_t>(item.intervention)]) {
    return size();
  }
  const auto i = static_cast<size_t>(item.intervention);
  return static_cast<uint64_t>(item.prompt) * per_prompt_ + first_[i] +
         static_cast<uint64_t>(layer - layers_.begin()) * static_cast<uint64_t>(trials_[i]) + static_cast<uint64_t>(item.trial);
}

WorkItem WorkPlan::item(uint64_t rank) const {
  WorkItem item;
  item.prompt = static_cast<int>(rank / per_prompt_);
  const uint64_t within = rank % per_prompt_;
  const auto i = static_cast<size_t>(std::upper_bound(first_.begin(), first_.end(), within) - first_.begin() - 1);
  item.intervention = static_cast<int>(i);
  const uint64_t at = within - first_[i];
  const auto trials = static_cast<uint64_t>(trials_[i]);
  item.layer = layers_[static_cast<size_t>(at / trials)];
  item.trial = static_cast<int>(at % trials);
  return item;
}

uint64_t WorkPlan::cost(const WorkItem& item) const {
  const int start = item.layer + start_offset_[static_cast<size_t>(item.intervention)];
  return static_cast<uint64_t>(blocks_ - start + 1) * tokens_[static_cast<size_t>(item.prompt)];
}

std::vector<bool> WorkPlan::shard(int k, int n) const {
  if (n < 1 || k < 0 || k >= n) throw Error("shard " + std::to_string(k) + "/" + std::to_string(n) + " does not exist");
  std::vector<bool> mine(size(), false);
  using Load = std::pair<uint64_t, int>;  // (cost so far, shard): the least first, then the lowest shard
  std::priority_queue<Load, std::vector<Load>, std::greater<>> loads;
  for (int s = 0; s < n; ++s) loads.push({0, s});
  for (uint64_t r = 0; r < size(); ++r) {
    Load least = loads.top();
    loads.pop();
    if (least.second == k) mine[r] = true;
    least.first += cost(item(r));
    loads.push(least);
  }
  return mine;
}

}  // namespace bertscope
