#include "reports/experiment_files.h"
#include "reports/file_set.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_text.h"
#include "experiments/sweep_summary.h"
#include "kernels/linear.h"
#include "model/hook_site.h"
#include "reports/csv_table.h"
#include "reports/experiment_figures.h"
#include "reports/html_report.h"

namespace bertscope {

namespace {

using nlohmann::json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// `words`: the further targets whose log-softmax `p` holds (the spec's `targets`).
json prediction_json(const MaskPrediction& p, const Vocab& vocab, const std::vector<std::string>& words) {
  json tokens = json::array(), log_probs = json::array();
  for (const TokenScore& t : p.top) {
    tokens.push_back(vocab.token(t.id));
    log_probs.push_back(t.log_prob);
  }
  json out = {{"target_logsoftmax", p.target_logsoftmax}, {"target_prob", p.target_prob}, {"target_rank", p.target_rank},
              {"loss", p.loss}, {"logit_diff", number_or_null(p.logit_diff)}, {"top", tokens}, {"top_log_probs", log_probs}};
  if (!words.empty()) {
    json by_word = json::object();
    for (size_t w = 0; w < words.size(); ++w) by_word[words[w]] = p.word_logsoftmax.at(w);
    out["targets_logsoftmax"] = std::move(by_word);
  }
  return out;
}

json interval_json(const MeanInterval& m) {
  return {{"mean", m.mean}, {"std", m.std}, {"ci95_low", m.ci_low}, {"ci95_high", m.ci_high}, {"n", m.count}};
}

json intervention_json(const InterventionSpec& s) {
  static const char* scales[] = {"vector", "layer", "absolute"};
  json j = {{"kind", InterventionSpec::kind_name(s.kind)}, {"label", s.label()}, {"positions", s.positions.describe()}};
  if (s.uses_factor()) j["factor"] = s.factor;
  if (s.kind == InterventionKind::Noise) j["std_of"] = scales[static_cast<int>(s.std_of)];
  if (s.needs_other_prompt()) j["other_prompt"] = s.other_prompt;
  if (!s.heads.empty()) j["heads"] = s.heads;
  if (s.kind == InterventionKind::Attend) j["attend_to"] = s.attend_to;
  if (!s.mean_prompts.empty()) j["mean_prompts"] = s.mean_prompts;
  if (!s.units.empty()) j["units"] = s.units;
  if (!s.units_file.empty()) j["units_file"] = s.units_file;
  if (!s.direction_file.empty()) j["direction_file"] = s.direction_file;
  if (!s.direction_to.empty()) {
    j["direction_to"] = s.direction_to;
    j["direction_from"] = s.direction_from;
  }
  if (s.kind == InterventionKind::Pca) {
    if (s.basis_file.empty()) j["components"] = s.components;
    if (s.basis_file.empty()) j["basis_prompts"] = s.basis_prompts;
    if (!s.basis_file.empty()) j["basis_file"] = s.basis_file;
  }
  return j;
}

json distribution_json(const ValueDistribution& d) {
  const Moments& m = d.moments;
  return {{"count", m.count}, {"mean", m.mean}, {"std", m.std}, {"skewness", m.skewness},
          {"excess_kurtosis", m.excess_kurtosis}, {"min", m.min}, {"max", m.max},
          {"share_beyond_3std", d.tails.beyond_3std}, {"share_beyond_5std", d.tails.beyond_5std},
          {"max_abs_over_std", d.tails.max_abs_over_std},
          {"histogram", {{"low", d.histogram.low}, {"high", d.histogram.high}, {"counts", d.histogram.counts},
                         {"below", d.histogram.below}, {"above", d.histogram.above}}}};
}

const char* top1_token(const MaskPrediction& p, const Vocab& vocab) { return vocab.token(p.top.at(0).id).c_str(); }

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

// The edited site of block `layer`, by the name `bertscope hooks` prints.
std::string site_name(const ExperimentSpec& spec, int layer) { return HookSite::block(spec.site, layer).name(); }

// Hidden state i (0 = embeddings, i = output of block i - 1) as a block and a site: the
// embeddings have no block (-1 here; an empty cell in CSV, null in JSON).
int state_block(int index) { return index - 1; }
json block_json(int block) { return block >= 0 ? json(block) : json(nullptr); }

// A whole number, or an empty cell where there is none (negative: no block, no [MASK]).
CsvTable& add_count(CsvTable& csv, long long value) { return value >= 0 ? csv.add(value) : csv.add(std::string()); }
std::string state_site(int index) { return index == 0 ? HookSite::embed_out().name() : HookSite::block_out(index - 1).name(); }


// Noise measures exist for noise only: the others have none (not 0).
double noise_measure(const InterventionSpec& s, double value) {
  return s.kind == InterventionKind::Noise ? value : kUndefined;
}

// The prompt's cells of every row: its index in the experiment and its id.
CsvTable& add_prompt(CsvTable& csv, const ExperimentSpec& spec, size_t prompt) {
  return csv.add(static_cast<long long>(prompt)).add(spec.prompts.at(prompt).id);
}

// The cells every row about one run or summary starts with: where, and by what.
void add_run_key(CsvTable& csv, size_t prompt, int intervention, const ExperimentSpec& spec, int layer) {
  const InterventionSpec& s = spec.interventions[static_cast<size_t>(intervention)];
  add_prompt(csv, spec, prompt).add(intervention).add(InterventionSpec::kind_name(s.kind)).add(s.label());
  add_count(csv.add(site_name(spec, layer)), layer);
}
const std::vector<std::string> kRunKey = {"prompt", "prompt_id", "intervention", "kind", "label", "site", "block"};

std::vector<std::string> with_key(std::vector<std::string> rest) {
  std::vector<std::string> header = kRunKey;
  header.insert(header.end(), rest.begin(), rest.end());
  return header;
}

}  // namespace

json model_json(const Encoder& model, const RunContext& context) {
  const ModelConfig& c = model.config();
  return {{"path", model.dir()}, {"demo_model", context.demo_model}, {"dtype", context.dtype},
          {"dtype_requested", context.dtype_requested.empty() ? context.dtype : context.dtype_requested},
          {"family", c.family}, {"architecture", c.architecture},
          {"config", {{"num_hidden_layers", c.num_hidden_layers}, {"hidden_size", c.hidden_size},
                      {"num_attention_heads", c.num_attention_heads}, {"intermediate_size", c.intermediate_size},
                      {"vocab_size", c.vocab_size}, {"max_position_embeddings", c.max_position_embeddings}}},
          {"do_lower_case", model.tokenizer().do_lower_case()},
          // Whether batches, shards and merges are bit-exact on the machine that ran (kernels/linear.h).
          {"batches_bit_exact", matmul_rows_invariant()}};
}

json run_json(size_t prompt, const TrialResult& t, const ExperimentSpec& spec, const Vocab& vocab) {
  const InterventionSpec& s = spec.interventions[static_cast<size_t>(t.intervention)];
  json run = prediction_json(t.prediction, vocab, spec.targets);
  run["prompt"] = prompt;
  run["prompt_id"] = spec.prompts.at(prompt).id;
  run["intervention"] = t.intervention;
  run["kind"] = InterventionSpec::kind_name(s.kind);
  run["label"] = s.label();
  run["site"] = site_name(spec, t.layer);
  run["block"] = block_json(t.layer);
  run["trial"] = t.trial;
  run["kl_from_clean"] = t.kl_from_clean;
  if (!spec.cosine_sites.empty()) {
    json by_site = json::object();
    for (size_t c = 0; c < spec.cosine_sites.size(); ++c) by_site[spec.cosine_sites[c]] = number_or_null(t.site_cosines.at(c));
    run["site_cosines"] = std::move(by_site);
  }
  run["cosine_to_clean"] = number_or_null(t.cosine_to_clean);
  run["top1_is_punctuation"] = is_punctuation_token(top1_token(t.prediction, vocab));
  run["noise_std"] = number_or_null(noise_measure(s, t.noise_std));
  run["noise_sigma"] = number_or_null(noise_measure(s, t.noise_sigma));
  return run;
}

namespace {

json runs_json(const ExperimentResult& result, const Encoder& model) {
  uint64_t count = 0;
  for (const SweepResult& sweep : result.sweeps) count += sweep.runs.size();
  if (count > kRunsInResultsJson) return nullptr;
  json runs = json::array();
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    for (const TrialResult& t : result.sweeps[p].runs) runs.push_back(run_json(p, t, result.spec, model.tokenizer().vocab()));
  }
  return runs;
}

}  // namespace

