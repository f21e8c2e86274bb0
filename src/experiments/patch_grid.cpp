#include "experiments/patch_grid.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.h"
#include "experiments/experiment.h"
#include "experiments/mask_prediction.h"

namespace bertscope {

namespace {

// The metric at the [MASK] row of `hidden` (the last block's output of element b).
double metric_of(const Encoder& model, const HiddenState& last, int b, int mask, int target, int foil) {
  const std::vector<float> logits = model.mlm_logits(last, b, mask);
  if (foil >= 0) return static_cast<double>(logits[static_cast<size_t>(target)]) - logits[static_cast<size_t>(foil)];
  return log_softmax(logits)[static_cast<size_t>(target)];
}

struct SiteKey {
  SiteKind kind;
  int layer;
  bool operator<(const SiteKey& o) const { return kind != o.kind ? kind < o.kind : layer < o.layer; }
};

// Whether a position's values at `kind` are one contiguous row that a cell can copy: the
// [seq, width] sites, and q, k, v and z of [seq, heads, head_dim]. Not embed.out (before every
// block), nor the scores, pattern or head_out, whose rows are not positions.
bool patchable_by_position(SiteKind kind) {
  if (kind == SiteKind::EmbedOut) return false;
  return !is_per_head(kind) || kind == SiteKind::AttnQ || kind == SiteKind::AttnK || kind == SiteKind::AttnV ||
         kind == SiteKind::AttnZ;
}

}  // namespace

std::string grid_site_name(SiteKind kind) { return HookSite::block(kind, 0).name().substr(std::string("blocks.0.").size()); }

PatchGridResult prepare_patch_grid(const Encoder& model, const PatchGridRequest& request) {
  PatchGridResult result;
  result.clean = MaskedPrompt::prepare(model, request.clean_prompt, request.target);
  result.corrupted = MaskedPrompt::prepare(model, request.corrupted_prompt, request.target);
  if (result.clean.ids.size() != result.corrupted.ids.size()) {
    throw Error("the clean prompt has " + std::to_string(result.clean.ids.size()) + " tokens and the corrupted one " +
                std::to_string(result.corrupted.ids.size()) +
                " (with [CLS] and [SEP]): patching copies position by position, so they need the same length");
  }
  result.foil = request.foil;
  if (!request.foil.empty()) result.foil_id = single_piece_id(model, request.foil, "foil");
  if (result.foil_id >= 0 && result.foil_id == result.clean.target_id) {
    // logit[target] - logit[foil] would be 0 in every cell: a grid that measures nothing.
    throw OptionError("foil", " \"" + request.foil + "\" is the same word piece as the target \"" + request.target +
                                  "\": the metric target - foil would be 0 everywhere; choose another foil, or none for "
                                  "the target's log-prob");
  }
  result.metric_name = request.foil.empty() ? "target_logsoftmax" : "logit_diff";
  const std::vector<SiteKind> sites = request.heads ? std::vector<SiteKind>{SiteKind::AttnZ} : request.sites;
  if (sites.empty()) throw Error("patch-grid needs at least one site");
  for (size_t i = 0; i < sites.size(); ++i) {
    const SiteKind kind = sites[i];
    if (!request.heads && !patchable_by_position(kind)) {
      throw Error("patch-grid patches positions at block sites of [seq, width] (out, attn.out, mlp.out, ...) or "
                  "[seq, heads, head_dim] (attn.q, attn.k, attn.v, attn.z: every head at the position), not at " +
                  edit_site_name(kind) + "; use --heads for heads");
    }
    // As a repeated position or head is: the grid has one table per site, and a second
    // one of the same site would be the same cells again under the same name.
    if (std::find(sites.begin(), sites.begin() + static_cast<std::ptrdiff_t>(i), kind) != sites.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw Error("--sites lists " + edit_site_name(kind) + " twice (under this or another of its names); each site is "
                  "patched once");
    }
  }
  for (SiteKind kind : sites) result.selections[kind] = PatchSelection::of(model, request.part, kind);
  const int elements = request.heads ? model.config().num_attention_heads : static_cast<int>(result.clean.ids.size());
  for (SiteKind kind : sites) {
    for (int layer = 0; layer < model.layers(); ++layer) {
      for (int e = 0; e < elements; ++e) {
        result.cells.push_back({kind, layer, request.heads ? -1 : e, request.heads ? e : -1, 0.0, 0.0});
      }
    }
  }
  return result;
}

void patch_cells(const Encoder& model, PatchGridResult& result, std::vector<PatchCell>& cells) {
  const int layers = model.layers();
  const int target = result.clean.target_id, foil = result.foil_id;

  // Clean activations at every (site, layer) of the cells, and the two reference metrics.
  std::map<SiteKey, std::vector<float>> clean_values;
  Hooks capture;
  for (const PatchCell& cell : cells) {
    if (clean_values.count({cell.site, cell.layer})) continue;
    clean_values[{cell.site, cell.layer}];
    capture.add(HookSite::block(cell.site, cell.layer), [&clean_values](const HookSite& s, ActivationView v) {
      clean_values[{s.kind, s.layer}].assign(v.data, v.data + v.size());
    });
  }
  result.clean_metric =
      metric_of(model, model.forward(TokenBatch::single(result.clean.ids), &capture), 0, result.clean.mask_index, target, foil);
  std::vector<HiddenState> corrupted_hidden;  // [0] embeddings, [L + 1] block L's output
  const HiddenState corrupted_last = model.forward(TokenBatch::single(result.corrupted.ids), nullptr, &corrupted_hidden);
  result.corrupted_metric = metric_of(model, corrupted_last, 0, result.corrupted.mask_index, target, foil);
  const double span = result.clean_metric - result.corrupted_metric;

  // One batched run per (site, layer): element e is patched at its own cell (a position, or
  // a head at every position), and all start from the corrupted run's input to block L.
  const int head_dim = model.config().head_dim();
  std::map<SiteKey, std::vector<PatchCell*>> groups;
  for (PatchCell& cell : cells) groups[{cell.site, cell.layer}].push_back(&cell);
  for (const auto& entry : groups) {
    // Named references, not structured bindings: the hook's lambda captures them (C++20 lets
    // lambdas capture bindings, but clang only from 16).
    const SiteKey& key = entry.first;
    const std::vector<PatchCell*>& group = entry.second;
    const std::vector<float>& clean = clean_values.at(key);
    const PatchSelection& part = result.selections.at(key.kind);
    Hooks patch;
    patch.add(HookSite::block(key.kind, key.layer), [&](const HookSite&, ActivationView v) {
      for (int e = 0; e < v.batch; ++e) {
        const PatchCell& cell = *group[static_cast<size_t>(e)];
        if (cell.head >= 0) {
          for (int s = 0; s < v.seq; ++s) {
            const size_t offset = static_cast<size_t>(s) * v.width + static_cast<size_t>(cell.head) * head_dim;
            part.patch(clean.data() + offset, v.row(e, s) + static_cast<size_t>(cell.head) * head_dim, head_dim, key.layer);
          }
        } else {
          part.patch(clean.data() + static_cast<size_t>(cell.position) * v.width, v.row(e, cell.position), v.width, key.layer);
        }
      }
    });
    const HiddenState& input = corrupted_hidden[static_cast<size_t>(key.layer)];
    const int elements = static_cast<int>(group.size());
    HiddenState last{elements, input.seq, input.width, std::vector<int>(group.size(), input.seq), {}};
    for (int e = 0; e < elements; ++e) last.values.insert(last.values.end(), input.values.begin(), input.values.end());
    model.run_blocks(last, key.layer, layers, &patch);
    for (int e = 0; e < elements; ++e) {
      PatchCell& cell = *group[static_cast<size_t>(e)];
      cell.metric = metric_of(model, last, e, result.corrupted.mask_index, target, foil);
      // With clean = corrupted there is no scale to normalize by: 0/0 is no number, and
      // NaN is written as an empty cell (CSV), null (JSON) and a blank square (figures).
      cell.normalized = span != 0.0 ? (cell.metric - result.corrupted_metric) / span : std::nan("");
    }
  }
}

PatchGridResult run_patch_grid(const Encoder& model, const PatchGridRequest& request) {
  PatchGridResult result = prepare_patch_grid(model, request);
  patch_cells(model, result, result.cells);
  return result;
}

}  // namespace bertscope
