// Fuzz target: an experiment spec (TOML) as ExperimentSpec::parse_toml reads it. An
// accepted spec must pass validate() again and describe itself without failing.
#include <cstdint>
#include <string>

#include "experiments/experiment.h"
#include "experiments/sweep.h"
#include "fuzz_support.h"

using namespace bertscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string origin = "fuzz/spec.toml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  ExperimentSpec spec;
  try {
    spec = ExperimentSpec::parse_toml(text, origin);
  } catch (const Error& e) {
    fuzz::check_refusal(e, origin);
    return 0;
  }
  spec.validate();  // must not throw: parse_toml validated it
  fuzz::expect(!spec.prompts.empty() && !spec.out.empty(), "accepted a spec without prompts or output folder");
  for (const InterventionSpec& intervention : spec.interventions) {
    fuzz::expect(!intervention.label().empty(), "intervention without a label");
    (void)intervention.positions.describe();
  }
  (void)edit_site_name(spec.site);
  try {
    // Layers are checked against the model at run time; bert-large has 24 blocks.
    (void)parse_layers(spec.layers, 24);
  } catch (const Error&) {
  }
  return 0;
}
