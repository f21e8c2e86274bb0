// bertscope sweep: one prompt (or a prompt file), one intervention, chosen layers, N seeded trials.
#include "commands/commands.h"
#include "common/error.h"
#include "spec_flags.h"

namespace bertscope::cli {

namespace {

struct SweepOptions {
  ModelOptions model;
  std::string prompt, target, foil, intervention, out, prompts;
  std::unique_ptr<SpecFlags> options;  // the option table's sweep rows
};

ExperimentSpec to_spec(const SweepOptions& o) {
  const auto kind = InterventionSpec::parse_kind(o.intervention);
  if (!kind) throw Error("--intervention '" + o.intervention + "' is not one of " + InterventionSpec::kind_list());
  InterventionSpec intervention = InterventionSpec::of_kind(*kind);
  if (o.options->given("factor") && !intervention.uses_factor()) {
    throw Error("--factor is only used by " + InterventionSpec::factor_kinds() + ", not by " + o.intervention);
  }
  ExperimentSpec spec;
  spec.name = "sweep-" + o.intervention;
  spec.prompts = prompts_from(o.prompt, o.prompts, "--prompt TEXT");
  // A prompt file gives each prompt its target; --target goes with --prompt.
  if (!o.prompts.empty() && !o.target.empty()) throw Error("--target goes with --prompt; with --prompts each row gives its target");
  if (o.prompts.empty() && o.target.empty()) throw Error("--target is required with --prompt");
  if (!o.prompts.empty() && !o.foil.empty()) throw Error("--foil goes with --prompt; with --prompts each row gives its foil");
  spec.prompts_file = o.prompts;
  if (o.prompts.empty()) {
    spec.prompts.front().target = o.target;
    spec.prompts.front().foil = o.foil;
  }
  spec.interventions = {intervention};
  o.options->apply(spec);
  spec.out = o.out;
  return spec;
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* c = app.add_subcommand("sweep", "Edit one layer's hidden state at a time and record the [MASK] prediction");
  add_model_options(*c, o->model);
  c->add_option("--prompt", o->prompt, "Text with exactly one [MASK] (or --prompts)");
  add_prompts_option(*c, o->prompts,
                     "Instead of --prompt and --target: every prompt with its target; its id names it in every result row "
                     "(default: its number from 1)");
  c->add_option("--target", o->target, "With --prompt: the word whose log-softmax at the [MASK] is tracked (one vocabulary entry)");
  c->add_option("--foil", o->foil,
                "With --prompt: a second word; every run also records logit(target) - logit(foil) (logit_diff)");
  c->add_option("--intervention", o->intervention,
                "shuffle | noise | scale | zero | skip | mix | patch | mean, median (of the clean values over the prompt's "
                "positions) | uniform, attend (attention patterns: --site attn.pattern) | steer, project (along "
                "--direction-file) | pca (--components of --basis-prompts)")
      ->required();
  o->options = std::make_unique<SpecFlags>(*c, kUsedBySweep);
  c->add_option("--out", o->out,
                "Output folder: results.json, prompts.csv, runs.csv, top.csv, summary.csv, figures (SVG, PNG), "
                "report.html (docs/results.md describes every column)")
      ->required();
  add_output_flags(*c, o->model);
  c->footer("Example (the notebook's shuffle, 100 trials per layer):\n"
            "  bertscope sweep --model ~/.cache/huggingface/hub/models--bert-large-uncased \\\n"
            "    --prompt \"Pay no attention to that man [MASK] the curtain!\" --target behind \\\n"
            "    --intervention shuffle --trials 100 --seed 0 --out out/shuffle");
  c->callback([o] { run_and_report(to_spec(*o), o->model); });
}

}  // namespace bertscope::cli
