#include "reports/experiment_files.h"

#include <filesystem>
#include <memory>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_text.h"
#include "experiments/sweep_summary.h"
#include "reports/csv_table.h"
#include "reports/experiment_figures.h"
#include "reports/html_report.h"

namespace bertscope {

namespace {

using nlohmann::json;

json prediction_json(const MaskPrediction& p, const Vocab& vocab) {
  json tokens = json::array(), log_probs = json::array();
  for (const TokenScore& t : p.top) {
    tokens.push_back(vocab.token(t.id));
    log_probs.push_back(t.log_prob);
  }
  return {{"target_logsoftmax", p.target_logsoftmax}, {"target_prob", p.target_prob}, {"target_rank", p.target_rank},
          {"loss", p.loss}, {"top", tokens}, {"top_log_probs", log_probs}};
}

json interval_json(const MeanInterval& m) {
  return {{"mean", m.mean}, {"std", m.std}, {"ci95_low", m.ci_low}, {"ci95_high", m.ci_high}, {"n", m.count}};
}

json intervention_json(const InterventionSpec& s) {
  static const char* scales[] = {"vector", "layer", "absolute"};
  json j = {{"kind", InterventionSpec::kind_name(s.kind)}, {"label", s.label()}, {"positions", s.positions.describe()}};
  if (s.kind == InterventionKind::Noise || s.kind == InterventionKind::Scale || s.kind == InterventionKind::Mix) j["factor"] = s.factor;
  if (s.kind == InterventionKind::Noise) j["std_of"] = scales[static_cast<int>(s.std_of)];
  if (s.needs_other_prompt()) j["other_prompt"] = s.other_prompt;
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

std::string join_top(const MaskPrediction& p, const Vocab& vocab) {
  std::string s;
  for (const TokenScore& t : p.top) s += (s.empty() ? "" : " ") + vocab.token(t.id);
  return s;
}

}  // namespace

json experiment_json(const ExperimentResult& result, const BertModel& model, const RunContext& context) {
  const ExperimentSpec& spec = result.spec;
  const Vocab& vocab = model.tokenizer().vocab();
  const BertConfig& c = model.config();
  json interventions = json::array();
  for (const auto& s : spec.interventions) interventions.push_back(intervention_json(s));
  json out = {
      {"bertscope_version", BERTSCOPE_VERSION},
      {"command", context.command_line},
      {"model",
       {{"path", result.model_dir}, {"demo_model", context.demo_model}, {"dtype", context.dtype},
        {"config", {{"num_hidden_layers", c.num_hidden_layers}, {"hidden_size", c.hidden_size},
                    {"num_attention_heads", c.num_attention_heads}, {"intermediate_size", c.intermediate_size},
                    {"vocab_size", c.vocab_size}, {"max_position_embeddings", c.max_position_embeddings}}},
        {"do_lower_case", model.tokenizer().do_lower_case()}}},
      {"options",
       {{"name", spec.name}, {"seed", spec.seed}, {"trials", spec.trials}, {"layers", spec.layers},
        {"site", edit_site_name(spec.site)}, {"top", spec.top_k}, {"interventions", interventions},
        {"rng", "philox4x32-10, one stream per (seed, intervention kind, layer, trial)"}}},
      {"prompts", json::array()},
      {"runs", json::array()},
      {"summary", json::array()}};

  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    const SweepResult& sweep = result.sweeps[p];
    const MaskedPrompt& prompt = sweep.prompt;
    out["prompts"].push_back({{"index", p}, {"text", prompt.text}, {"target", prompt.target}, {"tokens", prompt.tokens},
                              {"ids", prompt.ids}, {"mask_index", prompt.mask_index}, {"target_id", prompt.target_id},
                              {"clean", prediction_json(sweep.clean, vocab)}});
    for (const TrialResult& t : sweep.runs) {
      const InterventionSpec& s = spec.interventions[static_cast<size_t>(t.intervention)];
      json run = prediction_json(t.prediction, vocab);
      run["prompt"] = p;
      run["intervention"] = InterventionSpec::kind_name(s.kind);
      run["label"] = s.label();
      run["layer"] = t.layer;
      run["trial"] = t.trial;
      run["kl_from_clean"] = t.kl_from_clean;
      run["top1_is_punctuation"] = is_punctuation_token(top1_token(t.prediction, vocab));
      if (s.kind == InterventionKind::Noise) run["noise_std"] = t.noise_std;
      out["runs"].push_back(std::move(run));
    }
    for (const LayerSummary& l : summarize(sweep, vocab)) {
      const InterventionSpec& s = spec.interventions[static_cast<size_t>(l.intervention)];
      json top1 = json::array();
      for (const auto& [id, count] : l.top1_counts) top1.push_back({{"token", vocab.token(id)}, {"trials", count}});
      json row = {{"prompt", p}, {"intervention", InterventionSpec::kind_name(s.kind)}, {"label", s.label()},
                  {"layer", l.layer}, {"trials", l.trials}, {"target_logsoftmax", interval_json(l.target_logsoftmax)},
                  {"target_prob", interval_json(l.target_prob)}, {"target_rank", interval_json(l.target_rank)},
                  {"loss", interval_json(l.loss)}, {"kl_from_clean", interval_json(l.kl_from_clean)},
                  {"share_top1_target", l.share_top1_target}, {"share_top1_punctuation", l.share_top1_punctuation},
                  {"top1_tokens", top1}};
      if (s.kind == InterventionKind::Noise) row["noise_std"] = interval_json(l.noise_std);
      out["summary"].push_back(std::move(row));
    }
  }
  if (result.sweeps.size() == 1) out["clean"] = out["prompts"][0]["clean"];
  if (!result.distributions.empty()) out["distributions"] = distributions_json(result);
  return out;
}

std::string runs_csv(const ExperimentResult& result, const BertModel& model) {
  const Vocab& vocab = model.tokenizer().vocab();
  CsvTable csv({"prompt", "intervention", "label", "layer", "trial", "target_logsoftmax", "target_prob", "target_rank",
                "loss", "kl_from_clean", "top1", "top1_is_punctuation", "noise_std", "top"});
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    for (const TrialResult& t : result.sweeps[p].runs) {
      const InterventionSpec& s = result.spec.interventions[static_cast<size_t>(t.intervention)];
      const std::string top1 = top1_token(t.prediction, vocab);
      csv.add(static_cast<long long>(p)).add(InterventionSpec::kind_name(s.kind)).add(s.label()).add(t.layer).add(t.trial);
      csv.add(t.prediction.target_logsoftmax).add(t.prediction.target_prob).add(t.prediction.target_rank);
      csv.add(t.prediction.loss).add(t.kl_from_clean).add(top1).add(is_punctuation_token(top1) ? 1 : 0);
      csv.add(t.noise_std).add(join_top(t.prediction, vocab));
      csv.end_row();
    }
  }
  return csv.text();
}

