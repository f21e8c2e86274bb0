#pragma once
// Activation patching over a grid: run the corrupted prompt, and for every (site, layer,
// position) put back the clean prompt's activations at that one place (or, over heads,
// every position of one head's z at one layer), and read a metric at the [MASK]: the
// logit difference target - foil, or the target's log-prob without a foil. Normalized so
// that 0 is the corrupted run and 1 the clean run (TransformerLens' patching recipe).
// The two prompts must have the same number of tokens: positions are patched one to one.
// A cell may patch part of each vector only: some units, a direction or a subspace
// (experiments/patch_selection.h).
#include <map>
#include <string>
#include <vector>

#include "experiments/patch_selection.h"
#include "experiments/prompt.h"
#include "model/encoder.h"

namespace bertscope {

struct PatchGridRequest {
  std::string clean_prompt;
  std::string corrupted_prompt;
  std::string target;
  std::string foil;  // empty: the metric is the target's log-prob
  std::vector<SiteKind> sites = {SiteKind::BlockOut, SiteKind::AttnOut, SiteKind::MlpOut};
  bool heads = false;  // (layer, head) at attn.z instead of (site, layer, position)
  // The part of each vector patched: the options of the option table's patch-grid rows (units,
  // units_file, direction_*, basis_*, components), nothing set for whole vectors. Its kind
  // and other options are not read.
  InterventionSpec part = {};
};

struct PatchCell {
  SiteKind site = SiteKind::BlockOut;
  int layer = 0;
  int position = -1;  // -1 in the head grid: every position
  int head = -1;      // -1 in the position grid
  double metric = 0.0;
  double normalized = 0.0;  // (metric - corrupted) / (clean - corrupted); NaN when clean = corrupted
};

struct PatchGridResult {
  // "patch": every cell patched; "atp": every cell estimated by attribution patching
  // (experiments/attribution_patching.h), with `checked` the cells also patched for real.
  std::string method = "patch";
  bool qk_fix = false;  // atp: q and k cells estimated with AtP*'s recomputed softmax
  MaskedPrompt clean, corrupted;
  std::string foil;  // empty without a foil
  int foil_id = -1;
  std::string metric_name;  // "logit_diff" or "target_logsoftmax"
  double clean_metric = 0.0, corrupted_metric = 0.0;
  std::map<SiteKind, PatchSelection> selections;  // per site of the cells: the part patched
  std::vector<PatchCell> cells;  // ordered by site, layer, then position or head
  std::vector<PatchCell> checked;  // atp: real patches of the cells with the largest estimates
};

// A site as --sites names it ("attn.out"): the grid's tables, files and messages say it so.
std::string grid_site_name(SiteKind kind);

// Throws Error for bad prompts, a target or foil that is not one word piece, prompts of
// different lengths, or a site it cannot patch by position: a block site of [seq, width], or
// attn.q, attn.k, attn.v or attn.z (every head at the position).
PatchGridResult run_patch_grid(const Encoder& model, const PatchGridRequest& request);

// The parts every method shares. prepare_patch_grid: the checked prompts, target, foil and
// metric name, and every cell of the grid with no value yet (the same Errors as above).
PatchGridResult prepare_patch_grid(const Encoder& model, const PatchGridRequest& request);
// Patches each of `cells` (site, layer, and position or head, as prepare_patch_grid lists
// them) for real, in one batched run per (site, layer), and sets its metric and normalized
// value; also sets the result's clean and corrupted metrics.
void patch_cells(const Encoder& model, PatchGridResult& result, std::vector<PatchCell>& cells);

}  // namespace bertscope
