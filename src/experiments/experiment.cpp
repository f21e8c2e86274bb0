#include "experiments/experiment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "common/printable.h"
#include "experiments/prompt_file.h"
#include "experiments/run_memory.h"
#include "model/site_patterns.h"

namespace bertscope {

namespace {

// "blocks.{L}.attn.out": the pattern `bertscope hooks` prints for a kind of site.
std::string site_pattern(SiteKind kind) {
  for (const HookSiteDoc& doc : hook_site_docs()) {
    if (doc.kind == kind) return doc.pattern;
  }
  return HookSite::block(kind, 0).name();
}

// Tokenizes every prompt (and every other prompt) and checks it against the model before
// any work: in a dataset, a bad row must stop the run now, not after the rows before it
// have run for an hour. With several prompts the message names the prompt by its id.
void check_prompts(const Encoder& model, const ExperimentSpec& spec) {
  for (const PromptSpec& prompt : spec.prompts) {
    try {
      MaskedPrompt::prepare(model, prompt.text, prompt.target, !spec.interventions.empty(), prompt.foil);
      for (size_t i = 0; i < spec.interventions.size(); ++i) {
        const InterventionSpec s = spec.intervention_for(i, prompt);
        if (s.needs_other_prompt()) MaskedPrompt::prepare(model, s.other_prompt, "");
      }
    } catch (const Error& e) {
      if (spec.prompts.size() == 1) throw;
      throw Error("prompt \"" + prompt.id + "\": " + e.what());
    }
  }
}

}  // namespace

SiteKind parse_edit_site(const std::string& name) {
  // The names `bertscope hooks` prints, {L} standing for each edited block; the part after
  // blocks.{L}. alone ("out", "attn.out") is short for the same.
  constexpr std::string_view kBlocks = "blocks.{L}.";
  if (name == HookSite::embed_out().name()) return SiteKind::EmbedOut;
  const std::string part = name.starts_with(kBlocks) ? name.substr(kBlocks.size()) : name;
  if (const auto site = HookSite::parse("blocks.0." + part)) return site->kind;
  if (const auto site = HookSite::parse(name)) {
    throw OptionError("site", " '" + name + "' names block " + std::to_string(site->layer) + "; write " +
                                      site_pattern(site->kind) + " and choose the blocks with the layers option");
  }
  std::string names;
  for (const HookSiteDoc& doc : hook_site_docs()) names += std::string(names.empty() ? "" : ", ") + doc.pattern;
  throw OptionError("site", " '" + name + "' is not one of " + names + " (as `bertscope hooks` prints them; \"out\" is short for blocks.{L}.out)");
}

std::string edit_site_name(SiteKind kind) { return site_pattern(kind); }

void ExperimentSpec::validate() const {
  if (prompts.empty()) throw Error(name + ": no prompt given");
  // Before anything tokenizes them (the memory estimate does): UTF-8, length, printable ids.
  for (size_t p = 0; p < prompts.size(); ++p) {
    check_prompt_fields(prompts[p], name + ": prompt " + (prompts[p].id.empty() ? std::to_string(p + 1) : "\"" + printable(prompts[p].id) + "\""));
  }
  for (const InterventionSpec& s : interventions) {
    check_prompt_text(s.other_prompt, name + ": intervention " + InterventionSpec::kind_name(s.kind), "other_prompt");
    for (const auto* texts : {&s.mean_prompts, &s.basis_prompts, &s.direction_to, &s.direction_from}) {
      for (const std::string& text : *texts) {
        check_prompt_text(text, name + ": intervention " + InterventionSpec::kind_name(s.kind), "prompt of its options");
      }
    }
  }
  if (trials < 1 || trials > 10000000) throw Error(name + ": trials must be between 1 and 10000000");
  if (top_k < 1 || top_k > 1000) throw Error(name + ": top must be between 1 and 1000");
  if (max_batch_tokens < 1) throw Error(name + ": max_batch_tokens must be positive");
  if (interventions.empty() && !distributions) throw Error(name + ": nothing to run: give interventions or distributions");
  if (site == SiteKind::EmbedOut && layers != "all") {
    throw OptionError("layers", " is not used at embed.out: the embeddings are edited once, before block 0");
  }
  for (size_t i = 0; i < interventions.size(); ++i) {
    const InterventionSpec& s = interventions[i];
    const bool some_have_other = std::any_of(prompts.begin(), prompts.end(), [](const PromptSpec& p) { return !p.other_prompt.empty(); });
    if (s.needs_other_prompt() && s.other_prompt.empty() && some_have_other) {
      for (size_t p = 0; p < prompts.size(); ++p) {
        if (prompts[p].other_prompt.empty()) {
          throw Error(name + ": prompt " + (prompts[p].id.empty() ? std::to_string(p + 1) : "\"" + prompts[p].id + "\"") +
                      " has no other_prompt for " + InterventionSpec::kind_name(s.kind) +
                      ", and the intervention has none of its own: give every prompt one, or the intervention one");
        }
      }
    }
    try {
      intervention_for(i, prompts.front()).validate();
    } catch (const OptionError& e) {
      throw e.about_intervention(static_cast<int>(i));
    }
    if (interventions[i].kind == InterventionKind::Skip && site != SiteKind::BlockOut) {
      throw OptionError("site", " is not used by skip: it skips whole blocks (run skip at the default site, or on its own)");
    }
    const std::string& label = interventions[i].label_text;
    for (size_t j = 0; j < i && !label.empty(); ++j) {
      if (interventions[j].label_text == label) {
        throw Error(name + ": interventions " + std::to_string(j) + " and " + std::to_string(i) + " have the same label '" +
                    label + "'");
      }
    }
  }
  if (distributions) {
    // Checked here, before a model is loaded, and not only when the statistics are computed:
    // a spec's infinities (TOML has inf and nan) would otherwise turn into NaN bin edges.
    const DistributionRequest& d = distribution;
    if (!(std::isfinite(d.histogram_low) && std::isfinite(d.histogram_high) && d.histogram_low < d.histogram_high))
      throw Error(name + ": distributions low and high must be finite numbers with low < high");
    if (!std::isfinite(d.histogram_high - d.histogram_low)) {
      char range[96];
      std::snprintf(range, sizeof range, "%g to %g", d.histogram_low, d.histogram_high);
      throw Error(name + ": distributions low and high (" + range + ") span a range wider than a double holds "
                  "(high - low overflows); narrow it");
    }
    // A range at the resolution of a double has no ticks, bins or figure to draw (a range
    // of 4e-16 around 2 made the axis code spin).
    const double magnitude = std::max({1.0, std::fabs(d.histogram_low), std::fabs(d.histogram_high)});
    if (d.histogram_high - d.histogram_low < 1e-6 * magnitude) {
      char span[32];
      std::snprintf(span, sizeof span, "%.3g", d.histogram_high - d.histogram_low);
      throw Error(name + ": distributions high - low is " + span +
                  ", too narrow: it must be at least 1e-6 x the largest of 1, abs(low) and abs(high)");
    }
    if (d.bins < 1 || d.bins > 100000) throw Error(name + ": distributions bins must be between 1 and 100000");
    if (!(std::isfinite(d.noise_factor) && d.noise_factor >= 0.0))
      throw Error(name + ": distributions noise_factor must be a finite number >= 0");
  }
  if (!interventions.empty()) {
    for (const auto& p : prompts) {
      if (p.target.empty()) throw Error(name + ": prompt \"" + p.text + "\" needs a target word for the interventions");
    }
  }
}

InterventionSpec ExperimentSpec::intervention_for(size_t i, const PromptSpec& prompt) const {
  InterventionSpec s = interventions.at(i);
  if (s.needs_other_prompt() && s.other_prompt.empty()) s.other_prompt = prompt.other_prompt;
  return s;
}

void ExperimentSpec::resolve_labels() {
  std::vector<std::string> labels;
  for (const InterventionSpec& s : interventions) labels.push_back(s.label());
  for (size_t i = 0; i < interventions.size(); ++i) {
    const bool shared = std::count(labels.begin(), labels.end(), labels[i]) > 1;
    interventions[i].label_text = labels[i] + (shared ? " #" + std::to_string(i) : "");
  }
}

std::string ExperimentSpec::random_streams() const {
  return paired ? "philox4x32-10, one stream per (seed, block, trial), shared by every intervention (paired)"
                : "philox4x32-10, one stream per (seed, intervention index, block, trial)";
}

ExperimentResult run_experiment(const Encoder& model, const ExperimentSpec& spec, const ProgressFn& progress,
                                const TrialStream& stream) {
  spec.validate();
  check_run_memory(model, spec, !stream.sink);  // before any work: what cannot fit is refused now
  ExperimentResult result{spec, model.dir(), {}, {}, {}};
  result.spec.resolve_labels();
  std::vector<HookSite> cosine_sites;
  try {
    cosine_sites = resolve_sites(model, spec.cosine_sites);
  } catch (const Error& e) {
    throw OptionError("cosine_sites", ": " + std::string(e.what()));
  }
  result.spec.cosine_sites.clear();
  for (const HookSite& site : cosine_sites) {
    if (!rows_are_positions(site.kind)) {
      throw OptionError("cosine_sites", ": " + site.name() + " holds attention rows over keys, not a vector per position");
    }
    result.spec.cosine_sites.push_back(site.name());
  }
  // Prompts built in code may have no ids: they get their numbers, as in a prompt file.
  assign_prompt_ids(result.spec.prompts, [&](size_t p) { return spec.name + ": prompts[" + std::to_string(p) + "]"; });
  check_prompts(model, result.spec);
  const std::vector<int> layers = parse_layers(spec.layers, model.layers());
  if (!spec.interventions.empty()) {
    // The trials of every prompt are batched together: a dataset of short prompts runs in
    // batches as large as one long prompt's sweep.
    SweepRequest request{"", "", spec.interventions, "", spec.targets, layers, spec.site, spec.trials, spec.seed,
                         spec.paired, spec.top_k, spec.max_batch_tokens, stream.include, stream.sink,
                         spec.keep_log_probs, spec.keep_sites, spec.keep_positions, cosine_sites};
    std::vector<SweepPrompt> prompts;
    for (const PromptSpec& prompt : result.spec.prompts) {
      prompts.push_back({prompt.text, prompt.target, prompt.other_prompt, prompt.foil});
    }
    result.sweeps = run_sweeps(model, prompts, request, progress);
    if (!stream.sink) {
      for (const SweepResult& sweep : result.sweeps) result.summaries.push_back(summarize(sweep, model.tokenizer().vocab()));
    }
  }
  for (const PromptSpec& prompt : result.spec.prompts) {
    if (spec.distributions) {
      DistributionRequest request = spec.distribution;
      request.prompt = prompt.text;
      request.seed = spec.seed;
      result.distributions.push_back(hidden_state_distributions(model, request));
    }
  }
  return result;
}

}  // namespace bertscope
