#include "experiments/sweep.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <span>
#include <set>

#include "common/error.h"
#include "interventions/vector_edits.h"

namespace bertscope {

namespace {

// Clean activations of one prompt at `site` of every block (or at embed.out), [seq, width]
// each, and all hidden states (hidden[0] = embeddings, hidden[L+1] = output of block L).
struct CleanRun {
  std::vector<HiddenState> hidden;
  std::vector<std::vector<float>> site;
  int site_width = 0;
  std::vector<int64_t> site_shape;  // of the view at the site, batch first (hooks.h)

  // The site's activations for an edit at `layer` (-1: embed.out, the only one kept then).
  const std::vector<float>& at(int layer) const { return site[static_cast<size_t>(std::max(layer, 0))]; }
};

CleanRun run_clean(const BertModel& model, const std::vector<int>& ids, SiteKind site) {
  CleanRun run;
  const bool embed = site == SiteKind::EmbedOut;
  run.site.resize(embed ? 1 : static_cast<size_t>(model.layers()));
  Hooks hooks;
  auto keep = [&run](const HookSite& s, ActivationView v) {
    run.site_width = v.width;
    run.site_shape = v.shape();
    run.site[static_cast<size_t>(std::max(s.layer, 0))].assign(v.data, v.data + static_cast<size_t>(v.seq) * static_cast<size_t>(v.width));
  };
  if (embed) hooks.add(HookSite::embed_out(), keep);
  for (int layer = 0; layer < model.layers() && !embed; ++layer) hooks.add(HookSite::block(site, layer), keep);
  model.forward(TokenBatch::single(ids), &hooks, &run.hidden);
  return run;
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


// One intervention, resolved against the prompt: positions, and the other prompt's clean
// activations at the site (mix, patch).
struct PreparedIntervention {
  const InterventionSpec* spec = nullptr;
  std::vector<int> positions;
  CleanRun other;
  std::vector<int> other_at;  // the other prompt's position for each of `positions`
  std::vector<int> every_position;  // mean: the positions it averages over
  std::vector<std::vector<float>> prompts_mean;  // mean over a prompt file: per block, one row
};

// The mean row at `site` of every block over every position of `texts` (mean ablation over
// a prompt file): [layers][width].
std::vector<std::vector<float>> mean_over_prompts(const BertModel& model, const std::vector<std::string>& texts,
                                                  SiteKind site) {
  std::vector<std::vector<double>> sums;
  size_t rows = 0;
  for (const std::string& text : texts) {
    const CleanRun run = run_clean(model, MaskedPrompt::prepare(model, text, "", false).ids, site);
    const auto width = static_cast<size_t>(run.site_width);
    sums.resize(run.site.size(), std::vector<double>(width, 0.0));
    for (size_t layer = 0; layer < run.site.size(); ++layer) {
      for (size_t i = 0; i < run.site[layer].size(); ++i) sums[layer][i % width] += run.site[layer][i];
    }
    rows += run.site.front().size() / width;
  }
  std::vector<std::vector<float>> means;
  for (const auto& sum : sums) {
    std::vector<float> mean(sum.size());
    for (size_t i = 0; i < sum.size(); ++i) mean[i] = static_cast<float>(sum[i] / static_cast<double>(rows));
    means.push_back(std::move(mean));
  }
  return means;
}

// Pointers to the values at `segments` of a clean [1, ...] site tensor.
std::vector<const float*> segment_values(const std::vector<float>& site, int width, const std::vector<EditSegment>& segments) {
  std::vector<const float*> out;
  for (const EditSegment& s : segments) {
    out.push_back(site.data() + static_cast<size_t>(s.row) * static_cast<size_t>(width) + static_cast<size_t>(s.offset));
  }
  return out;
}

// Mean ablation: for each edited segment, the mean of the clean values of the same piece
// (the same head, at the per-head sites) over every position of the prompt.
std::vector<std::vector<float>> position_means(const CleanRun& clean, int layer, SiteKind site, const PreparedIntervention& p,
                                               const std::vector<EditSegment>& edited) {
  const std::vector<EditSegment> all = edit_segments(clean.site_shape, site, p.every_position, p.spec->heads);
  const std::vector<const float*> values = segment_values(clean.at(layer), clean.site_width, all);
  const size_t pieces = edited.size() / p.positions.size();  // heads (or 1) per position
  std::vector<std::vector<float>> means;
  for (size_t i = 0; i < edited.size(); ++i) {
    std::vector<double> sum(static_cast<size_t>(edited[i].length), 0.0);
    for (size_t q = 0; q < p.every_position.size(); ++q) {
      const float* v = values[q * pieces + i % pieces];
      for (size_t d = 0; d < sum.size(); ++d) sum[d] += v[d];
    }
    std::vector<float> mean(sum.size());
    for (size_t d = 0; d < sum.size(); ++d) mean[d] = static_cast<float>(sum[d] / static_cast<double>(p.every_position.size()));
    means.push_back(std::move(mean));
  }
  return means;
}

PreparedIntervention prepare_intervention(const BertModel& model, const InterventionSpec& spec, const MaskedPrompt& prompt,
                                          SiteKind site) {
  PreparedIntervention p;
  p.spec = &spec;
  p.positions = spec.positions.resolve(prompt.mask_index, static_cast<int>(prompt.ids.size()));
  if (spec.needs_other_prompt()) {
    const MaskedPrompt other = MaskedPrompt::prepare(model, spec.other_prompt, "");
    p.other = run_clean(model, other.ids, site);
    p.other_at = other_positions(p.positions, prompt, other);
    if ((site == SiteKind::AttnScores || site == SiteKind::AttnPattern) && other.ids.size() != prompt.ids.size()) {
      throw Error("the other prompt has " + std::to_string(other.ids.size()) + " tokens and this one " +
                  std::to_string(prompt.ids.size()) + ": attention rows are patched or mixed only between prompts of "
                  "the same length");
    }
  }
  if (spec.kind == InterventionKind::Mean) {
    for (int q = 0; q < static_cast<int>(prompt.ids.size()); ++q) p.every_position.push_back(q);
    if (!spec.mean_prompts.empty()) p.prompts_mean = mean_over_prompts(model, spec.mean_prompts, site);
  }
  return p;
}

// How a trial's state is made: an edit of block L's output applied before block L+1
// (Direct), an edit inside block L by a hook while block L runs (Hook), or block L left
// out (Skip: its input stands in for its output).
enum class EditTiming { Direct, Hook, Skip };

struct SweepJob {
  int intervention = 0;
  int layer = 0;
  int trial = 0;
  EditTiming timing = EditTiming::Direct;
  int start_block = 0;  // first block to run; == layers when only the head remains
  int base_state = 0;   // index into the clean hidden states it starts from
};

SweepJob make_job(const InterventionSpec& spec, int intervention, int layer, int trial, SiteKind site) {
  SweepJob job{intervention, layer, trial, EditTiming::Direct, layer + 1, layer + 1};
  if (spec.kind == InterventionKind::Skip) {
    job.timing = EditTiming::Skip;
    job.base_state = layer;
  } else if (site != SiteKind::BlockOut && site != SiteKind::EmbedOut) {
    // embed.out (layer -1) is hidden state 0, edited directly before block 0.
    job.timing = EditTiming::Hook;
    job.start_block = job.base_state = layer;
  }
  return job;
}

// Runs a chunk of jobs as one wavefront: the batch starts at the earliest start block and
// every later job joins it at its own start block, so each block's weights are read once
// per chunk, however many layers the chunk's trials were edited at.
struct ChunkRunner {
  const BertModel& model;
  const SweepRequest& request;
  const MaskedPrompt& prompt;
  const CleanRun& clean;
  const std::vector<PreparedIntervention>& prepared;
  const std::vector<SweepJob>& jobs;
  SweepResult& result;
  BlockWorkspace& workspace;  // shared by every block of every chunk

  EditRecord edit(const SweepJob& job, ActivationView view, int element) const {
    const PreparedIntervention& p = prepared[static_cast<size_t>(job.intervention)];
    const std::vector<float>& site_clean = clean.at(job.layer);
    const SiteKind site = job.timing == EditTiming::Hook ? request.site : SiteKind::BlockOut;
    const std::vector<EditSegment> segments = edit_segments(view.shape(), site, p.positions, p.spec->heads);
    std::vector<const float*> other_rows;
    std::vector<std::vector<float>> means;
    if (p.spec->needs_other_prompt()) {
      other_rows = segment_values(p.other.at(job.layer), p.other.site_width,
                                  edit_segments(p.other.site_shape, site, p.other_at, p.spec->heads));
    } else if (p.spec->kind == InterventionKind::Mean && !p.prompts_mean.empty()) {
      for (const EditSegment& segment : segments) {
        other_rows.push_back(p.prompts_mean[static_cast<size_t>(std::max(job.layer, 0))].data() + segment.offset);
      }
    } else if (p.spec->kind == InterventionKind::Mean) {
      means = position_means(clean, job.layer, site, p, segments);
      for (const auto& mean : means) other_rows.push_back(mean.data());
    }
    RandomStream stream = trial_stream(request.seed, job.intervention, request.paired, job.layer, job.trial);
    return apply_intervention(*p.spec, view, element, segments, stream, other_rows,
                              unbiased_std(site_clean.data(), static_cast<long long>(site_clean.size())));
  }

  void run(std::span<const size_t> chunk) const {
    const int layers = model.layers(), H = model.config().hidden_size;
    const HiddenState& any = clean.hidden.front();
    HiddenState active{0, any.seq, any.width, {}, {}};
    std::vector<size_t> members;  // job of each batch element, in joining order (= chunk order)
    std::vector<EditRecord> records(chunk.size());  // by batch element: memory per chunk, not per sweep
    auto join = [&](size_t job) {
      const HiddenState& base = clean.hidden[static_cast<size_t>(jobs[job].base_state)];
      active.values.insert(active.values.end(), base.values.begin(), base.values.end());
      active.lengths.push_back(base.seq);
      ++active.batch;
      members.push_back(job);
      return active.batch - 1;
    };

    size_t next = 0;
    bool mask_only = false;
    for (int block = jobs[chunk.front()].start_block; block < layers; ++block) {
      std::vector<int> edit_inside;  // batch elements edited by a hook in this block
      for (; next < chunk.size() && jobs[chunk[next]].start_block == block; ++next) {
        const size_t job = chunk[next];
        const int element = join(job);
        if (jobs[job].timing == EditTiming::Direct) records[static_cast<size_t>(element)] = edit(jobs[job], active.view(), element);
        if (jobs[job].timing == EditTiming::Hook) edit_inside.push_back(element);
      }
      Hooks hooks;
      if (!edit_inside.empty()) {
        hooks.add(HookSite::block(request.site, block), [&](const HookSite&, ActivationView view) {
          for (int element : edit_inside) {
            const size_t job = members[static_cast<size_t>(element)];
            records[static_cast<size_t>(element)] = edit(jobs[job], view, element);
          }
        });
      }
      // Only the [MASK] row of the last block is read: that block computes just it, unless
      // an edit inside the last block needs every row.
      mask_only = block == layers - 1 && edit_inside.empty();
      model.run_blocks(active, block, block + 1, &hooks,
                       mask_only ? std::vector<int>{prompt.mask_index} : std::vector<int>{}, &workspace);
    }

    // Edits of the last block's output run no block: only the head remains.
    std::vector<float> mask_rows;
    for (int element = 0; element < active.batch; ++element) {
      const float* row = active.row(element, mask_only ? 0 : prompt.mask_index);
      mask_rows.insert(mask_rows.end(), row, row + H);
    }
    for (; next < chunk.size(); ++next) {
      const size_t job = chunk[next];
      HiddenState alone = clean.hidden[static_cast<size_t>(jobs[job].base_state)];
      records[members.size()] = edit(jobs[job], alone.view(), 0);
      const float* row = alone.row(0, prompt.mask_index);
      mask_rows.insert(mask_rows.end(), row, row + H);
      members.push_back(job);
    }
    read_predictions(mask_rows, members, records);
  }

  void read_predictions(const std::vector<float>& mask_rows, const std::vector<size_t>& members,
                        const std::vector<EditRecord>& records) const {
    const int V = model.config().vocab_size;
    std::vector<float> logits(members.size() * static_cast<size_t>(V));
    model.mlm_logits(mask_rows.data(), static_cast<int>(members.size()), logits.data());
    // Each trial's readout (log-softmax, top-k and KL over the whole vocabulary) is
    // independent of the others and writes only its own result.
    const auto count = static_cast<std::ptrdiff_t>(members.size());
    std::vector<char> finite(members.size(), 1);
#pragma omp parallel for schedule(dynamic)
    for (std::ptrdiff_t i = 0; i < count; ++i) {
      const auto e = static_cast<size_t>(i);
      const SweepJob& job = jobs[members[e]];
      const std::vector<float> log_probs =
          log_softmax(std::span<const float>(logits.data() + e * static_cast<size_t>(V), static_cast<size_t>(V)));
      // With a sink the chunk's trials fill the first slots, in chunk order (members[e]
      // is the chunk's e-th job); else each job has its own slot.
      TrialResult& trial = result.runs[request.sink ? e : members[e]];
      trial.intervention = job.intervention;
      trial.layer = job.layer;
      trial.trial = job.trial;
      trial.prediction = MaskPrediction::from_log_probs(log_probs, prompt.target_id, request.top_k);
      trial.kl_from_clean = kl_divergence(result.clean_log_probs, log_probs);
      trial.noise_std = records[e].noise_std;
      finite[e] = std::all_of(log_probs.begin(), log_probs.end(), [](float v) { return std::isfinite(v); });
    }
    // A NaN never passes as a result: its top-k would be an arbitrary token at "rank 1".
    // Thrown here, outside the parallel loop, which an exception may not leave.
    for (size_t e = 0; e < members.size(); ++e) {
      if (finite[e]) continue;
      const SweepJob& job = jobs[members[e]];
      throw Error(request.interventions[static_cast<size_t>(job.intervention)].label() + " at block " +
                  std::to_string(job.layer) + " (trial " + std::to_string(job.trial) +
                  "): the logits are NaN or infinite, the edit drove the hidden state beyond float32; "
                  "use a smaller --factor");
    }
  }
};

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
  // An edit of embed.out happens once, before block 0: its "layer" is -1, whatever --layers says.
  const bool embed = request.site == SiteKind::EmbedOut;
  const std::vector<int> chosen = embed                   ? std::vector<int>{-1}
                                  : request.layers.empty() ? parse_layers("all", layers)
                                                           : request.layers;
  for (int l : chosen) {
    if (!embed && (l < 0 || l >= layers)) {
      throw Error("layer " + std::to_string(l) + " is out of range: the model has blocks 0-" + std::to_string(layers - 1));
    }
  }
  for (const auto& spec : request.interventions) {
    if (embed && spec.kind == InterventionKind::Skip) throw Error("skip leaves out a block; it cannot edit embed.out");
  }
  for (const auto& spec : request.interventions) {
    spec.validate();
    spec.validate_at(request.site, model.config().num_attention_heads);
  }

  const CleanRun clean = run_clean(model, prompt.ids, request.site);
  result.clean_log_probs = log_softmax(model.mlm_logits(clean.hidden.back(), 0, prompt.mask_index));
  result.clean = MaskPrediction::from_log_probs(result.clean_log_probs, prompt.target_id, request.top_k);

  // Every (intervention, layer, trial) is a job that joins the batch at the block where its
  // edited state first differs from the clean run.
  std::vector<PreparedIntervention> prepared;
  for (const InterventionSpec& spec : request.interventions) {
    prepared.push_back(prepare_intervention(model, spec, prompt, request.site));
  }
  std::vector<SweepJob> jobs;
  for (size_t i = 0; i < prepared.size(); ++i) {
    const InterventionSpec& spec = *prepared[i].spec;
    const int trials = spec.is_random() ? request.trials : 1;
    for (int layer : chosen) {
      for (int t = 0; t < trials; ++t) {
        if (request.include && !request.include(WorkItem{0, static_cast<int>(i), layer, t})) continue;
        jobs.push_back(make_job(spec, static_cast<int>(i), layer, t, request.site));
      }
    }
  }
  if (jobs.empty()) return result;
  // With a sink each chunk's trials are handed over and dropped; the slots are reused.
  const auto per_chunk = static_cast<size_t>(std::max(1, request.max_batch_tokens / seq));
  result.runs.resize(request.sink ? std::min(jobs.size(), per_chunk) : jobs.size());
  std::vector<size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return jobs[x].start_block < jobs[y].start_block; });

  BlockWorkspace workspace;
  const ChunkRunner runner{model, request, prompt, clean, prepared, jobs, result, workspace};
  // A trial's cost: the blocks it runs after its edit (one more for the head).
  auto cost = [&](size_t job) { return static_cast<double>(model.layers() - jobs[job].start_block + 1); };
  double total_cost = 0, done_cost = 0;
  for (size_t job : order) total_cost += cost(job);
  int64_t done = 0;
  for (size_t begin = 0; begin < order.size(); begin += per_chunk) {
    const size_t end = std::min(order.size(), begin + per_chunk);
    runner.run({order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end)});
    if (request.sink) {
      for (size_t i = 0; i < end - begin; ++i) request.sink(result.runs[i]);
    }
    done += static_cast<int64_t>(end - begin);
    for (size_t i = begin; i < end; ++i) done_cost += cost(order[i]);
    if (progress) progress(done, static_cast<int64_t>(jobs.size()), end == order.size() ? 1.0 : done_cost / total_cost);
  }
  if (request.sink) result.runs.clear();
  return result;
}

}  // namespace bertscope
