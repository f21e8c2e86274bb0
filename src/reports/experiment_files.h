#pragma once
// The files an experiment leaves in its output folder, each written atomically:
//   results.json        everything, with what is needed to replay it
//   runs.csv            one row per prompt x intervention x layer x trial
//   summary.csv         one row per prompt x intervention x layer: means, 95% CIs, shares
//   distributions.json  per hidden state: moments, tails, histograms (all, mask, noise)
//   distributions.csv   the same numbers, one row per prompt x hidden state
//   histograms.csv      long format: prompt, state, series, bin edges, count, density
//   <figure>-prompt<i>.svg/.png  per prompt: target-logsoftmax, top1, distributions
//                       (experiment_figures.h)
//   report.html         all of it on one self-contained page (html_report.h)
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/experiment.h"

namespace bertscope {

struct RunContext {
  std::string command_line;  // how it was started, for replaying
  bool demo_model = false;   // the shipped small demo model, not a real BERT
  std::string dtype = "f32"; // matmul precision the model was loaded with
};

// The "model" object of every results file: path, demo or not, dtype, config, lower case.
nlohmann::json model_json(const BertModel& model, const RunContext& context);
nlohmann::json experiment_json(const ExperimentResult& result, const BertModel& model, const RunContext& context);
std::string runs_csv(const ExperimentResult& result, const BertModel& model);
std::string summary_csv(const ExperimentResult& result, const BertModel& model);
nlohmann::json distributions_json(const ExperimentResult& result);
std::string distributions_csv(const ExperimentResult& result);
std::string histograms_csv(const ExperimentResult& result);

// Creates `folder` if needed and writes every file above that has content. Returns the
// paths written. Throws Error naming the folder when it cannot be created or written.
std::vector<std::string> write_experiment_files(const std::string& folder, const ExperimentResult& result,
                                                const BertModel& model, const RunContext& context);

}  // namespace bertscope
