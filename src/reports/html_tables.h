#pragma once
// The tables of report.html, as HTML fragments: the options, the model, a prompt's
// tokens and clean top-k, the per-block summary of each intervention, and the
// hidden-state distribution table. Same numbers as the terminal tables and CSV files.
#include <string>
#include <vector>

#include "experiments/across_prompts.h"
#include "experiments/experiment.h"
#include "experiments/sweep_summary.h"
#include "model/encoder.h"

namespace bertscope::html {

std::string options_table(const ExperimentSpec& spec);
std::string interventions_table(const ExperimentSpec& spec);
std::string model_table(const std::string& model_dir, const Encoder& model);
// Tokens as chips, the [MASK] marked.
std::string prompt_tokens(const MaskedPrompt& prompt);
std::string clean_top_table(const SweepResult& sweep, const Vocab& vocab);
// One table per intervention: a row per edited block.
std::string summary_tables(const ExperimentSpec& spec, const std::vector<LayerSummary>& summaries, const Vocab& vocab);
std::string distribution_table(const DistributionReport& report);
// Across prompts (experiments/across_prompts.h), one table per intervention: a row per
// edited block with the mean change and its 95% CI over prompts.
std::string across_prompts_tables(const ExperimentSpec& spec, const std::vector<PromptsCell>& cells);
// A row per prompt, linked to its section: id, text, target, clean log-softmax, and the
// cell where its target log-softmax fell most.
std::string prompts_overview_table(const ExperimentResult& result, const std::vector<PromptsCell>& cells);

}  // namespace bertscope::html
