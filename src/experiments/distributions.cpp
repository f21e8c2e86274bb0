#include "experiments/distributions.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <span>

#include "common/error.h"
#include "interventions/random_stream.h"

namespace bertscope {

namespace {

ValueDistribution describe(std::span<const float> values, const DistributionRequest& request) {
  ValueDistribution d;
  d.moments = moments(values);
  d.tails = tails(values, d.moments);
  d.histogram = histogram(values, request.histogram_low, request.histogram_high, request.bins);
  return d;
}

}  // namespace

DistributionReport hidden_state_distributions(const Encoder& model, const DistributionRequest& request) {
  // Infinite edges would make the bin of a value NaN (inf x 0), and casting that to an index is
  // undefined behaviour; an infinite factor would fill the reference sample with inf and NaN.
  if (!(std::isfinite(request.histogram_low) && std::isfinite(request.histogram_high) &&
        request.histogram_low < request.histogram_high && std::isfinite(request.histogram_high - request.histogram_low)))
    throw Error("histogram range must be finite with low < high");
  if (request.bins < 1 || request.bins > 100000) throw OptionError("bins", " must be between 1 and 100000");
  if (!(std::isfinite(request.noise_factor) && request.noise_factor >= 0.0))
    throw OptionError("noise_factor", " must be a finite number >= 0");
  DistributionReport report;
  report.request = request;
  report.prompt = MaskedPrompt::prepare(model, request.prompt, "", /*require_mask=*/false);
  std::vector<HiddenState> hidden;
  model.forward(TokenBatch::single(report.prompt.ids), nullptr, &hidden);

  for (size_t i = 0; i < hidden.size(); ++i) {
    const HiddenState& h = hidden[i];
    StateDistribution s;
    s.index = static_cast<int>(i);
    s.name = i == 0 ? "embeddings" : "block " + std::to_string(i - 1);
    s.all = describe(h.values, request);
    if (report.prompt.mask_index >= 0) {
      s.mask = describe(std::span<const float>(h.row(0, report.prompt.mask_index), static_cast<size_t>(h.width)), request);
    }
    s.noise_std = request.noise_factor * s.all.moments.std;
    // The reference sample is float32, and a normal draw reaches about 6 std: a factor whose
    // noise would overflow is refused rather than written as a sample of infinities.
    constexpr double kLargestDraw = 8.0;
    if (!(s.noise_std * kLargestDraw <= static_cast<double>(std::numeric_limits<float>::max()))) {
      char text[160];
      std::snprintf(text, sizeof text, "--noise-factor %g: the reference noise's std would be %g (factor x the std of %s), "
                    "beyond float32 (largest %g); use a smaller factor", request.noise_factor, s.noise_std,
                    s.name.c_str(), static_cast<double>(std::numeric_limits<float>::max()) / kLargestDraw);
      throw Error(text);
    }
    std::vector<float> noise(h.values.size());
    RandomStream stream(request.seed, {0xD157u, i});
    stream.fill_normal(noise.data(), noise.size());
    for (float& v : noise) v = static_cast<float>(v * s.noise_std);
    s.noise = describe(noise, request);
    report.states.push_back(std::move(s));
  }
  return report;
}

}  // namespace bertscope
