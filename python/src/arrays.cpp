#include "arrays.h"

#include <functional>
#include <memory>
#include <numeric>
#include <stdexcept>

namespace bertscope::python {

namespace py = pybind11;

namespace {

template <typename T>
py::array_t<T> take(std::vector<T>&& values, const std::vector<py::ssize_t>& shape) {
  const py::ssize_t n = std::accumulate(shape.begin(), shape.end(), py::ssize_t{1}, std::multiplies<>());
  if (n != static_cast<py::ssize_t>(values.size())) throw std::logic_error("take_array: shape does not match the buffer");
  auto owned = std::make_unique<std::vector<T>>(std::move(values));
  py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  const T* data = owned.release()->data();  // the capsule owns it now
  return py::array_t<T>(shape, data, owner);
}

}  // namespace

py::array_t<float> take_array(std::vector<float>&& values, const std::vector<py::ssize_t>& shape) {
  return take(std::move(values), shape);
}

py::array_t<long long> take_array(std::vector<long long>&& values, const std::vector<py::ssize_t>& shape) {
  return take(std::move(values), shape);
}

py::array_t<double> take_array(std::vector<double>&& values, const std::vector<py::ssize_t>& shape) {
  return take(std::move(values), shape);
}

}  // namespace bertscope::python