json experiment_json(const ExperimentResult& result, const Encoder& model, const RunContext& context) {
  return experiment_json(result, model, context, runs_json(result, model));
}

json experiment_json(const ExperimentResult& result, const Encoder& model, const RunContext& context, json runs) {
  const ExperimentSpec& spec = result.spec;
  const Vocab& vocab = model.tokenizer().vocab();
  json interventions = json::array();
  for (size_t i = 0; i < spec.interventions.size(); ++i) {
    json j = intervention_json(spec.interventions[i]);
    j["index"] = i;
    interventions.push_back(std::move(j));
  }
  json model_entry = model_json(model, context);
  model_entry["path"] = result.model_dir;
  json out = {
      {"schema_version", kResultsSchemaVersion},
      {"bertscope_version", BERTSCOPE_VERSION},
      {"command", context.command_line},
      {"model", model_entry},
      {"options",
       {{"name", spec.name}, {"seed", spec.seed}, {"trials", spec.trials}, {"layers", spec.layers},
        {"site", edit_site_name(spec.site)}, {"top", spec.top_k}, {"paired", spec.paired}, {"interventions", interventions},
        {"rng", spec.random_streams()}}},
      {"prompts", json::array()},
      {"runs", json::array()},
      {"summary", json::array()}};
  if (runs.is_null()) {
    // Too many to read in one document: they are in runs.jsonl, one a line.
    uint64_t count = 0;
    for (const auto& summaries : result.summaries) {
      for (const LayerSummary& l : summaries) count += static_cast<uint64_t>(l.trials);
    }
    out["runs_file"] = "runs.jsonl";
    out["run_count"] = count;
  }
  out["runs"] = std::move(runs);

  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    const SweepResult& sweep = result.sweeps[p];
    const MaskedPrompt& prompt = sweep.prompt;
    const PromptSpec& given = spec.prompts.at(p);
    json entry = {{"index", p}, {"id", given.id}, {"text", prompt.text}, {"target", prompt.target}, {"tokens", prompt.tokens},
                  {"ids", prompt.ids}, {"mask_index", prompt.mask_index}, {"target_id", prompt.target_id},
                  {"clean", prediction_json(sweep.clean, vocab, spec.targets)}};
    if (!given.other_prompt.empty()) entry["other_prompt"] = given.other_prompt;
    if (prompt.foil_id >= 0) {
      entry["foil"] = prompt.foil;
      entry["foil_id"] = prompt.foil_id;
    }
    out["prompts"].push_back(std::move(entry));
    for (const LayerSummary& l : result.summaries.at(p)) {
      const InterventionSpec& s = spec.interventions[static_cast<size_t>(l.intervention)];
      json top1 = json::array();
      for (const auto& [id, count] : l.top1_counts) top1.push_back({{"token", vocab.token(id)}, {"trials", count}});
      json row = {{"prompt", p}, {"prompt_id", given.id}, {"intervention", l.intervention}, {"kind", InterventionSpec::kind_name(s.kind)},
                  {"label", s.label()}, {"site", site_name(spec, l.layer)}, {"block", block_json(l.layer)}, {"trials", l.trials},
                  {"target_logsoftmax", interval_json(l.target_logsoftmax)},
                  {"target_prob", interval_json(l.target_prob)}, {"target_rank", interval_json(l.target_rank)},
                  {"loss", interval_json(l.loss)}, {"kl_from_clean", interval_json(l.kl_from_clean)},
                  {"cosine_to_clean", interval_json(l.cosine_to_clean)},
                  {"share_top1_target", l.share_top1_target}, {"share_top1_punctuation", l.share_top1_punctuation},
                  {"top1_tokens", top1}};
      row["logit_diff"] = prompt.foil_id >= 0 ? interval_json(l.logit_diff) : json(nullptr);
      if (!spec.targets.empty()) {
        json by_word = json::object();
        for (size_t w = 0; w < spec.targets.size(); ++w) by_word[spec.targets[w]] = interval_json(l.word_logsoftmax.at(w));
        row["targets_logsoftmax"] = std::move(by_word);
      }
      if (!spec.cosine_sites.empty()) {
        json by_site = json::object();
        for (size_t c = 0; c < spec.cosine_sites.size(); ++c) by_site[spec.cosine_sites[c]] = interval_json(l.site_cosines.at(c));
        row["site_cosines"] = std::move(by_site);
      }
      row["noise_std"] = s.kind == InterventionKind::Noise ? interval_json(l.noise_std) : json(nullptr);
      row["noise_sigma"] = s.kind == InterventionKind::Noise ? interval_json(l.noise_sigma) : json(nullptr);
      out["summary"].push_back(std::move(row));
    }
  }
  if (result.sweeps.size() == 1) out["clean"] = out["prompts"][0]["clean"];
  if (!result.distributions.empty()) out["distributions"] = distributions_json(result);
  return out;
}

