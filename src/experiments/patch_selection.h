#pragma once
// Which part of a vector a patch-grid cell copies from the clean run into the corrupted one:
// all of it, some units (neurons), the component along a direction, or a subspace. The cell's
// value is h_corrupted + P (h_clean - h_corrupted), with P the projection onto that part, and
// attribution patching estimates it from the same P: (P delta) . gradient.
#include <string>
#include <vector>

#include "experiments/unit_selection.h"
#include "interventions/intervention.h"
#include "model/encoder.h"

namespace bertscope {

class PatchSelection {
 public:
  // The whole vector.
  PatchSelection() = default;
  // From the options of `part` that the option table's patch-grid rows set: units or
  // units_file (inside each head's slice at the per-head sites), direction_file or
  // direction_to/direction_from (a direction of the site, as steer and project read it), or
  // basis_file or basis_prompts with components (a subspace, as pca reads it). None of them:
  // the whole vector. Throws OptionError naming the option that does not fit `site`, or two
  // selections given at once, and Error for a file or prompts that cannot give it.
  static PatchSelection of(const Encoder& model, const InterventionSpec& part, SiteKind site);

  bool whole() const { return mode_ == Mode::Whole; }
  // "whole vectors", "units 3,17", "units of units.csv:him", "the direction of d.npy", "the top 2
  // principal components of 12 prompts' activations", for tables and files.
  const std::string& describe() const { return description_; }
  // Replaces `delta`, one piece of `length` values at block `layer` (a position's vector, or
  // a head's slice), by P delta.
  void project(double* delta, int length, int layer) const;
  // Sets `into` (the corrupted run's piece) to into + P (clean - into). Whole vectors and
  // units are copied as they are, bit for bit.
  void patch(const float* clean, float* into, int length, int layer) const;

 private:
  enum class Mode { Whole, Units, Rows };
  // Units: 1 where a unit of block `layer` is selected, over one slice.
  std::vector<char> unit_mask(int layer) const;
  Mode mode_ = Mode::Whole;
  std::string description_ = "whole vectors";
  UnitSelection units_;
  int slice_ = 0;  // Units: the piece's length they index (a head's slice at the per-head sites)
  // Rows, indexed by block + 1 as site_vectors: orthonormal rows of the site's width (none: P = 0).
  std::vector<std::vector<std::vector<double>>> rows_;
};

}  // namespace bertscope
