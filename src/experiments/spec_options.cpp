#include "experiments/spec_options.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "experiments/experiment.h"

namespace bertscope {

namespace {

// The value as the row's type; set_option has checked it.
uint64_t whole(const OptionValue& v) { return std::get<uint64_t>(v); }
double number(const OptionValue& v) { return std::get<double>(v); }
const std::string& text(const OptionValue& v) { return std::get<std::string>(v); }

// A parser's Error about the option's value, as an OptionError (the parsers in
// interventions/ already throw OptionErrors; the others name the value only).
template <typename Parse>
auto parsed(const char* option, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const OptionError&) {
    throw;
  } catch (const Error& e) {
    throw OptionError(option, ": " + std::string(e.what()));
  }
}

constexpr unsigned kSweepAndSpec = kUsedBySweep | kUsedBySpec;
constexpr unsigned kStatsAndSpec = kUsedByStats | kUsedBySpec;
constexpr unsigned kEverywhere = kUsedBySweep | kUsedByStats | kUsedBySpec;
constexpr unsigned kSelectsParts = kSweepAndSpec | kUsedByPatchGrid;  // units, directions, subspaces
constexpr const char* kScales[] = {"vector", "layer", "absolute"};

// clang-format off
const SpecOption kOptions[] = {
  // The experiment.
  {"layers", OptionType::IndexList, OptionLevel::Experiment, kSweepAndSpec,
   "Blocks to edit, 0-based: all, 5, 0-11, 0,4,8-11 (an array of block numbers in a spec or Python)", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.layers = text(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.layers; }},
  {"site", OptionType::Text, OptionLevel::Experiment, kSweepAndSpec,
   "Where to edit, by the names 'bertscope hooks' prints, {L} standing for each edited block: blocks.{L}.out (block "
   "output), any other blocks.{L}.* site (attn.q, attn.k, attn.v, attn.scores, attn.pattern, attn.z, attn.context, "
   "attn.head_out, attn.out, ln1.out, mlp.pre, mlp.post, mlp.out), or embed.out (the embeddings, edited once before block 0: no "
   "layers then). The part after blocks.{L}. alone is short for the same", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.site = parsed("site", text(v), parse_edit_site); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue {
     const std::string name = edit_site_name(s.site);
     return name.starts_with("blocks.{L}.") ? name.substr(11) : name;
   }},
  {"trials", OptionType::Whole, OptionLevel::Experiment, kSweepAndSpec,
   "Trials per layer for shuffle and noise (the others are deterministic: 1). Each trial is written to disk as it "
   "finishes: memory does not grow with trials", 1, 10000000, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.trials = static_cast<int>(whole(v)); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return uint64_t(s.trials); }},
  {"seed", OptionType::Whole, OptionLevel::Experiment, kEverywhere,
   "Seed of the counter-based RNG (same seed, same draws, any thread count)", 0,
   std::numeric_limits<uint64_t>::max(), "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.seed = whole(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.seed; }},
  {"paired", OptionType::Flag, OptionLevel::Experiment, kSweepAndSpec,
   "Every intervention draws the same random numbers at a (block, trial): common random numbers, for comparing "
   "interventions trial by trial (default: each its own stream)", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.paired = std::get<bool>(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.paired; }},
  {"targets", OptionType::Words, OptionLevel::Experiment, kSweepAndSpec,
   "More words whose log-softmax every trial and clean run reads beside the target's, each a word piece (he,she,they): "
   "a column each, logsoftmax_<word>, in runs, and its mean and 95% CI in summaries and the report", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.targets = std::get<std::vector<std::string>>(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.targets; }},
  {"cosine_sites", OptionType::Words, OptionLevel::Experiment, kSweepAndSpec,
   "Sites where every trial's vector at the prediction position is compared with the clean run's, names or patterns "
   "(blocks.*.out,blocks.*.attn.out): a column each, cosine_<site>, in runs (how much of the clean state survives the "
   "edit, site by site), and its mean and 95% CI in summaries", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.cosine_sites = std::get<std::vector<std::string>>(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.cosine_sites; }},
  {"top", OptionType::Whole, OptionLevel::Experiment, kSweepAndSpec, "Top-k tokens recorded per trial", 1, 1000, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.top_k = static_cast<int>(whole(v)); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return uint64_t(s.top_k); }},
  {"max_batch_tokens", OptionType::Whole, OptionLevel::Experiment, kSweepAndSpec,
   "Upper bound on token rows (trials x prompt tokens) per batched forward pass, which bounds its working memory: "
   "about rows x (7 x hidden + ffn) x 4 bytes plus trials x vocab x 4 bytes for the logits (the default: about 115 MB for "
   "bert-large). A batch holds at least one trial", 1, 1u << 24, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.max_batch_tokens = static_cast<int>(whole(v)); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return uint64_t(s.max_batch_tokens); }},
  {"figures", OptionType::Choice, OptionLevel::Experiment, kEverywhere,
   "Figures to draw: all (each prompt's, and across prompts when there are several), summary (across prompts only; one "
   "prompt: its own), none, or auto (all up to 8 prompts, summary beyond). Tables and numbers are the same whatever it "
   "says", 0, 0, "auto|all|summary|none",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.figures = text(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.figures; }},

  // Each intervention.
  {"factor", OptionType::Number, OptionLevel::Intervention, kSweepAndSpec,
   "noise: std multiplier; scale: factor; mix: weight of own state; steer: multiple of the direction; set: the value "
   "written", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.factor = number(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.factor; }},
  {"std_of", OptionType::Choice, OptionLevel::Intervention, kSweepAndSpec,
   "noise's std from: vector (the edited vector's, as h.std()), layer (the whole clean tensor's) or absolute (factor "
   "is the std)", 0, 0, "vector|layer|absolute",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) {
     for (int s = 0; s < 3; ++s) {
       if (text(v) == kScales[s]) i.std_of = static_cast<NoiseScale>(s);
     }
   },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return std::string(kScales[static_cast<int>(i.std_of)]); }},
  {"other_prompt", OptionType::Text, OptionLevel::Intervention, kSweepAndSpec,
   "mix and patch: the prompt whose state is mixed or patched in (its [MASK] maps to ours); prompts of a prompt file "
   "or spec may give their own, used when the intervention has none", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.other_prompt = text(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.other_prompt; }},
  {"positions", OptionType::IndexList, OptionLevel::Intervention, kSweepAndSpec,
   "Tokens to edit: mask (the [MASK], or a causal model's last token), last, all, word:WORD (every piece of every "
   "occurrence of the word), or indices like 1,3 ([CLS] is 0; a list of ints in Python)", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.positions = Positions::parse(text(v)); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.positions.describe(); }},
  {"heads", OptionType::IndexList, OptionLevel::Intervention, kSweepAndSpec,
   "At the per-head sites (attn.q ... attn.head_out): the heads edited, like 3,5 (empty: all)", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) {
     i.heads = text(v).empty() ? std::vector<int>{} : InterventionSpec::parse_heads(text(v));
   },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return index_list_text(i.heads); }},
  {"units", OptionType::IndexList, OptionLevel::Intervention, kSelectsParts,
   "Units (neurons) edited inside each edited vector, like 3,17 (inside each head's slice at the per-head sites; "
   "empty: the whole vector): zero, scale, mean, median, patch, mix, noise with a layer or absolute std; patch-grid: the "
   "units patched", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) {
     i.units = text(v).empty() ? std::vector<int>{} : InterventionSpec::parse_units(text(v));
   },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return index_list_text(i.units); }},
  {"units_file", OptionType::Text, OptionLevel::Intervention, kSelectsParts,
   "Units per block from bertscope neurons, as FILE:LABEL (units.csv:him: the units significant after FDR that are "
   "higher in the prompt set labelled him); a block without any is left as it is (patch-grid: patches nothing there)",
   0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.units_file = text(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.units_file; }},
  {"direction_file", OptionType::Text, OptionLevel::Intervention, kSelectsParts,
   "steer and project (patch-grid: the direction whose component is patched): the direction, per block: a .npy file "
   "([width] for every block, or [blocks, width]), or a units file of bertscope neurons and a set (units.csv:him: the "
   "mean of him minus the mean of the other set)", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.direction_file = text(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.direction_file; }},
  {"direction_to", OptionType::Texts, OptionLevel::Intervention, kSelectsParts,
   "steer, project and patch-grid, instead of --direction-file: the prompts whose mean activation at the site (every "
   "position) the direction points to, from --direction-from's (on the command line a prompt file)", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.direction_to = std::get<std::vector<std::string>>(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.direction_to; }},
  {"direction_from", OptionType::Texts, OptionLevel::Intervention, kSelectsParts,
   "steer, project and patch-grid, with --direction-to: the prompts whose mean activation the direction starts from", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.direction_from = std::get<std::vector<std::string>>(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.direction_from; }},
  {"components", OptionType::Whole, OptionLevel::Intervention, kSelectsParts,
   "pca: how many top principal components are removed (with --basis-file: its first rows); patch-grid: the "
   "dimension of the subspace patched", 1, 4096, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.components = static_cast<int>(whole(v)); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return uint64_t(i.components); }},
  {"basis_prompts", OptionType::Texts, OptionLevel::Intervention, kSelectsParts,
   "pca and patch-grid: the prompts whose activations at the site (every position) give each block's principal "
   "components (on the command line a prompt file)", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.basis_prompts = std::get<std::vector<std::string>>(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.basis_prompts; }},
  {"basis_file", OptionType::Text, OptionLevel::Intervention, kSelectsParts,
   "pca and patch-grid, instead of --basis-prompts: a .npy of basis rows ([rows, width] for every block, or [blocks, "
   "rows, width]); its first --components rows, orthonormalized, span the subspace removed (h - U U^T h, no mean) or "
   "patched", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.basis_file = text(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.basis_file; }},
  {"attend_to", OptionType::Whole, OptionLevel::Intervention, kSweepAndSpec,
   "attend: the key position the edited queries attend to ([CLS] is 0)", 0, 1u << 20, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.attend_to = static_cast<int>(whole(v)); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return uint64_t(i.attend_to); }},
  {"mean_prompts", OptionType::Texts, OptionLevel::Intervention, kSweepAndSpec,
   "mean and median: over every position of these prompts instead of the prompt's own (on the command line a prompt "
   "file as --prompts: .txt one a line, .jsonl, .csv)", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.mean_prompts = std::get<std::vector<std::string>>(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.mean_prompts; }},
  {"label", OptionType::Text, OptionLevel::Intervention, kSweepAndSpec,
   "The intervention's name in tables and figures (empty: its kind and options, like \"noise x2 (vector std)\")", 0, 0, "",
   [](ExperimentSpec&, InterventionSpec& i, const OptionValue& v) { i.label_text = text(v); },
   [](const ExperimentSpec&, const InterventionSpec& i) -> OptionValue { return i.label_text; }},

  // The hidden states' distributions (`bertscope stats`, a spec's [distributions]).
  {"noise_factor", OptionType::Number, OptionLevel::Distributions, kStatsAndSpec,
   "The Gaussian reference's std: this factor x the state's own std", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.distribution.noise_factor = number(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.distribution.noise_factor; }},
  {"bins", OptionType::Whole, OptionLevel::Distributions, kStatsAndSpec, "Histogram bins", 1, 100000, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.distribution.bins = static_cast<int>(whole(v)); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return uint64_t(s.distribution.bins); }},
  {"low", OptionType::Number, OptionLevel::Distributions, kStatsAndSpec, "Histogram lower edge", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.distribution.histogram_low = number(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.distribution.histogram_low; }},
  {"high", OptionType::Number, OptionLevel::Distributions, kStatsAndSpec, "Histogram upper edge", 0, 0, "",
   [](ExperimentSpec& s, InterventionSpec&, const OptionValue& v) { s.distribution.histogram_high = number(v); },
   [](const ExperimentSpec& s, const InterventionSpec&) -> OptionValue { return s.distribution.histogram_high; }},
};
// clang-format on