std::string summary_csv(const ExperimentResult& result, const BertModel& model) {
  const Vocab& vocab = model.tokenizer().vocab();
  CsvTable csv({"prompt", "intervention", "label", "layer", "trials", "clean_target_logsoftmax", "target_logsoftmax_mean",
                "target_logsoftmax_std", "target_logsoftmax_ci95_low", "target_logsoftmax_ci95_high", "target_prob_mean",
                "target_rank_mean", "loss_mean", "loss_ci95_low", "loss_ci95_high", "kl_mean", "share_top1_target",
                "share_top1_punctuation", "top1_most_frequent", "top1_most_frequent_trials", "noise_std_mean"});
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    const SweepResult& sweep = result.sweeps[p];
    for (const LayerSummary& l : summarize(sweep, vocab)) {
      const InterventionSpec& s = result.spec.interventions[static_cast<size_t>(l.intervention)];
      csv.add(static_cast<long long>(p)).add(InterventionSpec::kind_name(s.kind)).add(s.label()).add(l.layer).add(l.trials);
      csv.add(sweep.clean.target_logsoftmax).add(l.target_logsoftmax.mean).add(l.target_logsoftmax.std);
      csv.add(l.target_logsoftmax.ci_low).add(l.target_logsoftmax.ci_high).add(l.target_prob.mean).add(l.target_rank.mean);
      csv.add(l.loss.mean).add(l.loss.ci_low).add(l.loss.ci_high).add(l.kl_from_clean.mean);
      csv.add(l.share_top1_target).add(l.share_top1_punctuation);
      csv.add(vocab.token(l.top1_counts.front().first)).add(l.top1_counts.front().second).add(l.noise_std.mean);
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
      json state = {{"index", s.index}, {"name", s.name}, {"all", distribution_json(s.all)},
                    {"noise_std", s.noise_std}, {"noise", distribution_json(s.noise)}};
      if (s.mask.moments.count > 0) state["mask"] = distribution_json(s.mask);
      states.push_back(std::move(state));
    }
    out.push_back({{"prompt", p}, {"text", report.prompt.text}, {"tokens", report.prompt.tokens},
                   {"mask_index", report.prompt.mask_index}, {"noise_factor", report.request.noise_factor},
                   {"gaussian_share_beyond_3std", gaussian_share_beyond(3.0)},
                   {"gaussian_share_beyond_5std", gaussian_share_beyond(5.0)}, {"states", states}});
  }
  return out;
}

