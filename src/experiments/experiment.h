#pragma once
// An experiment described as data (pyvene style): prompts, interventions and their
// options, layers, trials, seed, and whether to measure hidden-state distributions.
// `bertscope sweep`, `stats` and `run SPEC.toml` all build one and run it here.
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/defaults.h"
#include "experiments/distributions.h"
#include "experiments/prompt_spec.h"
#include "experiments/sweep.h"
#include "experiments/sweep_summary.h"

namespace bertscope {

struct ExperimentSpec {
  std::string name = "experiment";
  std::string model;  // folder; empty = the caller's default
  std::string out;    // output folder; empty = out/<name>
  std::string prompts_file;  // where `prompts` were read from, when from a file (see prompt_file.h)
  std::vector<PromptSpec> prompts;
  std::vector<InterventionSpec> interventions;  // may be empty: distributions only
  std::string layers = "all";
  SiteKind site = SiteKind::BlockOut;
  int trials = 1;
  uint64_t seed = 0;
  bool paired = false;  // common random numbers: every intervention draws the same streams (trial_stream())
  int top_k = defaults::kTopK;
  // More words read at the prediction row beside the target, a column each (logsoftmax_<word>).
  std::vector<std::string> targets;
  // Sites (names or patterns: blocks.*.out) where each trial's vector at the prediction
  // position is compared with the clean run's, a column each (cosine_<site>). run_experiment
  // writes them out as names, one per site, in its result's spec.
  std::vector<std::string> cosine_sites;
  int max_batch_tokens = defaults::kMaxBatchTokens;
  // Which figures the output folder gets: "all" (per prompt, and across prompts when there
  // are several), "summary" (across prompts only; one prompt: its own), "none", or "auto":
  // all up to 8 prompts, summary beyond (reports/experiment_figures.h). Files only: the
  // numbers are the same whatever it says.
  std::string figures = "auto";
  bool distributions = false;
  DistributionRequest distribution;  // its prompt and seed are filled per prompt
  // Every trial keeps its prediction row's log-softmax over the vocabulary (TrialResult::
  // log_probs): Python's return_logits and metric. A request of the call, not of the
  // experiment: not a spec key, and no file holds them.
  bool keep_log_probs = false;
  // Every trial keeps its activations at these sites and positions (SweepRequest::keep_sites):
  // Python's return_sites and site_positions. A request of the call too.
  std::vector<HookSite> keep_sites;
  Positions keep_positions;

  // Reads a TOML spec (see examples/*.toml). Throws Error naming the file, the key and
  // what is wrong, for unknown keys too (a typo must not silently change an experiment).
  // The relative paths a spec holds (model, out, prompts_file) are relative to the spec's
  // folder, so that a spec and its data move together: parse_toml() resolves them against
  // `folder` ("" = the working directory), load_toml() against the folder of `path`.
  static ExperimentSpec load_toml(const std::string& path);
  static ExperimentSpec parse_toml(const std::string& text, const std::string& origin, const std::string& folder = "");
  void validate() const;
  // The spec as TOML that parse_toml reads back to the same spec: every key written out,
  // numbers exactly, in one fixed order; without `model` and `out`, which say where, not
  // what. Two runs with the same canonical form run the same experiment.
  std::string canonical_toml() const;
  // Gives every intervention its label (label()): a default label that two interventions
  // share gets " #<index>" appended, so that no two rows of a table look alike.
  void resolve_labels();
  // Intervention i as it runs on `prompt`: a mix or patch without an other_prompt of its own
  // takes the prompt's (the intervention's own wins when both have one).
  InterventionSpec intervention_for(size_t i, const PromptSpec& prompt) const;
  // How the random streams are keyed, in words, for results.json and the report.
  std::string random_streams() const;
};

struct ExperimentResult {
  ExperimentSpec spec;
  std::string model_dir;
  std::vector<SweepResult> sweeps;               // one per prompt, when there are interventions
  // Per prompt with a sweep, what every report shows: filled by run_experiment when it keeps
  // the trials, else by whoever reads the streamed trials back (SummaryAccumulator).
  std::vector<std::vector<LayerSummary>> summaries;
  std::vector<DistributionReport> distributions;  // one per prompt, when asked
};

// A part of the experiment's trials and where they go (SweepRequest::include and sink for
// every prompt, with the prompt's index in each item): a shard's share, streamed to disk.
struct TrialStream {
  std::function<bool(const WorkItem&)> include;  // empty: every trial
  std::function<void(const TrialResult&)> sink;  // empty: kept in SweepResult::runs
};

ExperimentResult run_experiment(const Encoder& model, const ExperimentSpec& spec, const ProgressFn& progress = {},
                                const TrialStream& stream = {});

// The sites an edit may target, by the names `bertscope hooks` prints: embed.out (the
// embeddings, edited once before block 0) and blocks.{L}.out, blocks.{L}.attn.out, ...
// with {L} standing for each edited block; "out", "attn.out", ... are short for those.
// Throws Error for anything else, and for a name with a block number (blocks.3.out).
SiteKind parse_edit_site(const std::string& name);
// The full name: "embed.out" or "blocks.{L}.out".
std::string edit_site_name(SiteKind kind);

}  // namespace bertscope
