#pragma once
// An intervention sweep: for each intervention, each chosen block L and each trial, edit
// the activations at one hook site of block L, run the rest of the model, and read the
// prediction at the [MASK].
//
// The clean pass runs once and keeps every block's output. A trial edited at block L
// then starts from that saved state and runs only what follows the edit. Trials are run
// as a wavefront: a batch (bounded by max_batch_tokens rows) starts at the earliest block
// and every trial joins it at the block where its state first differs from the clean
// run, so each block's weights are read once per batch, and the last block computes only
// the [MASK] row. Each trial draws from its own counter-based stream (seed, intervention
// index, layer, trial; trial_stream()): results do not depend on threads or batching.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/mask_prediction.h"
#include "experiments/prompt.h"
#include "experiments/work_item.h"
#include "interventions/intervention.h"
#include "model/bert_model.h"

namespace bertscope {

struct TrialResult;

struct SweepRequest {
  std::string prompt;
  std::string target;
  std::vector<InterventionSpec> interventions;
  std::vector<int> layers;                // 0-based blocks; empty = all
  SiteKind site = SiteKind::BlockOut;     // where in block L the edit happens
  int trials = 1;                         // per random intervention; deterministic ones run once
  uint64_t seed = 0;
  bool paired = false;                    // every intervention draws the same random streams
  int top_k = 5;
  int max_batch_tokens = 2048;            // rows of one batched forward: bounds memory
  // Which trials to run (a shard's share); empty = every one. Called with prompt 0: a
  // request holds one prompt.
  std::function<bool(const WorkItem&)> include;
  // Set: each finished trial is handed to it, from the calling thread, as its chunk ends,
  // and not kept in SweepResult::runs, so memory does not grow with trials.
  std::function<void(const TrialResult&)> sink;
};

struct TrialResult {
  int prompt = 0;        // index of the prompt in the experiment
  int intervention = 0;  // index into SweepRequest::interventions
  int layer = 0;
  int trial = 0;
  MaskPrediction prediction;
  double kl_from_clean = 0.0;
  double noise_std = 0.0;  // std of the noise actually added (noise only)
};

struct SweepResult {
  MaskedPrompt prompt;
  MaskPrediction clean;
  std::vector<float> clean_log_probs;
  std::vector<TrialResult> runs;  // ordered by intervention, layer, trial; empty with a sink
};

// `done` of `total` trials are finished, and `work` (0 to 1) of the sweep's computation:
// trials edited at early blocks run more of the model than late ones, so the share of
// trials done says little about the time left.
using ProgressFn = std::function<void(int64_t done, int64_t total, double work)>;

// Throws Error for a bad prompt or target, layer out of range, or bad intervention options.
SweepResult run_sweep(const BertModel& model, const SweepRequest& request, const ProgressFn& progress = {});

// "all", "3", "0-5", "0,2,4-6" -> sorted unique blocks, each checked against `layers`.
std::vector<int> parse_layers(const std::string& text, int layers);

}  // namespace bertscope
