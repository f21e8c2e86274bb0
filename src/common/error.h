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

// A problem with one option of an experiment, kept apart from the option's spelling so that
// each front end names it in its caller's words: `--std-of` on the command line,
// `interventions[0].std_of` in a spec, `std_of` in a Python call. what() is the command
// line's wording. `option` is the name in experiments/spec_options.h; `problem` follows the
// name directly (" must be ...", ": block 7 is out of range").
class OptionError : public Error {
 public:
  OptionError(std::string option, std::string problem, int intervention = -1)
      : Error(cli_flag(option) + problem), option_(std::move(option)), problem_(std::move(problem)),
        intervention_(intervention) {}

  const std::string& option() const { return option_; }
  const std::string& problem() const { return problem_; }
  // The intervention of a spec it is about (its index), or -1.
  int intervention() const { return intervention_; }
  // The same error about intervention `index`.
  OptionError about_intervention(int index) const { return OptionError(option_, problem_, index); }
  // The message with the option spelled as the caller spells it.
  std::string worded(const std::string& spelled) const { return spelled + problem_; }

  // "std_of" -> "--std-of".
  static std::string cli_flag(std::string name) {
    for (char& c : name) c = c == '_' ? '-' : c;
    return "--" + name;
  }

 private:
  std::string option_, problem_;
  int intervention_;
};

}  // namespace bertscope
