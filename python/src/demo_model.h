#pragma once
// Which model `bertscope.load()` opens without a path: $BERTSCOPE_MODEL, else the demo model
// that ships with bertscope, found relative to this module as the CLI finds it relative to
// itself (the build tree and the install tree lay out the package and share/bertscope/ alike).
#include <string>

namespace bertscope::python {

// The folder to load: `path` when given, else $BERTSCOPE_MODEL, else the shipped demo model.
// Throws Error, saying where it looked, when the demo model is needed and not there.
std::string model_path(const std::string& path);
// Whether `path` is the shipped demo model (its numbers say nothing about real BERT).
bool is_demo_model(const std::string& path);

}  // namespace bertscope::python
