#pragma once
// The files an experiment leaves in its output folder, each written atomically. Every
// column is described, with its unit, in docs/results.md (a test holds the two together).
//   results.json        everything, with what is needed to replay it (schema_version)
//   prompts.csv         one row per prompt: text, target, tokens, the clean prediction
//   runs.csv            one row per prompt x intervention x block x trial
//   runs.jsonl          the same runs as results.json has them, one JSON object a line
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
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "experiments/experiment.h"
#include "reports/csv_table.h"

namespace bertscope {

struct RunContext {
  std::string command_line;  // how it was started, for replaying
  bool demo_model = false;   // the shipped small demo model, not a real BERT
  std::string dtype = "f32"; // matmul precision the model was loaded with: f32 or bf16
  std::string dtype_requested = "";  // what --dtype / dtype= asked for (auto, f32, bf16); empty: dtype
};

// The "model" object of every results file: path, demo or not, dtype, config, lower case.
nlohmann::json model_json(const Encoder& model, const RunContext& context);
// Raised whenever a file's columns or a results.json key change meaning or name.
inline constexpr int kResultsSchemaVersion = 7;

// results.json holds every run up to this many; beyond, "runs" is null and "runs_file"
// names runs.jsonl, which holds the same objects one a line ("run_count" of them), so that
// results.json stays small enough to read in one piece (about 1 KB a run).
inline constexpr uint64_t kRunsInResultsJson = 10000;

nlohmann::json experiment_json(const ExperimentResult& result, const Encoder& model, const RunContext& context);
// With `runs` (a JSON array, or null past kRunsInResultsJson) in place of result.sweeps' runs.
nlohmann::json experiment_json(const ExperimentResult& result, const Encoder& model, const RunContext& context,
                               nlohmann::json runs);
// One run as results.json and runs.jsonl have it.
nlohmann::json run_json(size_t prompt, const TrialResult& trial, const ExperimentSpec& spec, const Vocab& vocab);
std::string prompts_csv(const ExperimentResult& result, const Encoder& model);
std::string runs_csv(const ExperimentResult& result, const Encoder& model);
std::string top_csv(const ExperimentResult& result, const Encoder& model);
std::string summary_csv(const ExperimentResult& result, const Encoder& model);
nlohmann::json distributions_json(const ExperimentResult& result);
std::string distributions_csv(const ExperimentResult& result);
std::string histograms_csv(const ExperimentResult& result);

// Creates `folder` if needed and writes every file above that has content. Returns the
// paths written. Throws Error naming the folder when it cannot be created or written.
std::vector<std::string> write_experiment_files(const std::string& folder, const ExperimentResult& result,
                                                const Encoder& model, const RunContext& context);

// The same files from trials that are not in memory: `header` holds the clean runs and
// distributions (its sweeps' runs are not read), and `trials` hands every trial to the
// sink it is given, in canonical order (prompt, intervention, layer, trial). The per-trial
// files are written as trials come and the summaries accumulated on the way, so memory
// does not grow with trials (but for results.json's runs, up to kRunsInResultsJson).
using TrialSink = std::function<void(const TrialResult&)>;
using TrialSource = std::function<void(const TrialSink&)>;
// Fills header.summaries.
std::vector<std::string> write_experiment_files(const std::string& folder, ExperimentResult& header, const Encoder& model,
                                                const RunContext& context, const TrialSource& trials);

// runs.csv, top.csv and runs.jsonl written as trials come (in canonical order), with each
// prompt's summaries. Files are complete on commit(); until then they are temporaries.
class TrialFiles {
 public:
  TrialFiles(const std::string& folder, const ExperimentResult& header, const Encoder& model);
  void add(const TrialResult& trial);
  // Ends the rows; the summaries per prompt of header.sweeps.
  std::vector<std::vector<LayerSummary>> finish();
  // results.json's runs: every run, or null past kRunsInResultsJson.
  nlohmann::json results_runs() { return std::move(runs_json_); }
  void commit();

 private:
  void add_clean_rows_up_to(size_t prompt);
  void flush();
  const ExperimentResult& result_;
  const Vocab& vocab_;
  AtomicFileWriter runs_csv_, top_csv_, runs_jsonl_;
  CsvTable runs_, top_;
  nlohmann::json runs_json_;
  uint64_t count_ = 0;
  size_t prompt_ = 0, clean_rows_done_ = 0;
  std::optional<SummaryAccumulator> summaries_;
  std::vector<std::vector<LayerSummary>> summaries_done_;
};

}  // namespace bertscope
