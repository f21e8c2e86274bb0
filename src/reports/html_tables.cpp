#include "reports/html_tables.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/html_text.h"
#include "reports/text_format.h"

namespace bertscope::html {

namespace {

std::string row(const std::string& key, const std::string& value_html) {
  return "<tr><th scope=\"row\">" + escape(key) + "</th><td>" + value_html + "</td></tr>\n";
}

std::string code(const std::string& text) { return "<code>" + escape(text) + "</code>"; }

std::string word(const std::string& token) { return "<span class=\"word\">" + escape(token) + "</span>"; }

std::string percent(double share) { return format("%.0f%%", 100.0 * share); }

}  // namespace

std::string options_table(const ExperimentSpec& spec) {
  std::string t = "<table class=\"keys\">\n";
  t += row("name", escape(spec.name));
  t += row("layers edited", code(spec.layers));
  t += row("edit site", code(edit_site_name(spec.site)) + " of each edited block");
  t += row("trials", std::to_string(spec.trials) + " per block for random interventions (shuffle, noise); 1 for the others");
  t += row("seed", std::to_string(spec.seed));
  t += row("random numbers", escape(spec.random_streams()));
  t += row("top-k recorded", std::to_string(spec.top_k));
  if (spec.distributions) {
    const DistributionRequest& d = spec.distribution;
    t += row("distributions", format("histograms over [%g, %g) in %d bins; Gaussian reference std = %g x the state's std",
                                     d.histogram_low, d.histogram_high, d.bins, d.noise_factor));
  }
  return t + "</table>\n";
}

std::string interventions_table(const ExperimentSpec& spec) {
  if (spec.interventions.empty()) return "<p>No interventions: hidden-state distributions only.</p>\n";
  std::string t = "<table>\n<thead><tr><th class=\"n\">intervention</th><th>label</th><th>kind</th><th class=\"n\">factor</th><th>positions</th>"
                  "<th>other prompt</th><th class=\"n\">trials per block</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < spec.interventions.size(); ++i) {
    const InterventionSpec& s = spec.interventions[i];
    const bool has_factor = s.kind == InterventionKind::Noise || s.kind == InterventionKind::Scale || s.kind == InterventionKind::Mix;
    t += "<tr><td class=\"n\">" + std::to_string(i) + "</td><td>" + escape(s.label()) + "</td><td>" +
         escape(InterventionSpec::kind_name(s.kind)) + "</td><td class=\"n\">" + (has_factor ? format("%g", s.factor) : "") +
         "</td><td>" + escape(s.positions.describe()) + "</td><td>" + escape(s.other_prompt) + "</td><td class=\"n\">" +
         std::to_string(s.is_random() ? spec.trials : 1) + "</td></tr>\n";
  }
  return t + "</tbody></table>\n";
}

std::string model_table(const std::string& model_dir, const Encoder& model) {
  const ModelConfig& c = model.config();
  std::string t = "<table class=\"keys\">\n";
  t += row("path", code(model_dir));
  t += row("family", escape(model.family().display_name) + " (" + code(c.architecture) + ")");
  t += row("layers / hidden / heads / FFN",
           format("%d / %d / %d / %d", c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size));
  t += row("vocabulary", format("%d word pieces, %s", c.vocab_size, model.tokenizer().do_lower_case() ? "lower-cased" : "cased"));
  t += row("max positions", std::to_string(c.max_position_embeddings));
  t += row("activation / LayerNorm eps", escape(c.hidden_act) + format(" / %g", static_cast<double>(c.layer_norm_eps)));
  return t + "</table>\n";
}

std::string prompt_tokens(const MaskedPrompt& prompt) {
  std::string out = "<p class=\"tokens\">";
  for (size_t i = 0; i < prompt.tokens.size(); ++i) {
    const bool mask = static_cast<int>(i) == prompt.mask_index;
    out += std::string("<span class=\"token") + (mask ? " mask" : "") + "\" title=\"position " + std::to_string(i) + "\">" +
           escape(prompt.tokens[i]) + "</span>";
  }
  return out + "</p>\n";
}

