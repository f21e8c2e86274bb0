#include "experiments/attribution_patching.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"

namespace bertscope {

PatchGridResult run_attribution_patching(const GradientModel& model, const PatchGridRequest& request, int check) {
  const Encoder& encoder = model.encoder();
  if (check < 0) throw OptionError("check", " must be 0 or more (cells to patch for real)");
  PatchGridResult result = prepare_patch_grid(encoder, request);
  result.method = "atp";

  GradientRequest g;
  g.metric = result.foil_id >= 0 ? GradientMetric::LogitDifference : GradientMetric::TargetLogProb;
  g.target = result.clean.target_id;
  g.foil = result.foil_id;
  for (const PatchCell& cell : result.cells) {
    const HookSite site = HookSite::block(cell.site, cell.layer);
    if (std::find(g.sites.begin(), g.sites.end(), site) == g.sites.end()) g.sites.push_back(site);
  }
  g.position = result.corrupted.mask_index;
  const GradientResult corrupted = model.run(TokenBatch::single(result.corrupted.ids), g);
  g.position = result.clean.mask_index;
  g.backward = false;
  const GradientResult clean = model.run(TokenBatch::single(result.clean.ids), g);
  result.clean_metric = clean.metric;
  result.corrupted_metric = corrupted.metric;
  const double span = result.clean_metric - result.corrupted_metric;

  const int head_dim = encoder.config().head_dim();
  for (PatchCell& cell : result.cells) {
    const HookSite site = HookSite::block(cell.site, cell.layer);
    const SiteValues& a_clean = clean.activation(site);
    const SiteValues& a_corrupted = corrupted.activation(site);
    const SiteValues& grad = corrupted.gradient(site);
    const auto width = static_cast<size_t>(a_clean.values.size() / a_clean.shape.front());  // floats per position
    double estimate = 0.0;
    const auto add = [&](size_t from, size_t count) {
      for (size_t i = from; i < from + count; ++i) {
        estimate += (static_cast<double>(a_clean.values[i]) - a_corrupted.values[i]) * grad.values[i];
      }
    };
    if (cell.head >= 0) {  // one head's z at every position
      for (size_t s = 0; s < static_cast<size_t>(a_clean.shape.front()); ++s) {
        add(s * width + static_cast<size_t>(cell.head) * static_cast<size_t>(head_dim), static_cast<size_t>(head_dim));
      }
    } else {
      add(static_cast<size_t>(cell.position) * width, width);
    }
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