std::string distributions_csv(const ExperimentResult& result) {
  std::vector<std::string> header = {"prompt", "state", "name"};
  for (const char* series : {"all", "mask", "noise"}) {
    for (const char* field : {"count", "mean", "std", "skewness", "excess_kurtosis", "share_beyond_3std",
                              "share_beyond_5std", "max_abs_over_std"}) {
      header.push_back(std::string(series) + "_" + field);
    }
  }
  CsvTable csv(header);
  for (size_t p = 0; p < result.distributions.size(); ++p) {
    for (const StateDistribution& s : result.distributions[p].states) {
      csv.add(static_cast<long long>(p)).add(s.index).add(s.name);
      for (const ValueDistribution* d : {&s.all, &s.mask, &s.noise}) {
        csv.add(static_cast<long long>(d->moments.count)).add(d->moments.mean).add(d->moments.std);
        csv.add(d->moments.skewness).add(d->moments.excess_kurtosis).add(d->tails.beyond_3std);
        csv.add(d->tails.beyond_5std).add(d->tails.max_abs_over_std);
      }
      csv.end_row();
    }
  }
  return csv.text();
}

std::string histograms_csv(const ExperimentResult& result) {
  CsvTable csv({"prompt", "state", "name", "series", "bin_low", "bin_high", "count", "density"});
  for (size_t p = 0; p < result.distributions.size(); ++p) {
    for (const StateDistribution& s : result.distributions[p].states) {
      for (const auto& [series, d] : {std::pair{"all", &s.all}, std::pair{"mask", &s.mask}, std::pair{"noise", &s.noise}}) {
        if (d->moments.count == 0) continue;
        const Histogram& h = d->histogram;
        const std::vector<double> density = h.density();
        for (size_t b = 0; b < h.counts.size(); ++b) {
          csv.add(static_cast<long long>(p)).add(s.index).add(s.name).add(std::string(series));
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
                                                const BertModel& model, const RunContext& context) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec || !std::filesystem::is_directory(folder)) {
    throw Error(folder + ": cannot create the output folder (" + (ec ? ec.message() : "not a directory") + ")");
  }
  // Everything is rendered before the first write, so a failure cannot leave a mix of
  // new and old files from one run.
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("results.json", json_text(experiment_json(result, model, context), 1) + "\n");
  if (!result.sweeps.empty()) {
    files.emplace_back("runs.csv", runs_csv(result, model));
    files.emplace_back("summary.csv", summary_csv(result, model));
  }
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
  files.emplace_back("report.html", html_report(result, model, context, figures, names));
  // Every file goes to its temporary first; only when all are complete are they renamed
  // into place, one right after the other. An error or Ctrl-C before that leaves the folder
  // as it was (the temporaries are removed), never holding part of a run's files.
  std::vector<std::unique_ptr<AtomicFileWriter>> writers;
  std::vector<std::string> written;
  for (const auto& [name, contents] : files) {
    const std::string path = (std::filesystem::path(folder) / name).string();
    writers.push_back(std::make_unique<AtomicFileWriter>(path));
    writers.back()->write(contents);
    written.push_back(path);
  }
  for (auto& writer : writers) writer->commit();
  return written;
}

}  // namespace bertscope
