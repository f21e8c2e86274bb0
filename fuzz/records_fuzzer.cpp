// Fuzz target: a shard's records.jsonl as `bertscope merge` reads it (RecordIndex, then the
// trials back in canonical order), for a small experiment on the tiny reference model. A
// record accepted must hold only values in their ranges; anything else must be refused
// with an Error that names the shard and file.
#include <cmath>
#include <cstdint>
#include <memory>

#include "experiments/work_plan.h"
#include "fuzz_support.h"
#include "reports/record_index.h"

using namespace bertscope;

namespace {

struct Setup {
  std::unique_ptr<const Encoder> model;
  ExperimentSpec spec;
  std::unique_ptr<WorkPlan> plan;
};

const Setup& setup() {
  static const Setup s = [] {
    Setup made;
    made.model = std::make_unique<const Encoder>(Encoder::load(BERTSCOPE_FUZZ_MODEL));
    made.spec = ExperimentSpec::parse_toml("name = \"fuzz\"\ntrials = 3\ntop = 4\n[[prompts]]\ntext = \"a [MASK] b\"\n"
                                           "target = \"the\"\n[[interventions]]\nkind = \"noise\"\n[[interventions]]\n"
                                           "kind = \"zero\"\n",
                                           "fuzz/spec.toml");
    made.plan = std::make_unique<WorkPlan>(*made.model, made.spec);
    return made;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Setup& s = setup();
  const std::string path = fuzz::scratch_path("records.jsonl"), owner = "shard0";
  fuzz::write_input(path, data, size);
  const RecordLimits limits{s.model->config().vocab_size, s.spec.top_k};
  RecordIndex index(*s.plan, limits);
  try {
    const RecordFileSummary summary = index.add_file(path, owner);
    fuzz::expect(summary.records <= s.plan->size(), "more records than work items were indexed");
    fuzz::expect(summary.checksum.size() == 16, "checksum is not 16 hex digits");
    if (summary.records < s.plan->size()) return 0;
    index.check_complete();
    index.for_each([&](const TrialResult& t) {
      fuzz::expect(t.prediction.target_rank >= 1 && t.prediction.target_rank <= limits.vocab, "rank out of range");
      fuzz::expect(!t.prediction.top.empty() && t.prediction.top.size() <= static_cast<size_t>(limits.top_k), "top size");
      for (const TokenScore& score : t.prediction.top) fuzz::expect(score.id >= 0 && score.id < limits.vocab, "top id");
      fuzz::expect(!(t.prediction.target_prob > 1.0 + 1e-6) && !(t.prediction.target_prob < 0.0), "prob out of range");
    });
  } catch (const Error& e) {
    fuzz::check_refusal(e, owner);
  }
  return 0;
}
