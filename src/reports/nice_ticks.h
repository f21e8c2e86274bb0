#pragma once
// Where an axis puts its ticks and what its labels say: labelled ticks at a "nice" step
// (1, 2 or 5 times a power of ten), unlabelled minor ticks between them, and labels with
// as many decimals as the step needs, so that 0.5 is "0.5" and 2 is "2", never "2.0".
#include <string>
#include <vector>

namespace bertscope {

struct AxisTicks {
  std::vector<double> major;  // labelled, ascending, inside [low, high]
  std::vector<std::string> labels;  // one per major tick
  std::vector<double> minor;  // the rest, ascending, inside [low, high]
};

// The step for a span: 3 to 7 labelled ticks whatever the span (PLplot's rule, which drew
// the figures before; they keep the ticks they had).
double nice_step(double span);

// Minor intervals per step: 4 for steps of 2 x 10^k (minor ticks at 0.5 x 10^k), 5 otherwise.
int default_minor_intervals(double step);

// `value` printed with the decimals that `step` needs; never "-0".
std::string tick_label(double value, double step);

// The ticks of an axis showing [low, high] (either order). `step` 0 chooses one with
// nice_step(); `minor` is the number of minor intervals per step, 0 to choose, 1 for
// none. An empty or non-finite range has no ticks.
AxisTicks nice_ticks(double low, double high, double step = 0.0, int minor = 0);

}  // namespace bertscope
