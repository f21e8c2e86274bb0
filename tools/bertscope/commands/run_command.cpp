// bertscope run SPEC.toml: a whole experiment described as data.
#include "commands/commands.h"

namespace bertscope::cli {

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<ModelOptions>();
  auto spec_path = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand("run", "Run an experiment spec (TOML): prompts x interventions x layers x trials, distributions");
  add_model_options(*c, *options);
  c->add_option("spec", *spec_path, "Experiment spec, e.g. examples/noisy-and-shuffled.toml")->required();
  c->add_option("--out", *out, "Output folder (default: the spec's 'out', else out/<name>)");
  auto shard = std::make_shared<std::string>();
  c->add_option("--shard", *shard,
                "Run only shard K of N (K from 0 to N-1, as $SLURM_ARRAY_TASK_ID): its share of the work items "
                "(prompt x intervention x layer x trial), balanced by cost. --out then gets a shard folder "
                "(shard.json, records.jsonl) for 'bertscope merge'; without --out, OUT.shard-K-of-N beside the run's "
                "folder OUT")
      ->check(shard_choice());
  add_output_flags(*c, *options);
  c->footer("Example:\n  bertscope run examples/noisy-and-shuffled.toml\n"
            "  bertscope run --model ~/.cache/huggingface/hub/models--bert-large-uncased examples/noisy-and-shuffled.toml\n"
            "  for k in 0 1 2; do bertscope run examples/noisy-and-shuffled.toml --shard $k/3 --out shards/$k; done\n"
            "  bertscope merge --out out/merged shards/0 shards/1 shards/2");
  c->callback([=] {
    ExperimentSpec spec = ExperimentSpec::load_toml(*spec_path);
    const std::optional<ShardChoice> choice = shard->empty() ? std::nullopt : parse_shard(*shard);
    if (!out->empty()) spec.out = *out;
    // A shard's default folder is its own, beside the run's: never the unsharded run's
    // folder (a finished run) nor another shard's.
    else if (choice) spec.out = shard_folder(spec.out, *choice);
    run_and_report(spec, *options, choice);
  });
}

}  // namespace bertscope::cli
