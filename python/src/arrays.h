#pragma once
// numpy arrays over buffers the engine filled: the array takes over the std::vector (its
// memory is freed when the array is), so a result is copied once, into that vector, and
// never again on its way to Python.
#include <pybind11/numpy.h>

#include <vector>

namespace bertscope::python {

pybind11::array_t<float> take_array(std::vector<float>&& values, const std::vector<pybind11::ssize_t>& shape);
pybind11::array_t<long long> take_array(std::vector<long long>&& values, const std::vector<pybind11::ssize_t>& shape);
pybind11::array_t<double> take_array(std::vector<double>&& values, const std::vector<pybind11::ssize_t>& shape);

}  // namespace bertscope::python