std::string prompts_csv(const ExperimentResult& result, const Encoder& model) {
  const Vocab& vocab = model.tokenizer().vocab();
  CsvTable csv({"prompt", "prompt_id", "text", "target", "target_id", "mask_index", "tokens", "clean_target_logsoftmax",
                "clean_target_prob", "clean_target_rank", "clean_loss", "clean_top1", "foil", "foil_id", "clean_logit_diff",
                "other_prompt"});
  auto tokens = [](const MaskedPrompt& p) {
    std::string s;
    for (const std::string& t : p.tokens) s += (s.empty() ? "" : " ") + t;
    return s;
  };
  for (size_t p = 0; p < result.spec.prompts.size(); ++p) {
    add_prompt(csv, result.spec, p);
    if (p < result.sweeps.size()) {
      const SweepResult& sweep = result.sweeps[p];
      const MaskPrediction& clean = sweep.clean;
      csv.add(sweep.prompt.text).add(sweep.prompt.target).add(sweep.prompt.target_id).add(sweep.prompt.mask_index);
      csv.add(tokens(sweep.prompt)).add(clean.target_logsoftmax).add(clean.target_prob).add(clean.target_rank);
      csv.add(clean.loss).add(top1_token(clean, vocab)).add(sweep.prompt.foil);
      add_count(csv, sweep.prompt.foil_id).add(clean.logit_diff);
    } else {
      // Distributions only: no target, so nothing about it.
      const MaskedPrompt& prompt = result.distributions.at(p).prompt;
      csv.add(prompt.text).add(std::string()).add(std::string());
      add_count(csv, prompt.mask_index).add(tokens(prompt));
      csv.add(kUndefined).add(kUndefined).add(kUndefined).add(kUndefined).add(std::string());
      csv.add(std::string()).add(std::string()).add(kUndefined);
    }
    csv.add(result.spec.prompts[p].other_prompt);
    csv.end_row();
  }
  return csv.text();
}

