#include "interrupt.h"

namespace bertscope::python {

namespace py = pybind11;

PythonProgress::PythonProgress(py::object callback, int64_t sweeps) : callback_(std::move(callback)), sweeps_(sweeps) {}

ProgressFn PythonProgress::fn() {
  return [this](int64_t done, int64_t total, double) { report(done, total); };
}

void PythonProgress::report(int64_t done, int64_t total) {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  if (!callback_.is_none()) callback_(finished_ + done, total * sweeps_);
  if (done == total) finished_ += total;
}

}  // namespace bertscope::python
