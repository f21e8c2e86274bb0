#include "experiments/sweep.h"
#include "experiments/directions.h"
#include "experiments/unit_selection.h"

#include <algorithm>
#include <map>
#include <charconv>
#include <cmath>
#include <numeric>
#include <span>
#include <set>

#include "common/error.h"
#include "common/json_preview.h"
#include "experiments/prompt_groups.h"
#include "experiments/wavefront_plan.h"
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
  std::vector<std::vector<float>> kept;  // per SweepRequest::keep_sites: the kept positions' rows

  // The site's activations for an edit at `layer` (-1: embed.out, the only one kept then).
  const std::vector<float>& at(int layer) const { return site[static_cast<size_t>(std::max(layer, 0))]; }
};

// Appends the rows at `positions` of batch element `element` of `view` (a site whose rows
// are positions) to `out`.
void append_rows(const ActivationView& view, int element, const std::vector<int>& positions, std::vector<float>& out) {
  for (int position : positions) {
    const float* row = view.row(element, position);
    out.insert(out.end(), row, row + view.width);
  }
}

// `keep` and `positions`: SweepRequest::keep_sites and a prompt's kept positions.
CleanRun run_clean(const Encoder& model, const std::vector<int>& ids, SiteKind site,
                   const std::vector<HookSite>& keep = {}, const std::vector<int>& positions = {}) {
  CleanRun run;
  run.kept.resize(keep.size());
  const bool embed = site == SiteKind::EmbedOut;
  run.site.resize(embed ? 1 : static_cast<size_t>(model.layers()));
  Hooks hooks;
  auto keep_site = [&run](const HookSite& s, ActivationView v) {
    run.site_width = v.width;
    run.site_shape = v.shape();
    run.site[static_cast<size_t>(std::max(s.layer, 0))].assign(v.data, v.data + static_cast<size_t>(v.seq) * static_cast<size_t>(v.width));
  };
  if (embed) hooks.add(HookSite::embed_out(), keep_site);
  for (int layer = 0; layer < model.layers() && !embed; ++layer) hooks.add(HookSite::block(site, layer), keep_site);
  for (size_t s = 0; s < keep.size(); ++s) {
    hooks.add(keep[s], [&run, &positions, s](const HookSite&, ActivationView v) { append_rows(v, 0, positions, run.kept[s]); });
  }
  model.forward(TokenBatch::single(ids), &hooks, &run.hidden);
  return run;
}

// The other prompt's position for each edited position. One rule, as patch-grid's: the
// [MASK] stands for the other prompt's [MASK] whatever the lengths; every other position
// pairs with the same index, which means something only when both prompts have the same
// number of tokens, so with different lengths only the [MASK] may be edited. (Mapping by
// index anyway would pair unrelated tokens and drop the longer prompt's tail silently.)
std::vector<int> other_positions(const std::vector<int>& positions, const MaskedPrompt& prompt,
                                 const MaskedPrompt& other) {
  std::vector<int> out;
  for (int p : positions) {
    if (p != prompt.mask_index && prompt.ids.size() != other.ids.size()) {
      throw Error("position " + std::to_string(p) + ": mix and patch pair positions other than the [MASK] one to one, "
                  "so both prompts need the same number of tokens, and \"" + text_preview(prompt.text, 40) + "\" has " +
                  std::to_string(prompt.ids.size()) + " while the other prompt \"" + text_preview(other.text, 40) +
                  "\" has " + std::to_string(other.ids.size()) +
                  " (with [CLS] and [SEP]); make them the same length, or edit the [MASK] alone (--positions mask)");
    }
    out.push_back(p == prompt.mask_index ? other.mask_index : p);
  }
  return out;
}


// Per column d < width of the rows: their mean, or with `median` numpy's median (the mean of
// the two middle values for an even count).
std::vector<float> column_statistic(const std::vector<const float*>& rows, size_t width, bool median) {
  std::vector<float> out(width);
  std::vector<double> column(rows.size());
  for (size_t d = 0; d < width; ++d) {
    for (size_t r = 0; r < rows.size(); ++r) column[r] = rows[r][d];
    if (!median) {
      double sum = 0.0;
      for (double v : column) sum += v;
      out[d] = static_cast<float>(sum / static_cast<double>(column.size()));
      continue;
    }
    const size_t half = column.size() / 2;
    std::nth_element(column.begin(), column.begin() + static_cast<std::ptrdiff_t>(half), column.end());
    double middle = column[half];
    if (column.size() % 2 == 0) middle = (middle + *std::max_element(column.begin(), column.begin() + static_cast<std::ptrdiff_t>(half))) / 2.0;
    out[d] = static_cast<float>(middle);
  }
  return out;
}