namespace {

// runs.csv's columns: the fixed ones, then logsoftmax_<word> for each further target, then
// cosine_<site> for each cosine site.
std::vector<std::string> runs_columns(const ExperimentSpec& spec) {
  std::vector<std::string> columns = with_key({"trial", "target_logsoftmax", "target_prob", "target_rank", "loss",
                                               "logit_diff", "kl_from_clean", "cosine_to_clean", "top1",
                                               "top1_is_punctuation", "noise_std", "noise_sigma"});
  for (const std::string& word : spec.targets) columns.push_back("logsoftmax_" + word);
  for (const std::string& site : spec.cosine_sites) columns.push_back("cosine_" + site);
  return columns;
}
const std::vector<std::string> kTopColumns = {"prompt", "prompt_id", "intervention", "block", "trial", "rank", "token", "token_id", "log_prob"};

void add_run_row(CsvTable& csv, size_t p, const TrialResult& t, const ExperimentSpec& spec, const Vocab& vocab) {
  const InterventionSpec& s = spec.interventions[static_cast<size_t>(t.intervention)];
  const std::string top1 = top1_token(t.prediction, vocab);
  add_run_key(csv, p, t.intervention, spec, t.layer);
  csv.add(t.trial).add(t.prediction.target_logsoftmax).add(t.prediction.target_prob).add(t.prediction.target_rank);
  csv.add(t.prediction.loss).add(t.prediction.logit_diff).add(t.kl_from_clean).add(t.cosine_to_clean).add(top1).add(is_punctuation_token(top1) ? "true" : "false");
  csv.add(noise_measure(s, t.noise_std)).add(noise_measure(s, t.noise_sigma));
  for (const double value : t.prediction.word_logsoftmax) csv.add(value);
  for (const double value : t.site_cosines) csv.add(value);
  csv.end_row();
}

// The top-k rows of one prediction; the clean run has no intervention, block or trial (-1).
void add_top_rows(CsvTable& csv, const ExperimentSpec& spec, size_t p, int intervention, int block, int trial,
                  const MaskPrediction& prediction, const Vocab& vocab) {
  for (size_t r = 0; r < prediction.top.size(); ++r) {
    const TokenScore& t = prediction.top[r];
    add_prompt(csv, spec, p);
    add_count(add_count(add_count(csv, intervention), block), trial).add(static_cast<long long>(r + 1));
    csv.add(vocab.token(t.id)).add(t.id).add(t.log_prob);
    csv.end_row();
  }
}

}  // namespace

