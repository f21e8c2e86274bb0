#pragma once
// Long computations run with the GIL released; between their batches this takes it back
// for a moment, runs Python's pending signal handlers (so Ctrl-C in a terminal, or the
// interrupt button of Jupyter, raises KeyboardInterrupt there) and calls the user's progress
// callback. A Python exception from either stops the computation at that point and
// propagates to the caller as itself.
#include <pybind11/pybind11.h>

#include <cstdint>

#include "experiments/sweep.h"

namespace bertscope::python {

class PythonProgress {
 public:
  // `callback`: None or callable(done, total); `sweeps`: how many sweeps report to it (one per
  // prompt of an experiment): the callback sees the whole run's count, as the CLI's meter.
  PythonProgress(pybind11::object callback, int64_t sweeps);
  // The engine's callback. It refers to this object, which must outlive the computation and
  // be destroyed with the GIL held (it holds the Python callable).
  ProgressFn fn();

 private:
  void report(int64_t done, int64_t total);
  pybind11::object callback_;
  int64_t sweeps_;
  int64_t finished_ = 0;
};

}  // namespace bertscope::python
