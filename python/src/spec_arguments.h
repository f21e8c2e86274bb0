#pragma once
// Python values for the option table (experiments/spec_options.h): the keyword arguments of
// Model.sweep are the table's rows, checked and converted here by each row's type;
// bertscope.options() lists the rows. (A spec given as a dict goes through the TOML reader:
// bertscope/_spec.py writes it as TOML.)
#include <pybind11/pybind11.h>

#include "experiments/experiment.h"
#include "experiments/spec_options.h"

namespace bertscope::python {

// Sets every keyword of `options` (a row of `use`; None: the default) on `spec` and its
// interventions (set them first). A keyword that is not a row of `use` is a TypeError
// naming `function`, as Python's own.
void apply_options(ExperimentSpec& spec, const pybind11::dict& options, OptionUse use, const std::string& function);
// The table as a list of dicts (name, type, level, default, help, flag, commands).
pybind11::list options_table();
// "layers: Blocks to edit ... (default "all")" lines for the rows of `use`: docstrings.
std::string options_doc(OptionUse use);

}  // namespace bertscope::python
