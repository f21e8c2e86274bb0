#include "experiments/patch_selection.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "experiments/directions.h"
#include "experiments/patch_grid.h"

namespace bertscope {

namespace {

std::string units_option(const InterventionSpec& part) { return part.units.empty() ? "units_file" : "units"; }

}  // namespace

PatchSelection PatchSelection::of(const Encoder& model, const InterventionSpec& part, SiteKind site) {
  const bool units = part.edits_units();
  const bool direction = !part.direction_file.empty() || !part.direction_to.empty() || !part.direction_from.empty();
  const bool subspace = !part.basis_file.empty() || !part.basis_prompts.empty();
  PatchSelection selection;
  if (!units && !direction && !subspace) return selection;
  if (units + direction + subspace > 1) {
    const std::string first = units ? units_option(part) : "direction_file";
    throw OptionError(first, " and " + std::string(subspace ? "basis_file/basis_prompts" : "direction_file") +
                                 " both choose the part of each vector that is patched; give one of them");
  }
  const std::string site_name = grid_site_name(site);
  if (!units && is_per_head(site)) {
    throw OptionError(direction ? "direction_file" : "basis_file",
                      " patches a direction or subspace of one position's vector (out, attn.out, mlp.out, mlp.post, ...), "
                      "not of the per-head " + site_name + "; select units of each head's slice there instead");
  }
  // The checks and readers of the edits that select the same parts: zero (units), project
  // (a direction) and pca (a subspace).
  InterventionSpec spec = part;
  spec.kind = units ? InterventionKind::Zero : direction ? InterventionKind::Project : InterventionKind::Pca;
  spec.factor = 0.0;
  spec.validate();
  spec.validate_at(site, model.config().num_attention_heads);

  if (units) {
    selection.mode_ = Mode::Units;
    selection.units_ = UnitSelection::of(spec, site);
    selection.slice_ = is_per_head(site) ? model.config().head_dim() : static_cast<int>(model.site_width(site, 1));
    for (int layer = -1; layer < model.layers(); ++layer) {
      const std::vector<int>* chosen = selection.units_.at(layer);
      for (int unit : chosen ? *chosen : std::vector<int>{}) {
        if (unit >= selection.slice_) {
          throw OptionError(units_option(part), ": unit " + std::to_string(unit) + " is beyond " + site_name + "'s " +
                                                    std::to_string(selection.slice_) + " units" +
                                                    (is_per_head(site) ? " per head" : ""));
        }
      }
    }
    selection.description_ = part.units.empty() ? "units of " + part.units_file : "units " + index_list_text(part.units);
    return selection;
  }

  selection.mode_ = Mode::Rows;
  const std::vector<std::vector<float>> vectors = site_vectors(model, spec, site);
  const auto width = static_cast<size_t>(model.site_width(site, 1));
  selection.rows_.resize(vectors.size());
  for (size_t slot = 0; slot < vectors.size(); ++slot) {
    const std::vector<float>& v = vectors[slot];
    // project: one direction, normalized here (a block without one patches nothing); pca:
    // the mean, which a difference of two runs does not see, then orthonormal rows.
    for (size_t at = direction ? 0 : width; at + width <= v.size(); at += width) {
      std::vector<double> row(v.begin() + static_cast<std::ptrdiff_t>(at), v.begin() + static_cast<std::ptrdiff_t>(at + width));
      double norm = 0.0;
      for (double x : row) norm += x * x;
      if (!(norm > 0.0)) continue;
      for (double& x : row) x /= std::sqrt(norm);
      selection.rows_[slot].push_back(std::move(row));
    }
  }
  if (direction) {
    selection.description_ = "the direction of " + (part.direction_file.empty()
                                                         ? std::to_string(part.direction_to.size()) + " minus " +
                                                               std::to_string(part.direction_from.size()) + " prompts"
                                                         : part.direction_file);
  } else {
    const std::string k = std::to_string(part.components);
    selection.description_ = part.basis_file.empty()
                                 ? "the top " + k + " principal components of " + std::to_string(part.basis_prompts.size()) +
                                       " prompts' activations"
                                 : "the first " + k + " basis rows of " + part.basis_file;
  }
  return selection;
}

std::vector<char> PatchSelection::unit_mask(int layer) const {
  std::vector<char> keep(static_cast<size_t>(slice_), 0);
  if (const std::vector<int>* chosen = units_.at(layer)) {
    for (int unit : *chosen) keep[static_cast<size_t>(unit)] = 1;
  }
  return keep;
}

void PatchSelection::patch(const float* clean, float* into, int length, int layer) const {
  const auto n = static_cast<size_t>(length);
  if (mode_ == Mode::Whole) {
    std::copy_n(clean, n, into);
    return;
  }
  if (mode_ == Mode::Units) {  // copied, not added: the units hold the clean values exactly
    const std::vector<char> keep = unit_mask(layer);
    for (size_t i = 0; i < n; ++i) {
      if (keep[i % keep.size()]) into[i] = clean[i];
    }
    return;
  }
  std::vector<double> delta(n);
  for (size_t i = 0; i < n; ++i) delta[i] = static_cast<double>(clean[i]) - into[i];
  project(delta.data(), length, layer);
  for (size_t i = 0; i < n; ++i) into[i] = static_cast<float>(into[i] + delta[i]);
}

void PatchSelection::project(double* delta, int length, int layer) const {
  const auto n = static_cast<size_t>(length);
  if (mode_ == Mode::Whole) return;
  if (mode_ == Mode::Units) {
    const std::vector<char> keep = unit_mask(layer);
    for (size_t i = 0; i < n; ++i) {
      if (!keep[i % keep.size()]) delta[i] = 0.0;
    }
    return;
  }
  std::vector<double> out(n, 0.0);
  for (const std::vector<double>& u : rows_[static_cast<size_t>(layer + 1)]) {
    double dot = 0.0;
    for (size_t i = 0; i < n; ++i) dot += u[i] * delta[i];
    for (size_t i = 0; i < n; ++i) out[i] += dot * u[i];
  }
  std::copy(out.begin(), out.end(), delta);
}

}  // namespace bertscope
