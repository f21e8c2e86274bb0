#pragma once
// Progress of a long run on stderr. Nothing for the first second, so quick runs stay
// quiet; then, on a terminal, one line redrawn in place: a bar, the share done, the rate
// and the time left; into a file or pipe (CI logs), a plain line at each tenth instead,
// since carriage returns would pile up there.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bertscope {

class ProgressMeter {
 public:
  using Clock = std::function<double()>;              // seconds, monotonic, any origin
  using Sink = std::function<void(std::string_view)>;  // where the text goes

  // `unit`: what is counted ("trials"). The clock is read once here, as the start.
  ProgressMeter(Sink sink, bool terminal, std::string unit = "trials", Clock clock = steady_seconds);

  // `done` of `total` are finished. `work`, when known (0 to 1), is the share of the cost
  // done, from which the time left is estimated; without it, from the share of `done`.
  // Cheap when nothing is printed; call it freely.
  void update(int64_t done, int64_t total, double work = -1.0);
  // The run is over: ends the terminal line, or prints the closing plain line, if
  // anything was shown. Idempotent.
  void finish();

  static double steady_seconds();

 private:
  std::string status(int64_t done, int64_t total, double elapsed) const;
  double seconds_left(double elapsed) const;
  void draw_bar(int64_t done, int64_t total, double elapsed);

  Sink sink_;
  bool terminal_;
  std::string unit_;
  Clock clock_;
  double start_;
  double last_draw_ = -1.0;
  int last_tenth_ = -1;
  int64_t done_ = 0, total_ = 0;
  double work_ = -1.0;
  bool shown_ = false;
  bool finished_ = false;
};

// The meter of a command: on stderr, redrawn in place when stderr is a terminal.
ProgressMeter stderr_meter(std::string unit);

// "<1 s", "4 s", "1 min 05 s", "2 h 03 min": a short duration for humans.
std::string format_duration(double seconds);

}  // namespace bertscope
