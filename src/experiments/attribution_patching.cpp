#include "experiments/attribution_patching.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.h"

namespace bertscope {

namespace {

bool is_query_or_key(SiteKind kind) { return kind == SiteKind::AttnQ || kind == SiteKind::AttnK; }

// AtP*'s QK fix for one q or k cell: the corrupted pattern rows that patching the cell
// changes, recomputed with the clean q (row `position`) or k (column `position`), then
// (pattern_patched - pattern) . d metric / d pattern. A row's scores change by
// delta_j = (q_i . k_j)_patched - (q_i . k_j) over sqrt(head_dim), so its softmax is
// p_j exp(delta_j) / sum_j p_j exp(delta_j): no scores or masks needed, and a key the pattern
// gives no weight (masked, or below float32's range) stays at none.
double qk_fixed_estimate(const PatchCell& cell, const GradientResult& clean, const GradientResult& corrupted,
                         int heads, int head_dim) {
  const HookSite site = HookSite::block(cell.site, cell.layer);
  const auto& q = corrupted.activation(HookSite::block(SiteKind::AttnQ, cell.layer)).values;
  const auto& k = corrupted.activation(HookSite::block(SiteKind::AttnK, cell.layer)).values;
  const auto& a_clean = clean.activation(site).values;
  const auto& a_corrupted = corrupted.activation(site).values;
  const SiteValues& pattern_site = corrupted.activation(HookSite::block(SiteKind::AttnPattern, cell.layer));
  const auto& pattern = pattern_site.values;
  const auto& d_pattern = corrupted.gradient(HookSite::block(SiteKind::AttnPattern, cell.layer)).values;
  const auto seq = static_cast<size_t>(pattern_site.shape.back());
  const auto width = static_cast<size_t>(heads) * static_cast<size_t>(head_dim);
  const auto d = static_cast<size_t>(head_dim);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const auto p = static_cast<size_t>(cell.position);
  const bool query = cell.site == SiteKind::AttnQ;
  // The change of score (i, j) of head h: the patched vector's difference dotted with the other side.
  const auto delta = [&](size_t h, size_t i, size_t j) {
    const size_t changed = query ? i : j, other = query ? j : i;
    const std::vector<float>& side = query ? k : q;
    double sum = 0.0;
    for (size_t x = 0; x < d; ++x) {
      const size_t at_changed = changed * width + h * d + x;
      sum += (static_cast<double>(a_clean[at_changed]) - a_corrupted[at_changed]) * side[other * width + h * d + x];
    }
    return sum * scale;
  };
  double estimate = 0.0;
  std::vector<double> shift(seq), weight(seq);
  for (size_t h = 0; h < static_cast<size_t>(heads); ++h) {
    for (size_t i = query ? p : 0; i < (query ? p + 1 : seq); ++i) {
      const float* row = pattern.data() + (h * seq + i) * seq;
      const float* grad = d_pattern.data() + (h * seq + i) * seq;
      if (!query && row[p] == 0.0f) continue;  // key p is masked for query i: nothing changes
      double top = -std::numeric_limits<double>::infinity();
      for (size_t j = 0; j < seq; ++j) {
        shift[j] = row[j] > 0.0f && (query || j == p) ? delta(h, i, j) : 0.0;
        if (row[j] > 0.0f) top = std::max(top, shift[j]);
      }
      double total = 0.0;
      for (size_t j = 0; j < seq; ++j) total += weight[j] = row[j] * std::exp(shift[j] - top);
      for (size_t j = 0; j < seq; ++j) estimate += (weight[j] / total - row[j]) * grad[j];
    }
  }
  return estimate;
}

// AtP's estimate: P (a_clean - a_corrupted) . d metric / d a over the cell's slice of its
// site, one position's vector or one head's z at every position, with P the part patched.
double linear_estimate(const PatchCell& cell, const PatchSelection& part, const GradientResult& clean,
                       const GradientResult& corrupted, int head_dim) {
  const HookSite site = HookSite::block(cell.site, cell.layer);
  const SiteValues& a_clean = clean.activation(site);
  const auto& a_corrupted = corrupted.activation(site).values;
  const auto& grad = corrupted.gradient(site).values;
  const auto positions = static_cast<size_t>(a_clean.shape.front());
  const size_t width = a_clean.values.size() / positions;  // floats per position
  double estimate = 0.0;
  std::vector<double> delta;
  const auto add = [&](size_t from, size_t count) {
    delta.resize(count);
    for (size_t i = 0; i < count; ++i) delta[i] = static_cast<double>(a_clean.values[from + i]) - a_corrupted[from + i];
    part.project(delta.data(), static_cast<int>(count), cell.layer);
    for (size_t i = 0; i < count; ++i) estimate += delta[i] * grad[from + i];
  };
  if (cell.head >= 0) {
    const auto d = static_cast<size_t>(head_dim);
    for (size_t s = 0; s < positions; ++s) add(s * width + static_cast<size_t>(cell.head) * d, d);
  } else {
    add(static_cast<size_t>(cell.position) * width, width);
  }
  return estimate;
}

}  // namespace

PatchGridResult run_attribution_patching(const GradientModel& model, const PatchGridRequest& request, int check,
                                         bool qk_fix) {
  const Encoder& encoder = model.encoder();
  if (check < 0) throw OptionError("check", " must be 0 or more (cells to patch for real)");
  PatchGridResult result = prepare_patch_grid(encoder, request);
  result.method = "atp";
  result.qk_fix = qk_fix;
  if (qk_fix && std::none_of(result.cells.begin(), result.cells.end(), [](const PatchCell& c) { return is_query_or_key(c.site); })) {
    throw OptionError("qk_fix", " recomputes the attention softmax for attn.q and attn.k cells, and the grid has none: "
                                "add attn.q or attn.k to the sites");
  }

  if (qk_fix && std::any_of(result.selections.begin(), result.selections.end(),
                           [](const auto& entry) { return !entry.second.whole(); })) {
    throw OptionError("qk_fix", " recomputes the softmax from whole q and k vectors; leave it off when patching "
                                "units, a direction or a subspace");
  }
  GradientRequest g;
  g.metric = result.foil_id >= 0 ? GradientMetric::LogitDifference : GradientMetric::TargetLogProb;
  g.target = result.clean.target_id;
  g.foil = result.foil_id;
  const auto need = [&g](SiteKind kind, int layer) {
    const HookSite site = HookSite::block(kind, layer);
    if (std::find(g.sites.begin(), g.sites.end(), site) == g.sites.end()) g.sites.push_back(site);
  };
  for (const PatchCell& cell : result.cells) {
    need(cell.site, cell.layer);
    if (qk_fix && is_query_or_key(cell.site)) {  // the fix reads q, k and the pattern with its gradient
      for (SiteKind kind : {SiteKind::AttnQ, SiteKind::AttnK, SiteKind::AttnPattern}) need(kind, cell.layer);
    }
  }
  // The clean and the corrupted prompt in one forward pass; the backward pass from the corrupted.
  g.position = result.corrupted.mask_index;
  GradientRequest clean_request = g;
  clean_request.position = result.clean.mask_index;
  clean_request.backward = false;
  std::vector<GradientResult> runs =
      model.run(TokenBatch::padded({result.corrupted.ids, result.clean.ids}, 0), {g, clean_request});
  const GradientResult& corrupted = runs[0];
  const GradientResult& clean = runs[1];
  result.clean_metric = clean.metric;
  result.corrupted_metric = corrupted.metric;
  const double span = result.clean_metric - result.corrupted_metric;

  const int head_dim = encoder.config().head_dim(), heads = encoder.config().num_attention_heads;
  for (PatchCell& cell : result.cells) {
    const double estimate = qk_fix && is_query_or_key(cell.site) ? qk_fixed_estimate(cell, clean, corrupted, heads, head_dim)
                                                                 : linear_estimate(cell, result.selections.at(cell.site), clean, corrupted, head_dim);
    cell.metric = result.corrupted_metric + estimate;
    cell.normalized = span != 0.0 ? estimate / span : std::nan("");
  }

  if (check > 0) {
    std::vector<size_t> order(result.cells.size());
    std::iota(order.begin(), order.end(), size_t{0});
    const auto size_of = [&](size_t i) { return std::fabs(result.cells[i].metric - result.corrupted_metric); };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size_of(a) > size_of(b); });
    order.resize(std::min(order.size(), static_cast<size_t>(check)));
    for (size_t i : order) result.checked.push_back(result.cells[i]);
    PatchGridResult real = result;  // patch_cells resets the reference metrics to its own runs'
    patch_cells(encoder, real, result.checked);
  }
  return result;
}

double estimate_correlation(const PatchGridResult& result) {
  std::vector<double> estimated, real;
  for (const PatchCell& c : result.checked) {
    for (const PatchCell& e : result.cells) {
      if (e.site == c.site && e.layer == c.layer && e.position == c.position && e.head == c.head) {
        estimated.push_back(e.metric);
        real.push_back(c.metric);
      }
    }
  }
  const size_t n = estimated.size();
  if (n < 2) return std::nan("");
  const double mx = std::accumulate(estimated.begin(), estimated.end(), 0.0) / static_cast<double>(n);
  const double my = std::accumulate(real.begin(), real.end(), 0.0) / static_cast<double>(n);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (estimated[i] - mx) * (real[i] - my);
    sxx += (estimated[i] - mx) * (estimated[i] - mx);
    syy += (real[i] - my) * (real[i] - my);
  }
  if (sxx == 0.0 || syy == 0.0) return std::nan("");
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace bertscope