// The mean row at `site` of every block over every position of `texts` (mean ablation over
// a prompt file), or with `median` the median: [layers][width]. The mean keeps running sums,
// so a long prompt file costs no memory; the median needs every row.
std::vector<std::vector<float>> statistic_over_prompts(const Encoder& model, const std::vector<std::string>& texts,
                                                       SiteKind site, bool median) {
  std::vector<std::vector<double>> sums;
  std::vector<std::vector<float>> rows;  // median: per block, every position's row
  size_t width = 0, count = 0;
  for (const std::string& text : texts) {
    const CleanRun run = run_clean(model, MaskedPrompt::prepare(model, text, "", false).ids, site);
    width = static_cast<size_t>(run.site_width);
    sums.resize(run.site.size(), std::vector<double>(width, 0.0));
    rows.resize(run.site.size());
    for (size_t layer = 0; layer < run.site.size(); ++layer) {
      const std::vector<float>& values = run.site[layer];
      if (median) rows[layer].insert(rows[layer].end(), values.begin(), values.end());
      for (size_t i = 0; i < values.size() && !median; ++i) sums[layer][i % width] += values[i];
    }
    count += run.site.front().size() / width;
  }
  std::vector<std::vector<float>> out;
  if (!median) {
    for (const std::vector<double>& sum : sums) {
      std::vector<float> mean(sum.size());
      for (size_t d = 0; d < sum.size(); ++d) mean[d] = static_cast<float>(sum[d] / static_cast<double>(count));
      out.push_back(std::move(mean));
    }
    return out;
  }
  for (const std::vector<float>& block : rows) {
    const size_t n = block.size() / width;
    std::vector<const float*> pointers;
    for (size_t r = 0; r < n; ++r) pointers.push_back(block.data() + r * width);
    out.push_back(column_statistic(pointers, width, median));
  }
  return out;
}

// What an intervention needs whatever the prompt, made once for every prompt: the other
// prompt's clean activations at the site (mix, patch), the mean or median over a prompt file.
struct SharedIntervention {
  const InterventionSpec* spec = nullptr;
  MaskedPrompt other_prompt;
  CleanRun other;
  std::vector<std::vector<float>> prompts_mean;  // per block, one row
  UnitSelection units;
  std::vector<std::vector<float>> vectors;  // steer, project, pca: per block + 1 (directions.h)
};

// `other_text`: the other prompt of mix and patch (the intervention's own, or the prompt's).
SharedIntervention share_intervention(const Encoder& model, const InterventionSpec& spec, const std::string& other_text,
                                      SiteKind site) {
  SharedIntervention shared;
  shared.spec = &spec;
  shared.units = UnitSelection::of(spec, site);
  shared.vectors = site_vectors(model, spec, site);
  if (spec.needs_other_prompt()) {
    shared.other_prompt = MaskedPrompt::prepare(model, other_text, "");
    shared.other = run_clean(model, shared.other_prompt.ids, site);
  }
  if (spec.is_statistic() && !spec.mean_prompts.empty()) {
    shared.prompts_mean = statistic_over_prompts(model, spec.mean_prompts, site, spec.kind == InterventionKind::Median);
  }
  return shared;
}

// One intervention, resolved against one prompt: its positions there.
struct PreparedIntervention {
  const InterventionSpec* spec = nullptr;
  const SharedIntervention* shared = nullptr;
  std::vector<int> positions;
  std::vector<int> other_at;        // the other prompt's position for each of `positions`
  std::vector<int> every_position;  // mean: the positions it averages over
};

