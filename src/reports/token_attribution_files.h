#pragma once
// The files of `bertscope saliency`, in its output folder:
//   saliency.json      everything: model, prompt and tokens, target, foil, metric, f(x) and
//                      f(baseline), the baseline, steps, the completeness check, per token
//                      the three attributions
//   saliency.csv       tidy: one row per token (docs/results.md has its columns)
//   saliency.svg/.png  the token strip: one row per method, one cell per token, coloured by
//                      the attribution as a share of its row's largest magnitude
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/token_attribution.h"
#include "reports/experiment_files.h"
#include "reports/file_set.h"
#include "reports/plot_canvas.h"

namespace bertscope {

nlohmann::json token_attribution_json(const TokenAttributionResult& result, const Encoder& model,
                                      const RunContext& context);
std::string token_attribution_csv(const TokenAttributionResult& result);
std::string token_strip_figure(const TokenAttributionResult& result, ImageFormat format);
std::vector<NamedFile> token_attribution_files(const TokenAttributionResult& result, const Encoder& model,
                                               const RunContext& context);

}  // namespace bertscope
