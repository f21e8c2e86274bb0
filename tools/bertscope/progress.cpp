#include "progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace bertscope {

namespace {
constexpr double kQuietSeconds = 1.0;    // runs shorter than this print nothing
constexpr double kRedrawSeconds = 0.1;   // terminal redraws at most this often
constexpr int kBarWidth = 28;
}  // namespace

double ProgressMeter::steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_duration(double seconds) {
  if (seconds < 0.5) return "<1 s";
  const long long s = std::llround(seconds);
  char buffer[48];
  if (s < 60) std::snprintf(buffer, sizeof buffer, "%lld s", s);
  else if (s < 3600) std::snprintf(buffer, sizeof buffer, "%lld min %02lld s", s / 60, s % 60);
  else std::snprintf(buffer, sizeof buffer, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
  return buffer;
}

ProgressMeter::ProgressMeter(Sink sink, bool terminal, std::string unit, Clock clock)
    : sink_(std::move(sink)), terminal_(terminal), unit_(std::move(unit)), clock_(std::move(clock)), start_(clock_()) {}

std::string ProgressMeter::status(int64_t done, int64_t total, double elapsed) const {
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const int percent = total > 0 ? static_cast<int>(100 * done / total) : 100;
  char buffer[160];
  if (done >= total) {
    std::snprintf(buffer, sizeof buffer, "%3d%% %lld/%lld %s in %s, %.1f %s/s", percent, static_cast<long long>(done),
                  static_cast<long long>(total), unit_.c_str(), format_duration(elapsed).c_str(), rate, unit_.c_str());
  } else {
    const double seconds = seconds_left(elapsed);
    const std::string left = seconds >= 0 ? format_duration(seconds) : "?";
    std::snprintf(buffer, sizeof buffer, "%3d%% %lld/%lld %s, %.1f %s/s, %s left", percent, static_cast<long long>(done),
                  static_cast<long long>(total), unit_.c_str(), rate, unit_.c_str(), left.c_str());
  }
  return buffer;
}

// The time left at the pace measured so far, per unit of cost where the caller knows the
// cost (a sweep's early trials run more blocks than its late ones), else per unit done.
double ProgressMeter::seconds_left(double elapsed) const {
  const double share = work_ >= 0 ? work_ : total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 0.0;
  if (!(share > 0) || !(elapsed > 0)) return -1.0;
  return elapsed * (1.0 - std::min(share, 1.0)) / share;
}

void ProgressMeter::draw_bar(int64_t done, int64_t total, double elapsed) {
  const int filled = total > 0 ? static_cast<int>(kBarWidth * done / total) : kBarWidth;
  std::string line = "\r[" + std::string(static_cast<size_t>(filled), '#') +
                     std::string(static_cast<size_t>(kBarWidth - filled), '.') + "] " + status(done, total, elapsed);
  line += "\x1b[K";  // clear what a longer previous line left
  sink_(line);
  last_draw_ = elapsed;
  shown_ = true;
}

void ProgressMeter::update(int64_t done, int64_t total, double work) {
  if (finished_) return;
  done_ = done;
  total_ = total;
  work_ = work;
  const double elapsed = clock_() - start_;
  if (elapsed < kQuietSeconds || done >= total) return;  // the end is reported by finish()
  if (terminal_) {
    if (!shown_ || elapsed - last_draw_ >= kRedrawSeconds) draw_bar(done, total, elapsed);
    return;
  }
  const int tenth = total > 0 ? static_cast<int>(10 * done / total) : 10;
  if (tenth > last_tenth_) {
    sink_("progress: " + status(done, total, elapsed) + "\n");
    last_tenth_ = tenth;
    shown_ = true;
  }
}

void ProgressMeter::finish() {
  if (finished_) return;
  finished_ = true;
  if (!shown_) return;
  const double elapsed = clock_() - start_;
  if (terminal_) {
    draw_bar(done_, total_, elapsed);
    sink_("\n");
  } else {
    sink_("progress: " + status(done_, total_, elapsed) + "\n");
  }
}

ProgressMeter stderr_meter(std::string unit) {
  return ProgressMeter([](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); },
                       isatty(STDERR_FILENO) == 1, std::move(unit));
}

}  // namespace bertscope
