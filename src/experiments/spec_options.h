#pragma once
// The options of an experiment, written once. Each row names an option (its key in a spec and
// its Python keyword; the command line's flag is the same with '-' for '_'), its type and
// range, its help, the front ends that offer it and how it reads and sets an ExperimentSpec.
// The defaults are the member initializers of ExperimentSpec, InterventionSpec and
// DistributionRequest: a row reads them, never repeats them. The CLI (tools/bertscope), the
// TOML reader (experiment_toml.cpp) and Python (python/src/experiment.cpp) build their
// options from this table, and tests/spec_options_test.cpp walks it through each of them.
//
// Errors about a value are OptionErrors (common/error.h): each front end names the option
// in its caller's words.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bertscope {

struct ExperimentSpec;
struct InterventionSpec;

enum class OptionType {
  Flag,       // true / false
  Whole,      // a whole number in [min, max]
  Number,     // a finite number
  Text,       // any text; the setter may parse it (site, positions)
  Choice,     // one of `choices`
  IndexList,  // "all", "0-5", "3,5": text, or an array of whole numbers that front ends join with ','
  Texts,      // an array of texts (on the command line: a prompt file that holds them)
  Words,      // an array of words (on the command line: separated by commas)
};

// What a row sets: the experiment, each of its interventions, or its distributions request.
enum class OptionLevel { Experiment, Intervention, Distributions };

// The front ends' commands that offer a row (bit flags). A spec (TOML or a Python dict) and
// Model.sweep read every row of their commands; Python's sweep takes the `sweep` rows.
// patch-grid and attribute (Model.patch_grid, Model.attribution_patch) take the rows that
// choose the part of each vector patched (units, a direction, a subspace).
enum OptionUse : unsigned { kUsedBySweep = 1u, kUsedByStats = 2u, kUsedBySpec = 4u, kUsedByPatchGrid = 8u };

// A value as a front end hands it over: whole numbers as uint64 (none is negative), index
// lists as text, arrays of texts as a vector.
using OptionValue = std::variant<bool, uint64_t, double, std::string, std::vector<std::string>>;

struct SpecOption {
  const char* name;
  OptionType type;
  OptionLevel level;
  unsigned uses;
  const char* help;
  uint64_t min = 0, max = 0;  // Whole
  const char* choices = "";   // Choice: "vector|layer|absolute"
  void (*set)(ExperimentSpec&, InterventionSpec&, const OptionValue&) = nullptr;
  OptionValue (*get)(const ExperimentSpec&, const InterventionSpec&) = nullptr;

  bool used_by(OptionUse use) const { return (uses & use) != 0; }
  std::string cli_flag() const;  // "--std-of"
};

std::span<const SpecOption> spec_options();
// The row called `name`, or nullptr.
const SpecOption* find_spec_option(std::string_view name);

// The default: the row read from a default-constructed spec.
OptionValue default_value(const SpecOption& option);
// A value as text, as --help and docstrings show it: "all", "2048", "true", "".
std::string option_text(const OptionValue& value);
// The default as --help shows it; `factor` says its default per kind.
std::string default_text(const SpecOption& option);
// "a whole number from 1 to 1000", "one of vector, layer, absolute": what a value must be.
std::string expected_value(const SpecOption& option);

// Command-line text as the row's type: strict decimal numbers, a choice, a list. Throws
// OptionError. (Texts: the caller reads the file; this takes its lines as given.)
OptionValue parse_option_text(const SpecOption& option, const std::string& text);
// Checks the value's type and range, then sets it; throws OptionError naming the option.
// Intervention rows set `intervention`, the others `spec`. An intervention's kind is set
// before its options; whether a kind uses an option is checked by validate().
void set_option(const SpecOption& option, const OptionValue& value, ExperimentSpec& spec,
                InterventionSpec& intervention);

}  // namespace bertscope