// Pointers to the values at `segments` of a clean [1, ...] site tensor.
std::vector<const float*> segment_values(const std::vector<float>& site, int width, const std::vector<EditSegment>& segments) {
  std::vector<const float*> out;
  for (const EditSegment& s : segments) {
    out.push_back(site.data() + static_cast<size_t>(s.row) * static_cast<size_t>(width) + static_cast<size_t>(s.offset));
  }
  return out;
}

// Mean (median) ablation: for each edited segment, the mean (median) of the clean values of
// the same piece (the same head, at the per-head sites) over every position of the prompt.
std::vector<std::vector<float>> position_statistics(const CleanRun& clean, int layer, SiteKind site,
                                                    const PreparedIntervention& p, const std::vector<EditSegment>& edited) {
  const std::vector<EditSegment> all =
      edit_segments(clean.site_shape, site, p.every_position, p.spec->heads, p.shared->units.at(layer));
  const std::vector<const float*> values = segment_values(clean.at(layer), clean.site_width, all);
  const size_t pieces = edited.size() / p.positions.size();  // heads (or 1) per position
  std::vector<std::vector<float>> means;
  for (size_t i = 0; i < edited.size(); ++i) {
    std::vector<const float*> column;
    for (size_t q = 0; q < p.every_position.size(); ++q) column.push_back(values[q * pieces + i % pieces]);
    means.push_back(column_statistic(column, static_cast<size_t>(edited[i].length),
                                     p.spec->kind == InterventionKind::Median));
  }
  return means;
}

PreparedIntervention prepare_intervention(const Encoder& model, const SharedIntervention& shared, const MaskedPrompt& prompt,
                                          SiteKind site) {
  const InterventionSpec& spec = *shared.spec;
  PreparedIntervention p;
  p.spec = &spec;
  p.shared = &shared;
  p.positions = spec.positions.resolve(prompt.mask_index, prompt.ids, model.tokenizer());
  if (spec.needs_other_prompt()) {
    const MaskedPrompt& other = shared.other_prompt;
    p.other_at = other_positions(p.positions, prompt, other);
    if (!rows_are_positions(site) && other.ids.size() != prompt.ids.size()) {
      throw Error("the other prompt has " + std::to_string(other.ids.size()) + " tokens and this one " +
                  std::to_string(prompt.ids.size()) + ": attention rows are patched or mixed only between prompts of "
                  "the same length");
    }
  }
  if (spec.is_statistic()) {
    for (int q = 0; q < static_cast<int>(prompt.ids.size()); ++q) p.every_position.push_back(q);
  }
  return p;
}

// One prompt of the sweep: tokenized, its clean run, its interventions resolved.
struct PromptRun {
  MaskedPrompt prompt;
  CleanRun clean;
  std::vector<PreparedIntervention> prepared;
  std::vector<int> kept_positions;  // SweepRequest::keep_positions resolved here
  int length() const { return static_cast<int>(prompt.ids.size()); }
};

// How a trial's state is made: an edit of block L's output applied before block L+1
// (Direct), an edit inside block L by a hook while block L runs (Hook), or block L left
// out (Skip: its input stands in for its output).
enum class EditTiming { Direct, Hook, Skip };

struct SweepJob {
  WorkItem item;
  EditTiming timing = EditTiming::Direct;
  int start_block = 0;  // first block to run; == layers when only the head remains
  int base_state = 0;   // index into the clean hidden states it starts from
  size_t slot = 0;      // index of its result in its prompt's SweepResult::runs
};

SweepJob make_job(const InterventionSpec& spec, const WorkItem& item, SiteKind site) {
  SweepJob job{item, EditTiming::Direct, item.layer + 1, item.layer + 1, 0};
  if (spec.kind == InterventionKind::Skip) {
    job.timing = EditTiming::Skip;
    job.base_state = item.layer;
  } else if (site != SiteKind::BlockOut && site != SiteKind::EmbedOut) {
    // embed.out (layer -1) is hidden state 0, edited directly before block 0.
    job.timing = EditTiming::Hook;
    job.start_block = job.base_state = item.layer;
  }
  return job;
}

