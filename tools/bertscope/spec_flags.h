#pragma once
// The option table (experiments/spec_options.h) as command-line flags: a command adds the
// rows of its use, with their help and defaults, and applies the ones given to its spec.
// Values are parsed by the table, so `--trials 0` says what `trials = 0` in a spec and
// `trials=0` in Python say.
#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "experiments/experiment.h"
#include "experiments/spec_options.h"

namespace bertscope::cli {

class SpecFlags {
 public:
  // Adds a flag for every row used by `use`; `help` replaces a row's help where a command
  // says more (sweep's --positions, say).
  SpecFlags(CLI::App& command, OptionUse use, const std::map<std::string, std::string>& help = {});
  // Whether the flag was given.
  bool given(const std::string& name) const;
  // Sets the given options: the experiment's and the distributions' on `spec`, the
  // interventions' on each of spec.interventions (set them first). A list of texts (Texts)
  // is read from the prompt file the flag names.
  void apply(ExperimentSpec& spec) const;

 private:
  struct Flag {
    const SpecOption* option;
    CLI::Option* cli;
    std::string text;
    bool flag = false;
  };
  std::vector<std::unique_ptr<Flag>> flags_;
};

}  // namespace bertscope::cli