std::string clean_top_table(const SweepResult& sweep, const Vocab& vocab) {
  std::string t = "<table>\n<thead><tr><th class=\"n\">rank</th><th>word</th><th class=\"n\">probability</th>"
                  "<th class=\"n\">log-softmax (nats)</th></tr></thead>\n<tbody>\n";
  int rank = 1;
  for (const TokenScore& s : sweep.clean.top) {
    const std::string& token = vocab.token(s.id);
    const bool target = s.id == sweep.prompt.target_id;
    t += std::string("<tr") + (target ? " class=\"target\"" : "") + "><td class=\"n\">" + std::to_string(rank++) + "</td><td>" +
         word(token) + "</td><td class=\"n\">" + format("%.4f", std::exp(static_cast<double>(s.log_prob))) + "</td><td class=\"n\">" +
         format("%.3f", static_cast<double>(s.log_prob)) + "</td></tr>\n";
  }
  t += "</tbody></table>\n";
  t += "<p>Target " + word(sweep.prompt.target) + format(": log-softmax %.3f nats, probability %.2e, rank %d.",
                                                         sweep.clean.target_logsoftmax, sweep.clean.target_prob,
                                                         sweep.clean.target_rank) + "</p>\n";
  if (sweep.prompt.foil_id >= 0) {
    t += "<p>Foil " + word(sweep.prompt.foil) + format(": logit(target) - logit(foil) = %.3f.", sweep.clean.logit_diff) + "</p>\n";
  }
  return t;
}

std::string summary_tables(const ExperimentSpec& spec, const std::vector<LayerSummary>& summaries, const Vocab& vocab) {
  std::string out;
  int current = -1;
  // A prompt with a foil: every summary has its logit difference (NaN in none or all).
  const bool foil = !summaries.empty() && !std::isnan(summaries.front().logit_diff.mean);
  for (const LayerSummary& l : summaries) {
    if (l.intervention != current) {
      if (current >= 0) out += "</tbody></table>\n";
      current = l.intervention;
      const InterventionSpec& s = spec.interventions[static_cast<size_t>(current)];
      out += "<h4>" + escape(s.label()) + format(" <small>%d trial%s per block</small>", l.trials, l.trials == 1 ? "" : "s") + "</h4>\n";
      out += "<table>\n<thead><tr><th class=\"n\">block</th><th>most frequent top-1</th>"
             "<th class=\"n\">target log-softmax (nats)</th><th class=\"n\">95% CI</th><th class=\"n\">loss (nats)</th>" +
             std::string(foil ? "<th class=\"n\">target - foil (logits)</th>" : "") +
             "<th class=\"n\">KL from clean (nats)</th><th class=\"n\">cosine to clean</th><th class=\"n\">top-1 = target</th>"
             "<th class=\"n\">top-1 punctuation</th>";
      // The further targets: each word's mean log-softmax, as the target's.
      for (const std::string& w : spec.targets) out += "<th class=\"n\">log p(" + escape(w) + ") (nats)</th>";
      out += "</tr></thead>\n<tbody>\n";
    }
    const auto& [top_id, top_count] = l.top1_counts.front();
    const std::string ci = l.trials > 1 ? format("[%.3f, %.3f]", l.target_logsoftmax.ci_low, l.target_logsoftmax.ci_high) : "";
    out += "<tr><td class=\"n\">" + std::to_string(l.layer) + "</td><td>" + word(vocab.token(top_id)) + " " +
           percent(static_cast<double>(top_count) / l.trials) + "</td><td class=\"n\">" +
           format("%.3f", l.target_logsoftmax.mean) + "</td><td class=\"n\">" + ci + "</td><td class=\"n\">" +
           format("%.3f", l.loss.mean) + "</td><td class=\"n\">" +
           (foil ? format("%.3f", l.logit_diff.mean) + "</td><td class=\"n\">" : std::string()) +
           format("%.3f", l.kl_from_clean.mean) + "</td><td class=\"n\">" +
           (std::isnan(l.cosine_to_clean.mean) ? std::string() : format("%.3f", l.cosine_to_clean.mean)) +
           "</td><td class=\"n\">" + percent(l.share_top1_target) + "</td><td class=\"n\">" +
           percent(l.share_top1_punctuation) + "</td>";
    for (const MeanInterval& m : l.word_logsoftmax) out += "<td class=\"n\">" + format("%.3f", m.mean) + "</td>";
    out += "</tr>\n";
  }
  if (current >= 0) out += "</tbody></table>\n";
  return out;
}