// Runs one batch of jobs as a wavefront: the batch starts at the earliest start block and
// every later job joins it at its own start block, so each block's weights are read once
// per batch, however many layers its trials were edited at. The jobs may belong to
// different prompts: each element holds its prompt's rows, right-padded to `seq`.
struct ChunkRunner {
  const Encoder& model;
  const SweepRequest& request;
  const std::vector<PromptRun>& prompts;
  const std::vector<SweepJob>& jobs;
  const std::vector<SweepResult>& results;  // the clean predictions
  BlockWorkspace& workspace;                // shared by every block of every batch
  // request.keep_sites are the caller's kept sites, then its cosine_sites: these first ones
  // are returned, the others read as cosines and dropped (run_sweeps).
  size_t returned_sites = 0;

  EditRecord edit(const SweepJob& job, ActivationView view, int element) const {
    const PromptRun& run = prompts[static_cast<size_t>(job.item.prompt)];
    const PreparedIntervention& p = run.prepared[static_cast<size_t>(job.item.intervention)];
    const int layer = job.item.layer;
    const std::vector<float>& site_clean = run.clean.at(layer);
    const SiteKind site = job.timing == EditTiming::Hook ? request.site : SiteKind::BlockOut;
    const SharedIntervention& shared = *p.shared;
    const std::vector<int>* units = shared.units.at(layer);
    const std::vector<EditSegment> segments = edit_segments(view.shape(), site, p.positions, p.spec->heads, units);
    std::vector<const float*> other_rows;
    std::vector<std::vector<float>> means;
    if (p.spec->needs_other_prompt()) {
      other_rows = segment_values(shared.other.at(layer), shared.other.site_width,
                                  edit_segments(shared.other.site_shape, site, p.other_at, p.spec->heads, units));
    } else if (!shared.vectors.empty()) {
      // Whole rows (validate_at): each edited row reads its block's vector or basis.
      const float* vector = shared.vectors[static_cast<size_t>(layer + 1)].data();
      other_rows.assign(segments.size(), vector);
    } else if (p.spec->is_statistic() && !shared.prompts_mean.empty()) {
      for (const EditSegment& segment : segments) {
        other_rows.push_back(shared.prompts_mean[static_cast<size_t>(std::max(layer, 0))].data() + segment.offset);
      }
    } else if (p.spec->is_statistic()) {
      means = position_statistics(run.clean, layer, site, p, segments);
      for (const auto& mean : means) other_rows.push_back(mean.data());
    }
    RandomStream stream = trial_stream(request.seed, job.item.intervention, request.paired, layer, job.item.trial);
    return apply_intervention(*p.spec, view, element, segments, stream, other_rows,
                              unbiased_std(site_clean.data(), static_cast<long long>(site_clean.size())));
  }

