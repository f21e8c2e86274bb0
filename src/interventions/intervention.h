#pragma once
// An intervention described as data (kind + options + where), and how it edits the
// activations of one trial. The sweep applies it at a hook site for each trial.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "interventions/random_stream.h"
#include "model/hooks.h"
#include "tokenizer/tokenizer.h"

namespace bertscope {

enum class InterventionKind { Shuffle, Noise, Scale, Zero, Skip, Mix, Patch, Mean, Median, Uniform, Attend, Steer, Project, Pca, Set };
inline constexpr int kInterventionKinds = static_cast<int>(InterventionKind::Set) + 1;

// Where the noise std comes from: the edited vector (the notebook's h.std()), the whole
// clean tensor at that site (all tokens x dims), or the factor itself (absolute std).
enum class NoiseScale { Vector, Layer, Absolute };

// {1, 3, 5} -> "1,3,5": an index list as the options write it (positions, heads, units).
std::string index_list_text(const std::vector<int>& indices);

// Which token positions are edited. Mask is the prediction position: the [MASK] of a masked
// LM, the last token of a causal one (GPT-2 predicts the token after it); Last is the
// prompt's last token in any model ([SEP] in BERT's, the prediction position in GPT-2's).
// Word is every piece of every occurrence of a word ("word:him"), matched as the tokenizer
// writes it mid-sentence ("him", "Ġhim", "▁him") or at the start of the text.
struct Positions {
  enum class Mode { Mask, Last, All, List, Word } mode = Mode::Mask;
  std::vector<int> list;  // with Mode::List
  std::string word;       // with Mode::Word

  // "mask", "last", "all", "word:him" or "1,3,5". Throws OptionError on anything else.
  static Positions parse(const std::string& text);
  std::string describe() const;
  // The positions in the tokens `ids` of a prompt whose [MASK] (prediction position) is at
  // `mask_index`. Throws Error when a listed position is past the end or the word is not there.
  std::vector<int> resolve(int mask_index, const std::vector<int>& ids, const Tokenizer& tokenizer) const;
};

struct InterventionSpec {
  InterventionKind kind = InterventionKind::Shuffle;
  double factor = 0.0;  // noise: std multiplier (or the std, absolute); scale: factor; mix: weight a of h
  NoiseScale std_of = NoiseScale::Vector;
  Positions positions;
  std::string other_prompt;  // mix, patch
  std::vector<int> heads;    // at the per-head sites: the heads edited (empty: all)
  int attend_to = 0;         // attend: the key position every edited query attends to
  std::vector<std::string> mean_prompts;  // mean, median: over these prompts' positions instead
  std::string label_text;    // the spec's `label`; empty: default_label()
  // Units (neurons): the indices edited inside each edited vector (inside each head's slice
  // at the per-head sites), at every block; empty: the whole vector. units_file instead names
  // a set per block from `bertscope neurons`: "units.csv:him", its significant units that are
  // higher in the prompt set labelled "him" (experiments/unit_selection.h reads it).
  std::vector<int> units;
  std::string units_file;
  // steer (h + factor v) and project (h minus its component along v): v per block, from a
  // .npy file ([width] or [blocks, width]) or a units file's mean difference toward a set
  // ("units.csv:him": mean of "him" minus mean of the other set; experiments/directions.h).
  std::string direction_file;
  // steer and project, instead of a file: the mean difference of the site's activations
  // over every position of `direction_to` minus over every position of `direction_from`,
  // per block (a steering vector from two prompt sets, as in activation addition).
  std::vector<std::string> direction_to, direction_from;
  // pca: the top `components` principal components of the site's activations over every
  // position of `basis_prompts`, per block, removed: h - U U^T (h - mean). Or, with
  // basis_file, a given basis: a .npy of rows ([rows, width] for every block, or [blocks,
  // rows, width]), whose first `components` rows, orthonormalized, span the subspace
  // removed: h - U U^T h.
  int components = 1;
  std::vector<std::string> basis_prompts;
  std::string basis_file;