std::string runs_csv(const ExperimentResult& result, const Encoder& model) {
  CsvTable csv(runs_columns(result.spec));
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    for (const TrialResult& t : result.sweeps[p].runs) add_run_row(csv, p, t, result.spec, model.tokenizer().vocab());
  }
  return csv.text();
}

std::string top_csv(const ExperimentResult& result, const Encoder& model) {
  const Vocab& vocab = model.tokenizer().vocab();
  CsvTable csv(kTopColumns);
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    add_top_rows(csv, result.spec, p, -1, -1, -1, result.sweeps[p].clean, vocab);
    for (const TrialResult& t : result.sweeps[p].runs) add_top_rows(csv, result.spec, p, t.intervention, t.layer, t.trial, t.prediction, vocab);
  }
  return csv.text();
}

TrialFiles::TrialFiles(const std::string& folder, const ExperimentResult& result, const Encoder& model)
    : result_(result),
      vocab_(model.tokenizer().vocab()),
      runs_csv_((std::filesystem::path(folder) / "runs.csv").string()),
      top_csv_((std::filesystem::path(folder) / "top.csv").string()),
      runs_jsonl_((std::filesystem::path(folder) / "runs.jsonl").string()),
      runs_(CsvTable(runs_columns(result.spec))),
      top_(CsvTable(kTopColumns)),
      runs_json_(json::array()) {}

void TrialFiles::add_clean_rows_up_to(size_t prompt) {
  for (; clean_rows_done_ < prompt; ++clean_rows_done_) {
    add_top_rows(top_, result_.spec, clean_rows_done_, -1, -1, -1, result_.sweeps.at(clean_rows_done_).clean, vocab_);
  }
}

