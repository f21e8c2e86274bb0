#pragma once
// Attribution patching (AtP; Nanda 2023, Kramar et al. 2024): every cell of a patch grid
// (experiments/patch_grid.h) estimated at once, to first order, from one forward pass of the
// clean prompt and one forward and backward pass of the corrupted one:
//   effect of patching cell c  ~  (a_clean - a_corrupted) . d metric / d a  at c,
// the gradient taken on the corrupted run, summed over the cell's slice of the site (one
// position's vector, or one head's z at every position). The result has the patch grid's
// shape, files and figures: cell metric = corrupted metric + estimate, normalized alike.
// The estimate is linear: where the metric bends between the runs (an attention pattern
// that saturates, a large edit) it is off; `check` patches the cells with the largest
// estimates for real, so the agreement is measured, not assumed.
#include "experiments/patch_grid.h"
#include "model/gradients.h"

namespace bertscope {

// `check`: how many cells (the largest |estimate| first) to also patch for real, into
// result.checked (0: none). `qk_fix`: AtP*'s fix for attention saturation (Kramar et al.
// 2024): an attn.q or attn.k cell's estimate recomputes the softmax of the pattern rows the
// patch changes and is linear from the pattern on, (pattern_patched - pattern) . d metric /
// d pattern, where the plain estimate is linear through the softmax and misses a pattern that
// saturates (a key that goes from ~0 to most of the weight). An OptionError when the grid has
// no attn.q or attn.k cell. The same Errors as run_patch_grid.
PatchGridResult run_attribution_patching(const GradientModel& model, const PatchGridRequest& request, int check = 0,
                                         bool qk_fix = false);

// Pearson's correlation of the checked cells' estimates with their real effects (NaN with
// fewer than 2 cells or no spread), for the printed agreement and the scatter.
double estimate_correlation(const PatchGridResult& result);

}  // namespace bertscope
