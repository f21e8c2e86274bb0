#pragma once
// One exception type for every user-facing failure: bad files, bad options, bad prompts.
// The CLI prints what() on one line and exits non-zero, so messages must name the
// file or option and the problem ("model.safetensors: header length 9e9 exceeds file size 1024").
#include <stdexcept>
#include <string>

namespace bertscope {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace bertscope