  // "3,5" -> {3, 5}. Throws Error on anything else.
  static std::vector<int> parse_heads(const std::string& text);
  static std::vector<int> parse_units(const std::string& text);
  // "path/units.csv:him" -> {"path/units.csv", "him"}. Throws OptionError naming `option`
  // without a label.
  static std::pair<std::string, std::string> split_units_file(const std::string& text,
                                                              const std::string& option = "units_file");
  bool edits_units() const { return !units.empty() || !units_file.empty(); }

  // Defaults of each kind: noise x2 of the vector std, scale 0.5, mix 0.5.
  static InterventionSpec of_kind(InterventionKind kind);
  static std::optional<InterventionKind> parse_kind(const std::string& name);
  static std::string kind_name(InterventionKind kind);
  // "shuffle, noise, ...": every kind, for messages.
  static std::string kind_list();
  // The name of this intervention in tables and plots: the spec's `label`, else
  // default_label(). An experiment makes its labels unique (ExperimentSpec).
  std::string label() const { return label_text.empty() ? default_label() : label_text; }
  // Kind and every option that tells two of a kind apart, e.g. "noise x2 (vector std)",
  // "mix 0.5 @all with \"The capital of Italy is [MASK].\"".
  std::string default_label() const;
  // Whether trials differ (shuffle, noise); the others give the same result every trial.
  bool is_random() const;
  bool needs_other_prompt() const;
  // Noise, scale, mix and steer read `factor`; for the others it must stay 0.
  bool uses_factor() const;
  // Mean and median: the value set in is a statistic of clean values (over the prompt's
  // positions, or over mean_prompts').
  bool is_statistic() const { return kind == InterventionKind::Mean || kind == InterventionKind::Median; }
  // "noise, scale, mix and steer": the kinds that read `factor`, for messages.
  static std::string factor_kinds();
  // Checks options: throws Error naming the bad option.
  void validate() const;
  // Checks the options against the site edited and the model's heads (--heads only at the
  // per-head sites, uniform and attend only at attn.pattern).
  void validate_at(SiteKind site, int model_heads) const;
};

// Whether an edit of `kind` reads a vector (or basis) of the site's whole width per block:
// steer, project and pca, which edit whole rows of sites that are not split by head.
bool uses_site_vectors(InterventionKind kind);

// One edited piece of a view: `length` floats at `offset` of row (b, row) (hooks.h).
struct EditSegment {
  int row = 0;
  int offset = 0;
  int length = 0;
};

// The pieces of a view of `shape` (batch first, hooks.h) that an edit of `positions` at a
// site of `kind` changes: the whole rows of those positions, or at the per-head sites each
// chosen head's slice of them (scores and pattern: that head's row of each query position).
// With `units`, only those indices of each piece, one segment each. Ordered by position, then
// head, then unit. Throws OptionError when a unit is past a piece's end.
std::vector<EditSegment> edit_segments(const std::vector<int64_t>& shape, SiteKind kind, const std::vector<int>& positions,
                                       const std::vector<int>& heads, const std::vector<int>* units = nullptr);

// What one edit did, for the statistics of the noise actually injected.
struct EditRecord {
  double noise_std = 0.0;   // std of the added noise over all edited values
  double noise_scale = 0.0; // the scale the z draws were multiplied by (mean over positions)
};

// The random stream of one trial. It is keyed by the intervention's place in the experiment
// (its index), so two noise arms of the same kind draw independent z. With `paired`, every
// intervention draws the same stream at a (layer, trial): common random numbers, on purpose,
// for comparing arms with less variance.
RandomStream trial_stream(uint64_t seed, int intervention, bool paired, int layer, int trial);

// Applies `spec` to batch element `b` of `view` at `segments`. `stream` is the trial's
// random stream. `other` holds, per segment, the values patched or mixed in (mix/patch:
// the other prompt's; mean: the clean mean over the prompt's positions; steer and project:
// the direction; pca: the mean, then the `components` basis vectors), `layer_std` the
// std of the clean tensor at the site (NoiseScale::Layer). Skip is not an edit of values:
// the sweep handles it.
EditRecord apply_intervention(const InterventionSpec& spec, const ActivationView& view, int b,
                              const std::vector<EditSegment>& segments, RandomStream& stream,
                              const std::vector<const float*>& other, double layer_std);

}  // namespace bertscope