std::string distribution_table(const DistributionReport& report) {
  // Every column but the first holds numbers.
  std::string t = "<table class=\"numbers\">\n<thead><tr><th>hidden state</th><th>std</th><th>skewness</th>"
                  "<th>excess kurtosis</th><th>beyond 3 std</th><th>beyond 5 std</th><th>max |x| / std</th>"
                  "<th>[MASK] excess kurtosis</th><th>[MASK] beyond 3 std</th><th>noise excess kurtosis</th></tr></thead>\n<tbody>\n";
  t += format("<tr class=\"reference\"><td>Gaussian</td><td></td><td>0</td><td>0</td><td>%.2f%%</td><td>%.5f%%</td>"
              "<td></td><td>0</td><td>%.2f%%</td><td>0</td></tr>\n",
              100.0 * gaussian_share_beyond(3.0), 100.0 * gaussian_share_beyond(5.0), 100.0 * gaussian_share_beyond(3.0));
  for (const StateDistribution& s : report.states) {
    const bool mask = s.mask.moments.count > 0;
    t += "<tr><td>" + escape(s.name) + "</td>" +
         format("<td>%.3f</td><td>%.2f</td><td>%.2f</td><td>%.3f%%</td><td>%.4f%%</td><td>%.2f</td>", s.all.moments.std,
                s.all.moments.skewness, s.all.moments.excess_kurtosis, 100.0 * s.all.tails.beyond_3std,
                100.0 * s.all.tails.beyond_5std, s.all.tails.max_abs_over_std) +
         (mask ? format("<td>%.2f</td><td>%.2f%%</td>", s.mask.moments.excess_kurtosis, 100.0 * s.mask.tails.beyond_3std)
               : std::string("<td></td><td></td>")) +
         format("<td>%.2f</td></tr>\n", s.noise.moments.excess_kurtosis);
  }
  return t + "</tbody></table>\n";
}

std::string across_prompts_tables(const ExperimentSpec& spec, const std::vector<PromptsCell>& cells) {
  std::string out;
  int current = -1;
  // With foils in some prompts, the logit difference's change over those prompts.
  const bool foil = std::any_of(cells.begin(), cells.end(), [](const PromptsCell& c) { return c.logit_diff_change.count > 0; });
  for (const PromptsCell& c : cells) {
    if (c.intervention != current) {
      if (current >= 0) out += "</tbody></table>\n";
      current = c.intervention;
      out += "<h4>" + escape(spec.interventions[static_cast<size_t>(current)].label()) +
             format(" <small>%zu prompts</small>", c.effects.size()) + "</h4>\n";
      out += "<table>\n<thead><tr><th class=\"n\">block</th><th class=\"n\">mean change of the target log-softmax (nats)</th>"
             "<th class=\"n\">95% CI over prompts</th><th class=\"n\">std over prompts</th>" +
             std::string(foil ? "<th class=\"n\">mean change of target - foil (logits)</th>" : "") +
             "<th class=\"n\">top-1 = target (mean share)</th></tr></thead>\n<tbody>\n";
    }
    const bool spread = c.effect.count > 1;
    out += "<tr><td class=\"n\">" + std::to_string(c.layer) + "</td><td class=\"n\">" + format("%.3f", c.effect.mean) +
           "</td><td class=\"n\">" + (spread ? format("[%.3f, %.3f]", c.effect.ci_low, c.effect.ci_high) : "") +
           "</td><td class=\"n\">" + (spread ? format("%.3f", c.effect.std) : "") + "</td><td class=\"n\">" +
           (foil ? (c.logit_diff_change.count > 0 ? format("%.3f", c.logit_diff_change.mean) : "") + "</td><td class=\"n\">"
                 : std::string()) +
           percent(c.share_top1_target) + "</td></tr>\n";
  }
  if (current >= 0) out += "</tbody></table>\n";
  return out;
}

std::string prompts_overview_table(const ExperimentResult& result, const std::vector<PromptsCell>& cells) {
  const ExperimentSpec& spec = result.spec;
  std::string t = "<table>\n<thead><tr><th class=\"n\">prompt</th><th>id</th><th>text</th><th>target</th>"
                  "<th class=\"n\">clean log-softmax (nats)</th><th>largest fall</th></tr></thead>\n<tbody>\n";
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    const PromptsCell* worst = nullptr;
    for (const PromptsCell& c : cells) {
      if (!worst || c.effects.at(p) < worst->effects.at(p)) worst = &c;
    }
    const std::string fall = worst ? escape(spec.interventions[static_cast<size_t>(worst->intervention)].label()) +
                                         format(" at block %d: %.3f", worst->layer, worst->effects.at(p))
                                   : "";
    t += "<tr><td class=\"n\"><a href=\"#prompt-" + std::to_string(p) + "\">" + std::to_string(p) + "</a></td><td class=\"nowrap\">" +
         code(spec.prompts[p].id) + "</td><td>" + escape(spec.prompts[p].text) + "</td><td>" + word(spec.prompts[p].target) +
         "</td><td class=\"n\">" + format("%.3f", result.sweeps[p].clean.target_logsoftmax) + "</td><td class=\"nowrap\">" + fall +
         "</td></tr>\n";
  }
  return t + "</tbody></table>\n";
}

}  // namespace bertscope::html
