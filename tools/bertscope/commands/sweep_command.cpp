// bertscope sweep: one prompt (or a prompt file), one intervention, chosen layers, N seeded trials.
#include "commands/commands.h"
#include "common/error.h"
#include "strict_numbers.h"

namespace bertscope::cli {

namespace {

struct SweepOptions {
  ModelOptions model;
  std::string prompt, target, intervention, layers = "all", std_of = "vector", other_prompt, positions = "mask";
  std::string site = "out", out, heads, mean_prompts, prompts;
  int attend_to = 0;
  int trials = 1, top = 5, max_batch_tokens = 2048;
  uint64_t seed = 0;
  double factor = 0.0;
  bool factor_given = false;
};

ExperimentSpec to_spec(const SweepOptions& o) {
  const auto kind = InterventionSpec::parse_kind(o.intervention);
  if (!kind) throw Error("--intervention '" + o.intervention + "' is not one of " + InterventionSpec::kind_list());
  InterventionSpec intervention = InterventionSpec::of_kind(*kind);
  if (o.factor_given && !intervention.uses_factor()) {
    throw Error("--factor is only used by noise, scale and mix, not by " + o.intervention);
  }
  if (o.factor_given) intervention.factor = o.factor;
  if (o.std_of == "vector") intervention.std_of = NoiseScale::Vector;
  else if (o.std_of == "layer") intervention.std_of = NoiseScale::Layer;
  else intervention.std_of = NoiseScale::Absolute;
  intervention.other_prompt = o.other_prompt;
  intervention.positions = Positions::parse(o.positions);
  if (!o.heads.empty()) intervention.heads = InterventionSpec::parse_heads(o.heads);
  intervention.attend_to = o.attend_to;
  if (!o.mean_prompts.empty()) intervention.mean_prompts = read_prompt_texts(o.mean_prompts);
  ExperimentSpec spec;
  spec.name = "sweep-" + o.intervention;
  spec.prompts = prompts_from(o.prompt, o.prompts, "--prompt TEXT");
  // A prompt file gives each prompt its target; --target goes with --prompt.
  if (!o.prompts.empty() && !o.target.empty()) throw Error("--target goes with --prompt; with --prompts each row gives its target");
  if (o.prompts.empty() && o.target.empty()) throw Error("--target is required with --prompt");
  spec.prompts_file = o.prompts;
  if (o.prompts.empty()) spec.prompts.front().target = o.target;
  spec.interventions = {intervention};
  spec.layers = o.layers;
  spec.site = parse_edit_site(o.site);
  spec.trials = o.trials;
  spec.seed = o.seed;
  spec.top_k = o.top;
  spec.max_batch_tokens = o.max_batch_tokens;
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
  c->add_option("--intervention", o->intervention,
                "shuffle | noise | scale | zero | skip | mix | patch | mean (the clean mean over the prompt's positions) | "
                "uniform, attend (attention patterns: --site attn.pattern)")
      ->required();
  c->add_option("--layers", o->layers, "Blocks to edit, 0-based: all, 5, 0-11, 0,4,8-11 (default all)");
  c->add_option("--trials", o->trials,
                "Trials per layer for shuffle and noise (the others are deterministic: 1). Each trial is written to disk "
                "as it finishes: memory does not grow with trials")
      ->check(whole_number(1, 10000000));
  c->add_option("--seed", o->seed, "Seed of the counter-based RNG (same seed, same draws, any thread count)")
      ->check(unsigned_64());
  c->add_option("--factor", o->factor, "noise: std multiplier (default 2); scale: factor (0.5); mix: weight of own state (0.5)")
      ->check(finite_number())
      ->each([o](const std::string&) { o->factor_given = true; })
      ->default_str("per kind");
  c->add_option("--std-of", o->std_of, "noise std from: vector (the edited vector, default), layer (whole clean tensor), absolute")
      ->check(CLI::IsMember({"vector", "layer", "absolute"}));
  c->add_option("--other-prompt", o->other_prompt,
                "mix/patch: prompt whose state is mixed or patched in (its [MASK] maps to ours); with --prompts, rows "
                "may give their own other_prompt, used when this option is not given");
  c->add_option("--positions", o->positions, "Tokens to edit: mask (default: the [MASK], or a causal model's last token), last, all, "
                "or indices like 1,3 ([CLS] is 0)");
  c->add_option("--site", o->site,
                "Where to edit, by the names 'bertscope hooks' prints, {L} standing for each edited block: blocks.{L}.out "
                "(block output, default), any other blocks.{L}.* site (attn.q, attn.k, attn.v, attn.scores, "
                "attn.pattern, attn.z, attn.context, attn.head_out, attn.out, ln1.out, mlp.post, mlp.out), or embed.out "
                "(the embeddings, edited once before block 0: no --layers then). The part after blocks.{L}. alone is short for "
                "the same");
  c->add_option("--heads", o->heads, "At the per-head sites (attn.q ... attn.head_out): the heads edited, like 3,5 (default all)");
  c->add_option("--mean-prompts", o->mean_prompts,
                "mean: average over every position of the prompts in this file (a prompt file as --prompts: .txt "
                "one a line, .jsonl, .csv) instead of the prompt's own");
  c->add_option("--attend-to", o->attend_to, "attend: the key position the edited queries attend to ([CLS] is 0)")
      ->check(whole_number(0, 1 << 20));
  c->add_option("--top", o->top, "Top-k tokens recorded per trial")->check(whole_number(1, 1000));
  c->add_option("--max-batch-tokens", o->max_batch_tokens,
                "Upper bound on token rows (trials x prompt tokens) per batched forward pass, which bounds its working "
                "memory: about rows x (7 x hidden + ffn) x 4 bytes plus trials x vocab x 4 bytes for the logits "
                "(default 2048: about 115 MB for bert-large). A batch holds at least one trial")
      ->check(whole_number(1, 1 << 24));
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
