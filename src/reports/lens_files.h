#pragma once
// The files of `bertscope lens`, in its output folder:
//   lens.json      everything: model, prompt and tokens, per state the top-k and the
//                  target's rank and log-prob
//   lens.csv       tidy: one row per state x rank (docs/results.md has its columns)
//   lens.svg/.png  the figure (figure_lens.h)
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/logit_lens.h"
#include "reports/experiment_files.h"
#include "reports/file_set.h"

namespace bertscope {

nlohmann::json lens_json(const LensResult& lens, const Encoder& model, const RunContext& context);
std::string lens_csv(const LensResult& lens, const Vocab& vocab);
std::vector<NamedFile> lens_files(const LensResult& lens, const Encoder& model, const RunContext& context);

}  // namespace bertscope