  // Runs the batch and hands each trial's result, with its job's index, to `deliver`.
  void run(const WavefrontBatch& batch, const std::function<void(size_t, const TrialResult&)>& deliver) const {
    const int layers = model.layers(), H = model.config().hidden_size;
    HiddenState active{0, batch.seq, H, {}, {}};
    std::vector<size_t> members;  // job of each batch element, in joining order
    std::vector<EditRecord> records(batch.trials.size());
    auto prompt_of = [&](size_t job) -> const PromptRun& { return prompts[static_cast<size_t>(jobs[job].item.prompt)]; };
    // Per batch element, per kept site (request.keep_sites): its rows, clean until the
    // trial's run reaches the site.
    const std::vector<HookSite>& keep = request.keep_sites;
    std::vector<std::vector<std::vector<float>>> kept(batch.trials.size());
    auto capture = [&](size_t s, const ActivationView& view, int view_element, size_t element) {
      kept[element][s].clear();
      append_rows(view, view_element, prompt_of(members[element]).kept_positions, kept[element][s]);
    };
    // A trial enters its first block with the output of the block before it (embed.out
    // before block 0) as its edit or skip left it.
    auto keep_entry = [&](size_t element, int start_block, const ActivationView& view, int view_element) {
      kept[element] = prompt_of(members[element]).clean.kept;
      const HookSite entry = start_block == 0 ? HookSite::embed_out() : HookSite::block_out(start_block - 1);
      for (size_t s = 0; s < keep.size(); ++s) {
        if (keep[s] == entry) capture(s, view, view_element, element);
      }
    };
    const bool keeps_last_block =
        std::any_of(keep.begin(), keep.end(), [&](const HookSite& site) { return site.layer == layers - 1; });
    auto join = [&](size_t job) {
      const HiddenState& base = prompt_of(job).clean.hidden[static_cast<size_t>(jobs[job].base_state)];
      active.values.insert(active.values.end(), base.values.begin(), base.values.end());
      // Padding rows are zeros: attention leaves padded keys out, so they never reach a real row.
      active.values.resize(active.values.size() + static_cast<size_t>(batch.seq - base.seq) * static_cast<size_t>(H), 0.0f);
      active.lengths.push_back(base.seq);
      ++active.batch;
      members.push_back(job);
      return active.batch - 1;
    };

    const std::vector<size_t>& chunk = batch.trials;
    size_t next = 0;
    bool mask_only = false;
    for (int block = jobs[chunk.front()].start_block; block < layers; ++block) {
      std::vector<int> edit_inside;  // batch elements edited by a hook in this block
      for (; next < chunk.size() && jobs[chunk[next]].start_block == block; ++next) {
        const size_t job = chunk[next];
        const int element = join(job);
        if (jobs[job].timing == EditTiming::Direct) records[static_cast<size_t>(element)] = edit(jobs[job], active.view(), element);
        if (jobs[job].timing == EditTiming::Hook) edit_inside.push_back(element);
        if (!keep.empty()) keep_entry(static_cast<size_t>(element), block, active.view(), element);
      }
      Hooks hooks;
      if (!edit_inside.empty()) {
        hooks.add(HookSite::block(request.site, block), [&](const HookSite&, ActivationView view) {
          for (int element : edit_inside) {
            records[static_cast<size_t>(element)] = edit(jobs[members[static_cast<size_t>(element)]], view, element);
          }
        });
      }
      for (size_t s = 0; s < keep.size(); ++s) {
        if (keep[s].layer != block) continue;
        // Added after the edit's hook: at the edited site itself it reads the edited values.
        hooks.add(keep[s], [&, s](const HookSite&, ActivationView view) {
          for (int element = 0; element < view.batch; ++element) capture(s, view, element, static_cast<size_t>(element));
        });
      }
      // Only the [MASK] rows of the last block are read: that block computes just them (each
      // element its own prompt's), unless an edit or a kept site inside the last block needs
      // every row.
      mask_only = block == layers - 1 && edit_inside.empty() && !keeps_last_block;
      std::vector<std::vector<int>> reads;
      for (size_t job : members) {
        if (mask_only) reads.push_back({prompt_of(job).prompt.mask_index});
      }
      model.run_blocks(active, block, block + 1, &hooks, reads, &workspace);
    }

    // Edits of the last block's output run no block: only the head remains.
    std::vector<float> mask_rows;
    for (int element = 0; element < active.batch; ++element) {
      const size_t job = members[static_cast<size_t>(element)];
      const float* row = active.row(element, mask_only ? 0 : prompt_of(job).prompt.mask_index);
      mask_rows.insert(mask_rows.end(), row, row + H);
    }
    for (; next < chunk.size(); ++next) {
      const size_t job = chunk[next];
      HiddenState alone = prompt_of(job).clean.hidden[static_cast<size_t>(jobs[job].base_state)];
      records[members.size()] = edit(jobs[job], alone.view(), 0);
      const float* row = alone.row(0, prompt_of(job).prompt.mask_index);
      mask_rows.insert(mask_rows.end(), row, row + H);
      members.push_back(job);
      if (!keep.empty()) keep_entry(members.size() - 1, layers, alone.view(), 0);
    }
    read_predictions(mask_rows, members, records, kept, deliver);
  }

