#pragma once
// The files of `bertscope patch-grid`, in its output folder:
//   patch-grid.json  everything: model, prompts and tokens, metric, clean and corrupted
//                    values, one object per cell
//   patch-grid.csv   tidy: one row per cell (site, layer, position, token, head, metric,
//                    normalized, method: patch, or atp for attribution patching's estimates,
//                    followed by a patch row for each cell it checked)
//   patch-grid-<site>.svg/.png  one heatmap per site: blocks x positions with the tokens
//                    as labels (patch-grid-out, patch-grid-attn-out, ...), or blocks x heads
//                    (patch-grid-heads); the normalized metric on a diverging scale
//   patch-grid-atp-check.svg/.png  attribution patching with --check: estimate against real
//                    effect of the checked cells, with their correlation
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/patch_grid.h"
#include "reports/experiment_files.h"
#include "reports/file_set.h"

namespace bertscope {

nlohmann::json patch_grid_json(const PatchGridResult& result, const Encoder& model, const RunContext& context);
std::string patch_grid_csv(const PatchGridResult& result);

struct PatchGridFigure {
  std::string stem;  // file name without extension
  std::string title;
  std::string svg, png;
};
std::vector<PatchGridFigure> patch_grid_heatmaps(const PatchGridResult& result, int layers);
PatchGridFigure atp_check_figure(const PatchGridResult& result);
// Every file above, rendered (not yet written).
std::vector<NamedFile> patch_grid_files(const PatchGridResult& result, const Encoder& model, const RunContext& context);

}  // namespace bertscope
