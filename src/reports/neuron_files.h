#pragma once
// The files of `bertscope neurons`, in its output folder:
//   neurons.json   the settings (sets, positions, test, alpha), the model and every site's counts
//   units.csv      one row per unit of every site: means, t, df, p, FDR and Bonferroni p,
//                  Cohen's d, the decisions; `units_file = "units.csv:LABEL"` reads it back
//   blocks.csv     one row per site: units, tested, significant (FDR, Bonferroni) and their
//                  share, how many are higher in each set (the course's "laminar" profile)
//   neurons.svg/.png  the share of significant units per block, and every unit's t per block
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/neuron_study.h"
#include "reports/experiment_files.h"
#include "reports/file_set.h"
#include "reports/plot_canvas.h"

namespace bertscope {

std::string units_csv(const NeuronStudy& study);
std::string blocks_csv(const NeuronStudy& study);
nlohmann::json neurons_json(const NeuronStudy& study, const Encoder& model, const RunContext& context);
std::string neurons_figure(const NeuronStudy& study, ImageFormat format);
std::vector<NamedFile> neuron_files(const NeuronStudy& study, const Encoder& model, const RunContext& context);

}  // namespace bertscope
