#pragma once
// An intervention described as data (kind + options + where), and how it edits the
// activations of one trial. The sweep applies it at a hook site for each trial.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "interventions/random_stream.h"
#include "model/hooks.h"

namespace bertscope {

enum class InterventionKind { Shuffle, Noise, Scale, Zero, Skip, Mix, Patch };

// Where the noise std comes from: the edited vector (the notebook's h.std()), the whole
// clean tensor at that site (all tokens x dims), or the factor itself (absolute std).
enum class NoiseScale { Vector, Layer, Absolute };

// Which token positions are edited.
struct Positions {
  enum class Mode { Mask, All, List } mode = Mode::Mask;
  std::vector<int> list;  // with Mode::List

  // "mask", "all" or "1,3,5". Throws Error on anything else.
  static Positions parse(const std::string& text);
  std::string describe() const;
  // The positions in a sequence of `seq` tokens whose [MASK] is at `mask_index`.
  std::vector<int> resolve(int mask_index, int seq) const;
};

struct InterventionSpec {
  InterventionKind kind = InterventionKind::Shuffle;
  double factor = 0.0;  // noise: std multiplier (or the std, absolute); scale: factor; mix: weight a of h
  NoiseScale std_of = NoiseScale::Vector;
  Positions positions;
  std::string other_prompt;  // mix, patch

  // Defaults of each kind: noise x2 of the vector std, scale 0.5, mix 0.5.
  static InterventionSpec of_kind(InterventionKind kind);
  static std::optional<InterventionKind> parse_kind(const std::string& name);
  static std::string kind_name(InterventionKind kind);
  // A short label for tables and plots, e.g. "noise x2 (vector std)".
  std::string label() const;
  // Whether trials differ (shuffle, noise); the others give the same result every trial.
  bool is_random() const;
  bool needs_other_prompt() const;
  // Noise, scale and mix read `factor`; for the others it must stay 0.
  bool uses_factor() const;
  // Checks options: throws Error naming the bad option.
  void validate() const;
};

// What one edit did, for the statistics of the noise actually injected.
struct EditRecord {
  double noise_std = 0.0;   // std of the added noise over all edited values
  double noise_scale = 0.0; // the scale the z draws were multiplied by (mean over positions)
};

// Applies `spec` to batch element `b` of `view` at `positions`. `stream` is the trial's
// random stream. `other` holds the other prompt's activations at the same site, one row
// per entry of `positions` (mix/patch), `layer_std` the std of the clean tensor at the
// site (NoiseScale::Layer). Skip is not an edit of values: the sweep handles it.
EditRecord apply_intervention(const InterventionSpec& spec, const ActivationView& view, int b,
                              const std::vector<int>& positions, RandomStream& stream,
                              const std::vector<const float*>& other, double layer_std);

}  // namespace bertscope
