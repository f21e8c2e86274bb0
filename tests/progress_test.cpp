// The progress meter with an injected clock: silent for short runs, a plain line per tenth
// when stderr is not a terminal, a bar redrawn in place on a terminal, and the right rate
// and time left.
#include <gtest/gtest.h>

#include <algorithm>

#include "progress.h"

namespace bertscope {
namespace {

struct Recorder {
  double now = 0.0;
  std::string out;
  ProgressMeter meter(bool terminal) {
    return ProgressMeter([this](std::string_view text) { out += text; }, terminal, "trials", [this] { return now; });
  }
};

TEST(Progress, ShortRunPrintsNothing) {
  for (bool terminal : {false, true}) {
    Recorder r;
    ProgressMeter meter = r.meter(terminal);
    for (int done = 0; done <= 100; done += 10) {
      r.now = done * 0.009;  // all within 0.9 s
      meter.update(done, 100);
    }
    meter.finish();
    EXPECT_EQ(r.out, "") << "terminal " << terminal;
  }
}

TEST(Progress, RunFinishingRightAfterTheFirstSecondPrintsNothing) {
  // Its only update past the first second is the last one: nothing was in progress.
  Recorder r;
  ProgressMeter meter = r.meter(false);
  r.now = 0.5;
  meter.update(50, 100);
  r.now = 1.2;
  meter.update(100, 100);
  meter.finish();
  EXPECT_EQ(r.out, "");
}

TEST(Progress, PlainLinesAtEachTenthWithRateAndTimeLeft) {
  Recorder r;
  ProgressMeter meter = r.meter(false);
  r.now = 0.5;
  meter.update(5, 100);
  EXPECT_EQ(r.out, "");
  r.now = 2.0;
  meter.update(20, 100);  // 10 trials/s, 80 left
  EXPECT_EQ(r.out, "progress:  20% 20/100 trials, 10.0 trials/s, 8 s left\n");
  r.out.clear();
  r.now = 2.5;
  meter.update(25, 100);  // same tenth: quiet
  EXPECT_EQ(r.out, "");
  r.now = 4.0;
  meter.update(40, 100);
  EXPECT_EQ(r.out, "progress:  40% 40/100 trials, 10.0 trials/s, 6 s left\n");
  r.out.clear();
  r.now = 10.0;
  meter.update(100, 100);
  meter.finish();
  meter.finish();  // idempotent
  EXPECT_EQ(r.out, "progress: 100% 100/100 trials in 10 s, 10.0 trials/s\n");
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
}

TEST(Progress, TimeLeftFollowsTheRateSoFar) {
  Recorder r;
  ProgressMeter meter = r.meter(false);
  r.now = 125.0;
  meter.update(1000, 6000);  // 8 trials/s, 5000 left: 625 s
  EXPECT_EQ(r.out, "progress:  16% 1000/6000 trials, 8.0 trials/s, 10 min 25 s left\n");
}

// A sweep runs its expensive trials (edited early, the whole model after the edit) first:
// a quarter of the trials can be half of the work. The time left follows the work done.
TEST(Progress, TimeLeftFollowsTheMeasuredCostWhenTheCallerKnowsIt) {
  Recorder r;
  ProgressMeter meter = r.meter(false);
  r.now = 10.0;
  meter.update(25, 100, 0.5);  // half the work in 10 s: 10 s left, not the 30 s of 25 trials
  EXPECT_EQ(r.out, "progress:  25% 25/100 trials, 2.5 trials/s, 10 s left\n");
  r.out.clear();
  r.now = 18.0;
  meter.update(50, 100, 0.9);  // 0.9 in 18 s: 2 s left
  EXPECT_EQ(r.out, "progress:  50% 50/100 trials, 2.8 trials/s, 2 s left\n");
}

TEST(Progress, TerminalBarIsRedrawnInPlaceAtMostTenTimesASecond) {
  Recorder r;
  ProgressMeter meter = r.meter(true);
  r.now = 1.0;
  meter.update(50, 100);
  EXPECT_EQ(r.out, "\r[##############..............]  50% 50/100 trials, 50.0 trials/s, 1 s left\x1b[K");
  r.out.clear();
  r.now = 1.05;
  meter.update(52, 100);
  EXPECT_EQ(r.out, "") << "redrawn within 0.1 s";
  r.now = 1.2;
  meter.update(60, 100);
  EXPECT_EQ(r.out.rfind("\r[################", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 0);
  r.out.clear();
  r.now = 2.0;
  meter.update(100, 100);
  meter.finish();
  EXPECT_EQ(r.out, "\r[############################] 100% 100/100 trials in 2 s, 50.0 trials/s\x1b[K\n");
}

TEST(Progress, DurationsReadNaturally) {
  EXPECT_EQ(format_duration(0.2), "<1 s");
  EXPECT_EQ(format_duration(4.4), "4 s");
  EXPECT_EQ(format_duration(65), "1 min 05 s");
  EXPECT_EQ(format_duration(7380), "2 h 03 min");
}

}  // namespace
}  // namespace bertscope