std::string format_double(double x) {
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;
  return std::string(buffer, end);
}

}  // namespace

std::string SpecOption::cli_flag() const { return OptionError::cli_flag(name); }

std::span<const SpecOption> spec_options() { return kOptions; }

const SpecOption* find_spec_option(std::string_view name) {
  for (const SpecOption& o : kOptions) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

OptionValue default_value(const SpecOption& option) { return option.get(ExperimentSpec{}, InterventionSpec{}); }

std::string option_text(const OptionValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const uint64_t* w = std::get_if<uint64_t>(&value)) return std::to_string(*w);
  if (const double* d = std::get_if<double>(&value)) return format_double(*d);
  if (const std::string* s = std::get_if<std::string>(&value)) return *s;
  std::string list;
  for (const std::string& s : std::get<std::vector<std::string>>(value)) list += (list.empty() ? "" : ", ") + s;
  return "[" + list + "]";
}

std::string default_text(const SpecOption& option) {
  if (std::string_view(option.name) != "factor") return option_text(default_value(option));
  // The one default that depends on the kind: read from each kind's defaults.
  std::string text;
  for (int k = 0; k < kInterventionKinds; ++k) {
    const InterventionSpec spec = InterventionSpec::of_kind(static_cast<InterventionKind>(k));
    if (!spec.uses_factor()) continue;
    text += (text.empty() ? "" : ", ") + InterventionSpec::kind_name(spec.kind) + " " + format_double(spec.factor);
  }
  return "per kind: " + text;
}

