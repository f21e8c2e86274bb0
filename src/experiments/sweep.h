#pragma once
// An intervention sweep: for each intervention, each chosen block L and each trial, edit
// the activations at one hook site of block L, run the rest of the model, and read the
// prediction at the [MASK].
//
// The clean pass runs once per prompt and keeps every block's output. A trial edited at
// block L then starts from that saved state and runs only what follows the edit. Trials are
// run as a wavefront (wavefront_plan.h): a batch (bounded by max_batch_tokens rows) starts
// at the earliest block and every trial joins it at the block where its state first
// differs from the clean run, so each block's weights are read once per batch, and the last
// block computes only each trial's [MASK] row. run_sweeps batches the trials of several
// prompts together (right-padded, with the attention mask), so that a dataset of short
// prompts runs in batches as large as one long sweep. Each trial draws from its own
// counter-based stream (seed, intervention index, layer, trial; trial_stream()), and
// padded keys are left out of attention: a trial's numbers are the same bits whatever else
// shares its batch (work_item.h).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/defaults.h"
#include "experiments/mask_prediction.h"
#include "experiments/prompt.h"
#include "experiments/work_item.h"
#include "interventions/intervention.h"
#include "model/encoder.h"

namespace bertscope {

struct TrialResult {
  int prompt = 0;        // index of the prompt (run_sweeps: into its prompts)
  int intervention = 0;  // index into SweepRequest::interventions
  int layer = 0;
  int trial = 0;
  MaskPrediction prediction;
  double kl_from_clean = 0.0;
  // Cosine similarity of the last block's output at the prediction position, edited
  // against clean: how much of the state the head reads survives the edit.
  double cosine_to_clean = 1.0;
  double noise_std = 0.0;  // std of the noise actually added (noise only)
  // The std the noise was drawn with (noise only): factor x the std it is scaled by (the
  // vector's, the layer's, or 1), the mean over edited positions; noise_std is what came out.
  double noise_sigma = 0.0;
  // The prediction row's log-softmax over the vocabulary; empty unless the request keeps them.
  std::vector<float> log_probs;
  // Per SweepRequest::keep_sites: the activations there after the edit, the rows of its
  // prompt's kept positions (SweepResult::kept_positions x the site's width). Empty unless kept.
  std::vector<std::vector<float>> site_values;
  // Per SweepRequest::cosine_sites: the cosine similarity of the vector there at the
  // prediction position after the edit with the clean one (NaN when either is all zeros).
  std::vector<double> site_cosines;
};

struct SweepRequest {
  std::string prompt;
  std::string target;
  std::vector<InterventionSpec> interventions;
  std::string foil = {};                  // run_sweep: logit(target) - logit(foil) in every trial; empty: none
  std::vector<std::string> targets = {};  // further target words: each one's log-softmax in every trial
  std::vector<int> layers;                // 0-based blocks; empty = all
  SiteKind site = SiteKind::BlockOut;     // where in block L the edit happens
  int trials = 1;                         // per random intervention; deterministic ones run once
  uint64_t seed = 0;
  bool paired = false;                    // every intervention draws the same random streams
  int top_k = defaults::kTopK;
  int max_batch_tokens = defaults::kMaxBatchTokens;  // rows of one batched forward: bounds memory
  // Which work items to run (a shard of the work); empty = every one. Items left out are
  // not run and have no result.
  std::function<bool(const WorkItem&)> include;
  // Empty: results are kept in SweepResult::runs. Set: each finished trial is handed to it,
  // from the calling thread, as its batch finishes, and not kept (memory does not grow with
  // trials).
  std::function<void(const TrialResult&)> sink;
  bool keep_log_probs = false;            // every TrialResult keeps its log_probs (vocab floats)
  // Every TrialResult keeps its activations at these sites (rows are positions: not
  // attn.scores or attn.pattern) and positions (resolved per prompt), as they are after its
  // edit: a site the trial's run reaches holds what it computed; one before the edit, its
  // clean value; the output of an edited or skipped block, the state that follows it; the
  // inner sites of a skipped block, what that block computes from its clean input.
  std::vector<HookSite> keep_sites;
  Positions keep_positions;
  // Every TrialResult's site_cosines at these sites (rows are positions): how much of the
  // clean vector at the prediction position survives the edit, site by site.
  std::vector<HookSite> cosine_sites = {};
};

// One prompt of run_sweeps.
struct SweepPrompt {
  std::string text;
  std::string target;
  std::string other_prompt = {};  // for mix and patch without an other prompt of their own
  std::string foil = {};          // empty: no logit difference
};


struct SweepResult {
  MaskedPrompt prompt;
  MaskPrediction clean;
  std::vector<float> clean_log_probs;
  std::vector<TrialResult> runs;  // ordered by intervention, layer, trial (empty with a sink)
  // With SweepRequest::keep_sites: the positions kept, and per site their clean rows.
  std::vector<int> kept_positions = {};
  std::vector<std::vector<float>> clean_site_values = {};
};

// `done` of `total` trials are finished, and `work` (0 to 1) of the sweep's computation:
// trials edited at early blocks run more of the model than late ones, so the share of
// trials done says little about the time left.
using ProgressFn = std::function<void(int64_t done, int64_t total, double work)>;

// Throws Error for a bad prompt or target, layer out of range, or bad intervention options.
SweepResult run_sweep(const Encoder& model, const SweepRequest& request, const ProgressFn& progress = {});
// The sweep of `request` on every prompt of `prompts` (request.prompt and target are not
// used), with the trials of all prompts batched together: one SweepResult per prompt, in
// order; each TrialResult::prompt indexes `prompts`. Each trial gives the same bits as
// when its prompt runs alone.
std::vector<SweepResult> run_sweeps(const Encoder& model, const std::vector<SweepPrompt>& prompts,
                                    const SweepRequest& request, const ProgressFn& progress = {});

// "all", "3", "0-5", "0,2,4-6" -> sorted unique blocks, each checked against `layers`.
std::vector<int> parse_layers(const std::string& text, int layers);

}  // namespace bertscope
