#pragma once
// Where the demo model that ships with bertscope lies: a CLI concern (the engine always
// takes a path), kept in one place.
#include <string>

namespace bertscope::cli {

// The shipped demo model's folder, found relative to this executable: <its folder>/
// BERTSCOPE_BIN_TO_DATA/models/bert-mini-uncased-demo. CMake lays out bin/ and
// share/bertscope/ alike in the build tree and the install tree, so the same rule finds it
// in both, and a moved or packaged install keeps working (no source path is compiled in).
// Throws Error, saying where it looked, when it is not there.
std::string shipped_demo_model();

}  // namespace bertscope::cli