  void read_predictions(const std::vector<float>& mask_rows, const std::vector<size_t>& members,
                        const std::vector<EditRecord>& records, std::vector<std::vector<std::vector<float>>>& kept,
                        const std::function<void(size_t, const TrialResult&)>& deliver) const {
    const int V = model.config().vocab_size, H = model.config().hidden_size;
    std::vector<float> logits(members.size() * static_cast<size_t>(V));
    model.mlm_logits(mask_rows.data(), static_cast<int>(members.size()), logits.data());
    // Each trial's readout (log-softmax, top-k and KL over the whole vocabulary) is
    // independent of the others and writes only its own result.
    const auto count = static_cast<std::ptrdiff_t>(members.size());
    std::vector<TrialResult> out(members.size());
    std::vector<char> finite(members.size(), 1);
#pragma omp parallel for schedule(dynamic)
    for (std::ptrdiff_t i = 0; i < count; ++i) {
      const auto e = static_cast<size_t>(i);
      const SweepJob& job = jobs[members[e]];
      const SweepResult& clean = results[static_cast<size_t>(job.item.prompt)];
      const std::vector<float> log_probs =
          log_softmax(std::span<const float>(logits.data() + e * static_cast<size_t>(V), static_cast<size_t>(V)));
      TrialResult& trial = out[e];
      trial.prompt = job.item.prompt;
      trial.intervention = job.item.intervention;
      trial.layer = job.item.layer;
      trial.trial = job.item.trial;
      trial.prediction = MaskPrediction::from_log_probs(log_probs, clean.prompt.target_id, request.top_k, clean.prompt.foil_id,
                                                        clean.prompt.word_ids);
      trial.kl_from_clean = kl_divergence(clean.clean_log_probs, log_probs);
      const PromptRun& run = prompts[static_cast<size_t>(job.item.prompt)];
      trial.cosine_to_clean = cosine_similarity({run.clean.hidden.back().row(0, run.prompt.mask_index), static_cast<size_t>(H)},
                                                {mask_rows.data() + e * static_cast<size_t>(H), static_cast<size_t>(H)});
      trial.noise_std = records[e].noise_std;
      trial.noise_sigma = records[e].noise_scale;
      finite[e] = std::all_of(log_probs.begin(), log_probs.end(), [](float v) { return std::isfinite(v); });
      if (request.keep_log_probs) trial.log_probs = log_probs;
      for (size_t c = 0; c < request.cosine_sites.size(); ++c) {
        const std::vector<float>& clean_row = run.clean.kept[returned_sites + c];
        trial.site_cosines.push_back(cosine_similarity(clean_row, kept[e][returned_sites + c]));
      }
      if (!kept[e].empty()) kept[e].resize(returned_sites);
      trial.site_values = std::move(kept[e]);
    }
    // A NaN never passes as a result: its top-k would be an arbitrary token at "rank 1".
    // Thrown here, outside the parallel loop, which an exception may not leave.
    for (size_t e = 0; e < members.size(); ++e) {
      if (finite[e]) continue;
      const WorkItem& item = jobs[members[e]].item;
      const std::string where = prompts.size() > 1 ? "prompt " + std::to_string(item.prompt) + ", " : "";
      throw Error(request.interventions[static_cast<size_t>(item.intervention)].label() + " at block " +
                  std::to_string(item.layer) + " (" + where + "trial " + std::to_string(item.trial) +
                  "): the logits are NaN or infinite, the edit drove the hidden state beyond float32; "
                  "use a smaller --factor");
    }
    for (size_t e = 0; e < members.size(); ++e) deliver(members[e], out[e]);
  }
};

}  // namespace

std::vector<int> parse_layers(const std::string& text, int layers) {
  std::set<int> chosen;
  auto fail = [&](const std::string& why) {
    throw OptionError("layers", " '" + text + "': " + why + " (the model has blocks 0-" + std::to_string(layers - 1) + ")");
  };
  // One rule with positions and heads: an empty list is an error, not "every block", and a
  // block listed twice is an error, not silently merged (every block is edited once).
  if (text.empty()) fail("the list is empty; give blocks like 0,4 or 0-5, or 'all'");
  if (text == "all") {
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
    for (int l = first; l <= last; ++l) {
      if (!chosen.insert(l).second) fail("block " + std::to_string(l) + " is listed twice; each block is edited once");
    }
    if (next != end && *next != ',') fail("expected ',' between entries");
    at = next == end ? end : next + 1;
  }
  return {chosen.begin(), chosen.end()};
}

SweepResult run_sweep(const Encoder& model, const SweepRequest& request, const ProgressFn& progress) {
  std::vector<SweepResult> results = run_sweeps(model, {{request.prompt, request.target, "", request.foil}}, request, progress);
  return std::move(results.front());
}

