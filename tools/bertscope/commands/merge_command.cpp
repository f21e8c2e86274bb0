// bertscope merge --out DIR SHARD_DIR...: the shards of one run (bertscope run SPEC
// --shard K/N) into the output folder the unsharded run writes.
#include <cstdio>
#include <filesystem>

#include "commands/commands.h"
#include "runs/merge.h"
#include "strict_numbers.h"

namespace bertscope::cli {

namespace {

struct MergeOptions {
  ModelOptions model;
  std::string out;
  std::vector<std::string> shards;
};

void merge(const MergeOptions& o) {
  const ShardSet shards = read_shard_set(o.shards);
  // Before the model loads: an unusable --out fails now (merge_shards checks it again).
  { OutputFolder check(o.out, kResultsFile); }
  ModelOptions options = o.model;
  options.dtype = shards.dtype;
  const std::string path = model_path(options, shards.model_path);
  shards.check_model(path);
  const Encoder model = load_model(options, shards.model_path);
  show_run(merge_shards(shards, model, path, o.out, run_context(options, is_demo_model(path))), model, options);
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* c = app.add_subcommand("merge", "Merge the shard folders of 'bertscope run SPEC --shard K/N' into the output "
                                            "folder the unsharded run writes");
  c->add_option("--out", o->out, "Output folder: the same files as 'bertscope run SPEC' writes")->required();
  c->add_option("shards", o->shards, "The shard folders, one per K from 0 to N-1, in any order")->required();
  c->add_option("--model", o->model.model,
                "Model folder, when it is not where the shards loaded it from (its files must be the same)");
  c->add_option("--threads", o->model.threads, "Threads for the clean runs and distributions")
      ->check(whole_number(1, 1024))
      ->default_str("all cores");
  add_output_flags(*c, o->model);
  c->footer("Example:\n  for k in 0 1 2; do bertscope run examples/noisy-and-shuffled.toml --shard $k/3 --out shards/$k; done\n"
            "  bertscope merge --out out/merged shards/0 shards/1 shards/2");
  c->callback([o] { merge(*o); });
}

}  // namespace bertscope::cli
