#include "reports/nice_ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bertscope {

namespace {
// More ticks than this on one axis would be a black smear; a step that small was a mistake.
constexpr double kMaxTicks = 200;
}  // namespace

double nice_step(double span) {
  span = std::fabs(span);
  if (!(span > 0) || !std::isfinite(span)) return 1.0;
  const double exponent = std::floor(std::log10(span));
  const double mantissa = span / std::pow(10.0, exponent);  // in [1, 10)
  // Thresholds at mantissas 6, 3 and 1.5 keep between 3 and 7 labelled ticks.
  if (mantissa > 6.0) return 2.0 * std::pow(10.0, exponent);
  if (mantissa > 3.0) return std::pow(10.0, exponent);
  if (mantissa > 1.5) return 0.5 * std::pow(10.0, exponent);
  return 0.2 * std::pow(10.0, exponent);
}

int default_minor_intervals(double step) {
  if (!(step > 0) || !std::isfinite(step)) return 5;
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
  return std::fabs(mantissa - 2.0) < 1e-6 || std::fabs(mantissa - 4.0) < 1e-6 ? 4 : 5;
}

std::string tick_label(double value, double step) {
  int decimals = 0;
  if (step > 0 && std::isfinite(step)) decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  if (decimals > 9) decimals = 9;
  // A tick computed as 3 x 0.1 - 0.3 is 5.6e-17, which "%.1f" would print as "0.0" but a
  // negative one as "-0.0".
  if (std::fabs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0.0;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

AxisTicks nice_ticks(double low, double high, double step, int minor) {
  AxisTicks ticks;
  if (low > high) std::swap(low, high);
  const double span = high - low;
  if (!(span > 0) || !std::isfinite(span)) return ticks;
  if (!(step > 0) || span / step > kMaxTicks) step = nice_step(span);
  if (minor <= 0) minor = default_minor_intervals(step);
  if (span / step * minor > 10 * kMaxTicks) minor = 1;
  // A tick that rounding puts a hair outside the range is still drawn on the edge.
  const double slack = 1e-9 * span;
  const double minor_step = step / minor;
  // Tick indices must fit a long: values this far from 0 for their step have no useful ticks.
  if (std::max(std::fabs(low), std::fabs(high)) / minor_step > 1e15) return ticks;
  const long first = static_cast<long>(std::ceil((low - slack) / minor_step));
  const long last = static_cast<long>(std::floor((high + slack) / minor_step));
  for (long i = first; i <= last; ++i) {
    // Multiplying (not accumulating) keeps 0.1 x 3 from drifting to 0.30000000000000004 x n.
    const double value = static_cast<double>(i) * minor_step;
    if (i % minor == 0) {
      ticks.major.push_back(value);
      ticks.labels.push_back(tick_label(value, step));
    } else {
      ticks.minor.push_back(value);
    }
  }
  return ticks;
}

}  // namespace bertscope