void TrialFiles::add(const TrialResult& t) {
  const auto p = static_cast<size_t>(t.prompt);
  if (!summaries_ || p != prompt_) {
    if (summaries_) summaries_done_.push_back(summaries_->finish());
    // Prompts without trials (none, with interventions) have no summary rows.
    while (summaries_done_.size() < p) summaries_done_.emplace_back();
    summaries_.emplace(vocab_, result_.sweeps.at(p).prompt.target_id);
    prompt_ = p;
  }
  summaries_->add(t);
  add_run_row(runs_, p, t, result_.spec, vocab_);
  add_clean_rows_up_to(p + 1);
  add_top_rows(top_, result_.spec, p, t.intervention, t.layer, t.trial, t.prediction, vocab_);
  json run = run_json(p, t, result_.spec, vocab_);
  runs_jsonl_.write(run.dump() + "\n");
  if (++count_ <= kRunsInResultsJson) runs_json_.push_back(std::move(run));
  else runs_json_ = nullptr;
  // Rows leave memory in blocks of about a megabyte.
  if (runs_.text().size() + top_.text().size() > (1u << 20)) flush();
}

void TrialFiles::flush() {
  runs_csv_.write(runs_.take_text());
  top_csv_.write(top_.take_text());
}

std::vector<std::vector<LayerSummary>> TrialFiles::finish() {
  if (summaries_) summaries_done_.push_back(summaries_->finish());
  summaries_.reset();
  while (summaries_done_.size() < result_.sweeps.size()) summaries_done_.emplace_back();
  add_clean_rows_up_to(result_.sweeps.size());
  flush();
  return std::move(summaries_done_);
}

void TrialFiles::commit() {
  runs_csv_.commit();
  top_csv_.commit();
  runs_jsonl_.commit();
}

std::string summary_csv(const ExperimentResult& result, const Encoder& model) {
  const Vocab& vocab = model.tokenizer().vocab();
  std::vector<std::string> columns = with_key(
      {"trials", "clean_target_logsoftmax", "target_logsoftmax_mean", "target_logsoftmax_std", "target_logsoftmax_ci95_low",
       "target_logsoftmax_ci95_high", "target_prob_mean", "target_rank_mean", "loss_mean", "loss_ci95_low", "loss_ci95_high",
       "clean_logit_diff", "logit_diff_mean", "logit_diff_ci95_low", "logit_diff_ci95_high", "kl_from_clean_mean",
       "cosine_to_clean_mean", "share_top1_target", "share_top1_punctuation", "top1_most_frequent",
       "top1_most_frequent_trials", "noise_std_mean", "noise_sigma_mean"});
  for (const std::string& word : result.spec.targets) {
    for (const char* part : {"clean_logsoftmax_", "logsoftmax_"}) columns.push_back(part + word);
    columns.back() += "_mean";
    columns.push_back("logsoftmax_" + word + "_ci95_low");
    columns.push_back("logsoftmax_" + word + "_ci95_high");
  }
  for (const std::string& site : result.spec.cosine_sites) {
    for (const char* part : {"_mean", "_ci95_low", "_ci95_high"}) columns.push_back("cosine_" + site + part);
  }
  CsvTable csv(std::move(columns));
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    const SweepResult& sweep = result.sweeps[p];
    for (const LayerSummary& l : result.summaries.at(p)) {
      const InterventionSpec& s = result.spec.interventions[static_cast<size_t>(l.intervention)];
      add_run_key(csv, p, l.intervention, result.spec, l.layer);
      csv.add(l.trials).add(sweep.clean.target_logsoftmax).add(l.target_logsoftmax.mean).add(l.target_logsoftmax.std);
      csv.add(l.target_logsoftmax.ci_low).add(l.target_logsoftmax.ci_high).add(l.target_prob.mean).add(l.target_rank.mean);
      csv.add(l.loss.mean).add(l.loss.ci_low).add(l.loss.ci_high).add(sweep.clean.logit_diff);
      csv.add(l.logit_diff.mean).add(l.logit_diff.ci_low).add(l.logit_diff.ci_high).add(l.kl_from_clean.mean);
      csv.add(l.cosine_to_clean.mean);
      csv.add(l.share_top1_target).add(l.share_top1_punctuation);
      csv.add(vocab.token(l.top1_counts.front().first)).add(l.top1_counts.front().second);
      csv.add(noise_measure(s, l.noise_std.mean)).add(noise_measure(s, l.noise_sigma.mean));
      for (size_t w = 0; w < l.word_logsoftmax.size(); ++w) {
        const MeanInterval& m = l.word_logsoftmax[w];
        csv.add(sweep.clean.word_logsoftmax.at(w)).add(m.mean).add(m.ci_low).add(m.ci_high);
      }
      for (const MeanInterval& m : l.site_cosines) csv.add(m.mean).add(m.ci_low).add(m.ci_high);
      csv.end_row();
    }
  }
  return csv.text();
}

