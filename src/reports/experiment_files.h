#pragma once
// The files an experiment leaves in its output folder, each written atomically. Every
// column is described, with its unit, in docs/results.md (a test holds the two together).
//   results.json        everything, with what is needed to replay it (schema_version)
//   prompts.csv         one row per prompt: text, target, tokens, the clean prediction
//   runs.csv            one row per prompt x intervention x block x trial
//   top.csv             long format: the top-k tokens and log-probs of every run and clean run
//   summary.csv         one row per prompt x intervention x block: means, 95% CIs, shares
//   distributions.json  per hidden state: moments, tails, histograms (all, mask, noise)
//   distributions.csv   long format: one row per prompt x hidden state x series
//   histograms.csv      long format: prompt, block, site, series, bin edges, count, density
// Rows name blocks in one way everywhere: `block` L is block L (0-based) and `site` its
// hook site; the embeddings are site embed.out with an empty block.
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
// Raised whenever a file's columns or a results.json key change meaning or name.
inline constexpr int kResultsSchemaVersion = 2;

nlohmann::json experiment_json(const ExperimentResult& result, const BertModel& model, const RunContext& context);
std::string prompts_csv(const ExperimentResult& result, const BertModel& model);
std::string runs_csv(const ExperimentResult& result, const BertModel& model);
std::string top_csv(const ExperimentResult& result, const BertModel& model);
std::string summary_csv(const ExperimentResult& result, const BertModel& model);
nlohmann::json distributions_json(const ExperimentResult& result);
std::string distributions_csv(const ExperimentResult& result);
std::string histograms_csv(const ExperimentResult& result);

// Creates `folder` if needed and writes every file above that has content. Returns the
// paths written. Throws Error naming the folder when it cannot be created or written.
std::vector<std::string> write_experiment_files(const std::string& folder, const ExperimentResult& result,
                                                const BertModel& model, const RunContext& context);

}  // namespace bertscope
