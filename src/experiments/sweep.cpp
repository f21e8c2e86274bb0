#include "experiments/sweep.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/error.h"
#include "interventions/vector_edits.h"

namespace bertscope {

namespace {

// Clean activations of one prompt at `site` of every block, [seq, width] each, and all
// hidden states (hidden[0] = embeddings, hidden[L+1] = output of block L).
struct CleanRun {
  std::vector<HiddenState> hidden;
  std::vector<std::vector<float>> site;
  int site_width = 0;
};

CleanRun run_clean(const BertModel& model, const std::vector<int>& ids, SiteKind site) {
  CleanRun run;
  run.site.resize(static_cast<size_t>(model.layers()));
  Hooks hooks;
  for (int layer = 0; layer < model.layers(); ++layer) {
    hooks.add(HookSite::block(site, layer), [&run](const HookSite& s, ActivationView v) {
      run.site_width = v.width;
      run.site[static_cast<size_t>(s.layer)].assign(v.data, v.data + static_cast<size_t>(v.seq) * static_cast<size_t>(v.width));
    });
  }
  model.forward(TokenBatch::single(ids), &hooks, &run.hidden);
  return run;
}

// `trials` copies of one sequence's state, stacked as a batch.
HiddenState replicate(const HiddenState& one, int trials) {
  HiddenState batch{trials, one.seq, one.width, std::vector<int>(static_cast<size_t>(trials), one.seq), {}};
  batch.values.reserve(one.values.size() * static_cast<size_t>(trials));
  for (int t = 0; t < trials; ++t) batch.values.insert(batch.values.end(), one.values.begin(), one.values.end());
  return batch;
}

// The other prompt's position for each edited position: its own [MASK] stands for ours,
// any other index is taken as is.
std::vector<int> other_positions(const std::vector<int>& positions, const MaskedPrompt& prompt,
                                 const MaskedPrompt& other) {
  std::vector<int> out;
  for (int p : positions) {
    const int q = p == prompt.mask_index ? other.mask_index : p;
    if (q < 0 || q >= static_cast<int>(other.ids.size())) {
      throw Error("position " + std::to_string(p) + " has no counterpart in the other prompt, which has " +
                  std::to_string(other.ids.size()) + " tokens");
    }
    out.push_back(q);
  }
  return out;
}

}  // namespace

std::vector<int> parse_layers(const std::string& text, int layers) {
  std::set<int> chosen;
  auto fail = [&](const std::string& why) {
    throw Error("--layers '" + text + "': " + why + " (the model has blocks 0-" + std::to_string(layers - 1) + ")");
  };
  if (text.empty() || text == "all") {
    for (int l = 0; l < layers; ++l) chosen.insert(l);
    return {chosen.begin(), chosen.end()};
  }
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (at < end) {
    int first = 0, last = 0;
    auto [next, ec] = std::from_chars(at, end, first);
    if (ec != std::errc()) fail("expected a block number, a range like 0-5, or 'all'");
    last = first;
    if (next != end && *next == '-') {
      const auto range_end = std::from_chars(next + 1, end, last);
      if (range_end.ec != std::errc() || last < first) fail("bad range");
      next = range_end.ptr;
    }
    if (first < 0 || last >= layers) fail("block " + std::to_string(first < 0 ? first : last) + " is out of range");
    for (int l = first; l <= last; ++l) chosen.insert(l);
    if (next != end && *next != ',') fail("expected ',' between entries");
    at = next == end ? end : next + 1;
  }
  return {chosen.begin(), chosen.end()};
}

SweepResult run_sweep(const BertModel& model, const SweepRequest& request, const ProgressFn& progress) {
  if (request.trials < 1) throw Error("--trials must be at least 1");
  if (request.interventions.empty()) throw Error("no intervention to run");
  if (request.target.empty()) throw Error("a sweep needs --target: the word whose log-probability is tracked");
  SweepResult result;
  result.prompt = MaskedPrompt::prepare(model, request.prompt, request.target);
  const MaskedPrompt& prompt = result.prompt;
  const int layers = model.layers(), seq = static_cast<int>(prompt.ids.size());
  const std::vector<int> chosen = request.layers.empty() ? parse_layers("all", layers) : request.layers;
  for (int l : chosen) {
    if (l < 0 || l >= layers) throw Error("layer " + std::to_string(l) + " is out of range: the model has blocks 0-" + std::to_string(layers - 1));
  }
  for (const auto& spec : request.interventions) spec.validate();

  const CleanRun clean = run_clean(model, prompt.ids, request.site);
  result.clean_log_probs = log_softmax(model.mlm_logits(clean.hidden.back(), 0, prompt.mask_index));
  result.clean = MaskPrediction::from_log_probs(result.clean_log_probs, prompt.target_id, request.top_k);

  int64_t total = 0, done = 0;
  for (const auto& spec : request.interventions) total += static_cast<int64_t>(chosen.size()) * (spec.is_random() ? request.trials : 1);
  const int chunk = std::max(1, request.max_batch_tokens / seq);
  const int H = model.config().hidden_size, V = model.config().vocab_size;

  for (size_t i = 0; i < request.interventions.size(); ++i) {
    const InterventionSpec& spec = request.interventions[i];
    const std::vector<int> positions = spec.positions.resolve(prompt.mask_index, seq);
    MaskedPrompt other;
    CleanRun other_run;
    std::vector<int> other_at;
    if (spec.needs_other_prompt()) {
      other = MaskedPrompt::prepare(model, spec.other_prompt, "");
      other_run = run_clean(model, other.ids, request.site);
      other_at = other_positions(positions, prompt, other);
    }
    const int trials = spec.is_random() ? request.trials : 1;

    for (int layer : chosen) {
      const bool skip = spec.kind == InterventionKind::Skip;
      const bool edit_after_block = request.site == SiteKind::BlockOut;
      // Skip: block L's input stands in for its output. An edit of block L's output starts
      // from that output; an edit inside block L re-runs block L from its input.
      const HiddenState& base = clean.hidden[static_cast<size_t>(skip || !edit_after_block ? layer : layer + 1)];
      const int first_block = skip || edit_after_block ? layer + 1 : layer;
      const std::vector<float>& site_clean = clean.site[static_cast<size_t>(layer)];
      const double layer_std = unbiased_std(site_clean.data(), static_cast<long long>(site_clean.size()));
      std::vector<const float*> other_rows;
      for (int q : other_at) {
        other_rows.push_back(other_run.site[static_cast<size_t>(layer)].data() + static_cast<size_t>(q) * clean.site_width);
      }

      for (int start = 0; start < trials; start += chunk) {
        const int count = std::min(chunk, trials - start);
        HiddenState batch = replicate(base, count);
        std::vector<EditRecord> records(static_cast<size_t>(count));
        auto edit = [&](ActivationView view) {
          for (int b = 0; b < count; ++b) {
            RandomStream stream(request.seed, {static_cast<uint64_t>(spec.kind), static_cast<uint64_t>(layer),
                                               static_cast<uint64_t>(start + b)});
            records[static_cast<size_t>(b)] = apply_intervention(spec, view, b, positions, stream, other_rows, layer_std);
          }
        };
        Hooks hooks;
        if (!skip && edit_after_block) edit(batch.view());
        if (!skip && !edit_after_block) hooks.add(HookSite::block(request.site, layer), [&](const HookSite&, ActivationView v) { edit(v); });
        // Only the [MASK] row of the last block is read: let that block compute just it,
        // unless the edit itself happens inside the last block and needs every row.
        const bool edit_in_last_block = !hooks.empty() && layer == layers - 1;
        const bool only_mask = first_block < layers && !edit_in_last_block;
        model.run_blocks(batch, first_block, layers, &hooks, only_mask ? std::vector<int>{prompt.mask_index} : std::vector<int>{});
        const int mask_row = only_mask ? 0 : prompt.mask_index;

        std::vector<float> mask_rows(static_cast<size_t>(count) * H), logits(static_cast<size_t>(count) * V);
        for (int b = 0; b < count; ++b) {
          std::copy_n(batch.row(b, mask_row), H, mask_rows.begin() + static_cast<std::ptrdiff_t>(b) * H);
        }
        model.mlm_logits(mask_rows.data(), count, logits.data());
        for (int b = 0; b < count; ++b) {
          const std::vector<float> log_probs =
              log_softmax(std::span<const float>(logits.data() + static_cast<size_t>(b) * V, static_cast<size_t>(V)));
          TrialResult trial;
          trial.intervention = static_cast<int>(i);
          trial.layer = layer;
          trial.trial = start + b;
          trial.prediction = MaskPrediction::from_log_probs(log_probs, prompt.target_id, request.top_k);
          trial.kl_from_clean = kl_divergence(result.clean_log_probs, log_probs);
          trial.noise_std = records[static_cast<size_t>(b)].noise_std;
          result.runs.push_back(std::move(trial));
        }
        done += count;
        if (progress) progress(done, total);
      }
    }
  }
  return result;
}

}  // namespace bertscope