json distributions_json(const ExperimentResult& result) {
  json out = json::array();
  for (size_t p = 0; p < result.distributions.size(); ++p) {
    const DistributionReport& report = result.distributions[p];
    json states = json::array();
    for (const StateDistribution& s : report.states) {
      json state = {{"block", block_json(state_block(s.index))}, {"site", state_site(s.index)}, {"name", s.name},
                    {"all", distribution_json(s.all)}, {"noise_std", s.noise_std}, {"noise", distribution_json(s.noise)}};
      if (s.mask.moments.count > 0) state["mask"] = distribution_json(s.mask);
      states.push_back(std::move(state));
    }
    out.push_back({{"prompt", p}, {"prompt_id", result.spec.prompts.at(p).id}, {"text", report.prompt.text}, {"tokens", report.prompt.tokens},
                   {"mask_index", report.prompt.mask_index}, {"noise_factor", report.request.noise_factor},
                   {"gaussian_share_beyond_3std", gaussian_share_beyond(3.0)},
                   {"gaussian_share_beyond_5std", gaussian_share_beyond(5.0)}, {"states", states}});
  }
  return out;
}

namespace {

// The series of a hidden state that have values: all, mask (when the prompt has one), noise.
std::vector<std::pair<const char*, const ValueDistribution*>> state_series(const StateDistribution& s) {
  std::vector<std::pair<const char*, const ValueDistribution*>> out = {{"all", &s.all}};
  if (s.mask.moments.count > 0) out.emplace_back("mask", &s.mask);
  out.emplace_back("noise", &s.noise);
  return out;
}

}  // namespace

std::string distributions_csv(const ExperimentResult& result) {
  CsvTable csv({"prompt", "prompt_id", "block", "site", "series", "count", "mean", "std", "skewness", "excess_kurtosis", "min", "max",
                "share_beyond_3std", "share_beyond_5std", "max_abs_over_std", "share_outside_histogram"});
  for (size_t p = 0; p < result.distributions.size(); ++p) {
    for (const StateDistribution& s : result.distributions[p].states) {
      for (const auto& [series, d] : state_series(s)) {
        const Moments& m = d->moments;
        const Histogram& h = d->histogram;
        add_count(add_prompt(csv, result.spec, p), state_block(s.index)).add(state_site(s.index)).add(std::string(series));
        csv.add(static_cast<long long>(m.count)).add(m.mean).add(m.std).add(m.skewness).add(m.excess_kurtosis);
        csv.add(m.min).add(m.max).add(d->tails.beyond_3std).add(d->tails.beyond_5std).add(d->tails.max_abs_over_std);
        csv.add(h.total() > 0 ? static_cast<double>(h.below + h.above) / static_cast<double>(h.total()) : kUndefined);
        csv.end_row();
      }
    }
  }
  return csv.text();
}