std::vector<SweepResult> run_sweeps(const Encoder& model, const std::vector<SweepPrompt>& texts,
                                    const SweepRequest& asked, const ProgressFn& progress) {
  // The cosine sites are kept like the caller's kept sites, at the prediction position, after
  // them: each batch reads them as cosines and drops them (ChunkRunner::read_predictions).
  SweepRequest request = asked;
  const size_t returned_sites = asked.keep_sites.size();
  if (!asked.cosine_sites.empty()) {
    if (returned_sites > 0 && asked.keep_positions.mode != Positions::Mode::Mask) {
      throw OptionError("cosine_sites", " compares the vectors at the prediction position, and the kept sites are at " +
                                            asked.keep_positions.describe() +
                                            ": keep them at the mask, or compute the cosines from the kept values");
    }
    if (returned_sites == 0) request.keep_positions = Positions{};
    request.keep_sites.insert(request.keep_sites.end(), asked.cosine_sites.begin(), asked.cosine_sites.end());
  }
  if (request.trials < 1) throw OptionError("trials", " must be at least 1");
  if (request.interventions.empty()) throw Error("no intervention to run");
  if (texts.empty()) throw Error("no prompt to sweep");
  for (const SweepPrompt& p : texts) {
    if (p.target.empty()) throw Error("a sweep needs --target: the word whose log-probability is tracked");
  }
  const int layers = model.layers();
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
    // A mix or patch without an other prompt of its own takes each prompt's.
    const bool per_prompt = spec.needs_other_prompt() && spec.other_prompt.empty();
    for (size_t p = 0; p < (per_prompt ? texts.size() : 1); ++p) {
      InterventionSpec resolved = spec;
      if (per_prompt) resolved.other_prompt = texts[p].other_prompt;
      resolved.validate();
    }
    spec.validate_at(request.site, model.config().num_attention_heads);
  }

  // Every prompt is checked before any work; what interventions need whatever the prompt
  // is prepared once.
  std::vector<PromptRun> prompts(texts.size());
  std::vector<SweepResult> results(texts.size());
  std::vector<int> word_ids;
  for (const std::string& word : request.targets) {
    word_ids.push_back(single_piece_id(model, word, "targets"));
    for (size_t w = 0; w + 1 < word_ids.size(); ++w) {
      if (word_ids[w] == word_ids.back()) {
        throw Error("targets \"" + request.targets[w] + "\" and \"" + word + "\" are the same word piece: give each once");
      }
    }
  }
  for (const HookSite& site : request.keep_sites) {
    if (!rows_are_positions(site.kind)) {
      throw Error(site.name() + " holds attention rows over keys, not a vector per position: a trial keeps the "
                  "activations of sites whose rows are positions (attn.z, attn.head_out, ...)");
    }
    if (site.layer >= layers) {
      throw Error(site.name() + ": the model has blocks 0-" + std::to_string(layers - 1));
    }
  }
  for (size_t p = 0; p < texts.size(); ++p) {
    MaskedPrompt prompt = MaskedPrompt::prepare(model, texts[p].text, texts[p].target, true, texts[p].foil);
    prompt.words = request.targets;
    prompt.word_ids = word_ids;
    if (!request.keep_sites.empty()) {
      try {
        prompts[p].kept_positions = request.keep_positions.resolve(prompt.mask_index, prompt.ids, model.tokenizer());
      } catch (const Error& e) {
        throw OptionError("site_positions", " on \"" + text_preview(texts[p].text, 40) + "\": " + e.what());
      }
      if (returned_sites > 0) results[p].kept_positions = prompts[p].kept_positions;
    }
    prompts[p].prompt = results[p].prompt = std::move(prompt);
  }
  // A mix or patch without an other prompt of its own takes each prompt's: prepared once per
  // distinct text (std::map: the prepared interventions point into it).
  std::map<std::pair<size_t, std::string>, SharedIntervention> shared;
  for (size_t p = 0; p < prompts.size(); ++p) {
    for (size_t i = 0; i < request.interventions.size(); ++i) {
      const InterventionSpec& spec = request.interventions[i];
      const std::string& other = spec.other_prompt.empty() ? texts[p].other_prompt : spec.other_prompt;
      const std::pair<size_t, std::string> key{i, spec.needs_other_prompt() ? other : std::string()};
      auto at = shared.find(key);
      if (at == shared.end()) at = shared.emplace(key, share_intervention(model, spec, other, request.site)).first;
      prompts[p].prepared.push_back(prepare_intervention(model, at->second, prompts[p].prompt, request.site));
    }
  }

  // Every included (prompt, intervention, layer, trial), in the canonical order, is a job
  // that joins a batch at the block where its edited state first differs from the clean run.
  std::vector<SweepJob> jobs;
  for (size_t p = 0; p < prompts.size(); ++p) {
    size_t slots = 0;
    for (size_t i = 0; i < request.interventions.size(); ++i) {
      const InterventionSpec& spec = request.interventions[i];
      const int trials = spec.is_random() ? request.trials : 1;
      for (int layer : chosen) {
        for (int t = 0; t < trials; ++t) {
          const WorkItem item{static_cast<int>(p), static_cast<int>(i), layer, t};
          if (request.include && !request.include(item)) continue;
          jobs.push_back(make_job(spec, item, request.site));
          jobs.back().slot = slots++;
        }
      }
    }
    if (!request.sink) results[p].runs.resize(slots);
  }
  // A finished trial goes to the sink, or to its place in its prompt's runs.
  auto deliver = [&](const TrialResult& trial, const SweepJob& job) {
    if (request.sink) {
      request.sink(trial);
    } else {
      results[static_cast<size_t>(trial.prompt)].runs[job.slot] = trial;
    }
  };

  // A trial's cost: the blocks it runs after its edit (one more for the head).
  auto cost = [&](const SweepJob& job) { return static_cast<double>(layers - job.start_block + 1); };
  double total_cost = 0, done_cost = 0;
  for (const SweepJob& job : jobs) total_cost += cost(job);
  int64_t done = 0;
  const auto total = static_cast<int64_t>(jobs.size());
  // Prompts run in groups whose clean states fit in memory (prompt_groups.h); the trials of
  // a group are batched together.
  BlockWorkspace workspace;
  const bool same_length = !rows_are_positions(request.site);
  std::vector<int> lengths;
  for (const PromptRun& run : prompts) lengths.push_back(run.length());
  size_t first_job = 0;
  for (const auto& [first, end] : group_prompts(model, lengths, request.site)) {
    for (size_t p = first; p < end; ++p) {
      PromptRun& run = prompts[p];
      run.clean = run_clean(model, run.prompt.ids, request.site, request.keep_sites, run.kept_positions);
      results[p].clean_site_values.assign(run.clean.kept.begin(), run.clean.kept.begin() + static_cast<std::ptrdiff_t>(returned_sites));
      results[p].clean_log_probs = log_softmax(model.mlm_logits(run.clean.hidden.back(), 0, run.prompt.mask_index));
      results[p].clean = MaskPrediction::from_log_probs(results[p].clean_log_probs, run.prompt.target_id, request.top_k,
                                                     run.prompt.foil_id, run.prompt.word_ids);
    }
    size_t end_job = first_job;
    while (end_job < jobs.size() && static_cast<size_t>(jobs[end_job].item.prompt) < end) ++end_job;
    std::vector<WavefrontTrial> trials;
    for (size_t j = first_job; j < end_job; ++j) {
      trials.push_back({jobs[j].start_block, prompts[static_cast<size_t>(jobs[j].item.prompt)].length()});
    }
    const ChunkRunner runner{model, request, prompts, jobs, results, workspace, returned_sites};
    for (WavefrontBatch& batch : plan_wavefront(trials, request.max_batch_tokens, same_length)) {
      for (size_t& t : batch.trials) t += first_job;
      runner.run(batch, [&](size_t job, const TrialResult& trial) {
        deliver(trial, jobs[job]);
        done_cost += cost(jobs[job]);
        ++done;
      });
      if (progress) progress(done, total, done == total ? 1.0 : done_cost / total_cost);
    }
    for (size_t p = first; p < end; ++p) prompts[p].clean = {};  // the group's memory is given back
    first_job = end_job;
  }
  return results;
}

}  // namespace bertscope