std::string expected_value(const SpecOption& option) {
  switch (option.type) {
    case OptionType::Flag: return "true or false";
    case OptionType::Whole: return "a whole number from " + std::to_string(option.min) + " to " + std::to_string(option.max);
    case OptionType::Number: return "a finite number";
    case OptionType::Text: return "a string";
    case OptionType::Choice: {
      std::string list;
      for (const char* c = option.choices; *c; ++c) list += *c == '|' ? std::string(", ") : std::string(1, *c);
      return "one of " + list;
    }
    case OptionType::IndexList: return "a string like \"3,5\" or \"0-5\", or a list of whole numbers";
    case OptionType::Texts: return "a list of strings";
    case OptionType::Words: return "a list of words (on the command line: he,she,they)";
  }
  return "";
}

OptionValue parse_option_text(const SpecOption& option, const std::string& value) {
  const char* begin = value.data();
  const char* end = begin + value.size();
  const auto bad = [&]() -> OptionError {
    return OptionError(option.name, " must be " + expected_value(option) + ", not '" + value + "'");
  };
  switch (option.type) {
    case OptionType::Flag:
      if (value == "true") return true;
      if (value == "false") return false;
      throw bad();
    case OptionType::Whole: {
      // Digits only: from_chars alone would take "-0" nowhere but also no '+', no spaces.
      uint64_t number = 0;
      const auto [at, ec] = std::from_chars(begin, end, number);
      if (value.empty() || ec != std::errc() || at != end) throw bad();
      return number;
    }
    case OptionType::Number: {
      double number = 0.0;
      const auto [at, ec] = std::from_chars(begin, end, number, std::chars_format::general);
      if (value.empty() || ec != std::errc() || at != end || !std::isfinite(number)) throw bad();
      return number;
    }
    case OptionType::Texts: return std::vector<std::string>{value};
    case OptionType::Words: {
      std::vector<std::string> words;
      for (size_t start = 0;;) {
        const size_t comma = value.find(',', start);
        words.push_back(value.substr(start, comma - start));
        if (words.back().empty()) throw bad();
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return words;
    }
    default: return value;
  }
}

void set_option(const SpecOption& option, const OptionValue& value, ExperimentSpec& spec, InterventionSpec& intervention) {
  const auto wrong = [&]() -> OptionError { return OptionError(option.name, " must be " + expected_value(option)); };
  OptionValue checked = value;
  switch (option.type) {
    case OptionType::Flag:
      if (!std::holds_alternative<bool>(value)) throw wrong();
      break;
    case OptionType::Whole: {
      if (!std::holds_alternative<uint64_t>(value)) throw wrong();
      const uint64_t w = std::get<uint64_t>(value);
      if (w < option.min || w > option.max) {
        throw OptionError(option.name, " must be " + expected_value(option) + ", not " + std::to_string(w));
      }
      break;
    }
    case OptionType::Number:
      if (const uint64_t* w = std::get_if<uint64_t>(&value)) checked = static_cast<double>(*w);
      if (!std::holds_alternative<double>(checked) || !std::isfinite(std::get<double>(checked))) throw wrong();
      break;
    case OptionType::Choice: {
      if (!std::holds_alternative<std::string>(value)) throw wrong();
      bool known = false;
      std::string_view choices = option.choices;
      while (!choices.empty()) {
        const size_t bar = choices.find('|');
        known |= choices.substr(0, bar) == text(value);
        choices = bar == std::string_view::npos ? "" : choices.substr(bar + 1);
      }
      if (!known) throw OptionError(option.name, " must be " + expected_value(option) + ", not '" + text(value) + "'");
      break;
    }
    case OptionType::Text:
    case OptionType::IndexList:
      if (!std::holds_alternative<std::string>(value)) throw wrong();
      break;
    case OptionType::Texts:
      if (!std::holds_alternative<std::vector<std::string>>(value)) throw wrong();
      break;
    case OptionType::Words:
      if (!std::holds_alternative<std::vector<std::string>>(value)) throw wrong();
      for (const std::string& word : std::get<std::vector<std::string>>(value)) {
        if (word.empty() || word.find_first_of(" \t\n") != std::string::npos) {
          throw OptionError(option.name, " must be " + expected_value(option) + ", not '" + word + "' (one word each)");
        }
      }
      break;
  }
  option.set(spec, intervention, checked);
}

}  // namespace bertscope