std::string histograms_csv(const ExperimentResult& result) {
  CsvTable csv({"prompt", "prompt_id", "block", "site", "series", "bin_low", "bin_high", "count", "density"});
  for (size_t p = 0; p < result.distributions.size(); ++p) {
    for (const StateDistribution& s : result.distributions[p].states) {
      for (const auto& [series, d] : state_series(s)) {
        const Histogram& h = d->histogram;
        const std::vector<double> density = h.density();
        for (size_t b = 0; b < h.counts.size(); ++b) {
          add_count(add_prompt(csv, result.spec, p), state_block(s.index)).add(state_site(s.index)).add(std::string(series));
          csv.add(h.low + static_cast<double>(b) * h.bin_width()).add(h.low + static_cast<double>(b + 1) * h.bin_width());
          csv.add(static_cast<long long>(h.counts[b])).add(density[b]);
          csv.end_row();
        }
      }
    }
  }
  return csv.text();
}

std::vector<std::string> write_experiment_files(const std::string& folder, const ExperimentResult& result,
                                                const Encoder& model, const RunContext& context) {
  // The trials in memory go the way streamed trials go: the files are the same either way.
  ExperimentResult header{result.spec, result.model_dir, {}, {}, result.distributions};
  for (const SweepResult& sweep : result.sweeps) header.sweeps.push_back({sweep.prompt, sweep.clean, {}, {}});
  return write_experiment_files(folder, header, model, context, [&](const TrialSink& sink) {
    for (size_t p = 0; p < result.sweeps.size(); ++p) {
      for (TrialResult t : result.sweeps[p].runs) {
        t.prompt = static_cast<int>(p);
        sink(t);
      }
    }
  });
}

std::vector<std::string> write_experiment_files(const std::string& folder, ExperimentResult& header, const Encoder& model,
                                                const RunContext& context, const TrialSource& trials) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec || !std::filesystem::is_directory(folder)) {
    throw Error(folder + ": cannot create the output folder (" + (ec ? ec.message() : "not a directory") + ")");
  }
  std::vector<NamedFile> files;
  std::vector<std::string> streamed;
  std::optional<TrialFiles> trial_files;
  json runs = json::array();
  if (!header.sweeps.empty()) {
    trial_files.emplace(folder, header, model);
    trials([&](const TrialResult& t) { trial_files->add(t); });
    header.summaries = trial_files->finish();
    runs = trial_files->results_runs();
  }
  // The rest is rendered before the first of it is written, so that a failure cannot leave
  // a mix of new and old files from one run.
  files.emplace_back("results.json", json_text(experiment_json(header, model, context, std::move(runs)), 1) + "\n");
  files.emplace_back("prompts.csv", prompts_csv(header, model));
  if (!header.sweeps.empty()) files.emplace_back("summary.csv", summary_csv(header, model));
  const ExperimentResult& result = header;
  if (!result.distributions.empty()) {
    files.emplace_back("distributions.json", json_text(distributions_json(result), 1) + "\n");
    files.emplace_back("distributions.csv", distributions_csv(result));
    files.emplace_back("histograms.csv", histograms_csv(result));
  }
  const std::vector<Figure> figures = experiment_figures(result, model.tokenizer().vocab());
  for (const Figure& figure : figures) {
    files.emplace_back(figure.stem() + ".svg", figure.svg);
    files.emplace_back(figure.stem() + ".png", figure.png);
  }
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.first);
  for (const char* name : {"runs.jsonl", "top.csv", "runs.csv"}) {
    if (trial_files) names.insert(names.begin() + 2, name);
  }
  files.emplace_back("report.html", html_report(result, model, context, figures, names));
  std::vector<std::string> written = write_files_together(folder, files);
  if (trial_files) {
    trial_files->commit();
    for (const char* name : {"runs.jsonl", "top.csv", "runs.csv"}) written.insert(written.begin() + 2, (std::filesystem::path(folder) / name).string());
  }
  return written;
}

}  // namespace bertscope
