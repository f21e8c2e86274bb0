// bertscope collect: activations at chosen sites and positions over a prompt file, one row
// per (prompt, position), as one safetensors file: a tensor per site [rows, width] and the
// rows' prompt and position ([rows], int64); the metadata names the prompts, their ids and
// the rows' tokens as JSON arrays.

#include <cstdio>
#include <filesystem>

#include "commands/commands.h"
#include "common/disk_space.h"
#include "common/error.h"
#include "common/io_claims.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "experiments/collect.h"
#include "model/site_patterns.h"
#include "strict_numbers.h"
#include "weights/safetensors_writer.h"

namespace bertscope::cli {

namespace {

struct CollectOptions {
  ModelOptions model;
  std::string prompts, sites, positions = CollectRequest{}.positions.describe(), out;
  int max_batch_tokens = CollectRequest{}.max_batch_tokens;
};

void run_collect(const CollectOptions& o) {
  check_replaceable_tensors(o.out, "collect");
  claim_output(o.out);
  const Encoder encoder = load_model(o.model);
  CollectRequest request;
  request.prompts = prompts_from("", o.prompts, "--prompts");
  request.sites = resolve_site_list(encoder, o.sites);
  request.positions = Positions::parse(o.positions);
  request.max_batch_tokens = o.max_batch_tokens;
  const CollectPlan plan = plan_collection(encoder, request);
  // The file holds the rows, and the run holds them once in memory (collect_activations checks it).
  check_disk_space(std::filesystem::absolute(o.out).parent_path().string(), o.out, plan.bytes(), "collect");
  ProgressMeter meter = stderr_meter("prompts");
  const ProgressFn progress = meter_progress(meter, o.model.quiet);
  Collection c = collect_activations(encoder, request, plan, progress);
  meter.finish();

  const auto rows = static_cast<int64_t>(c.rows());
  std::vector<OutputTensor> tensors;
  for (size_t s = 0; s < c.sites.size(); ++s) {
    tensors.push_back(OutputTensor::f32(c.sites[s].name(), {rows, c.widths[s]}, c.values[s].data()));
  }
  const std::vector<int64_t> prompt(c.row_prompt.begin(), c.row_prompt.end());
  const std::vector<int64_t> position(c.row_position.begin(), c.row_position.end());
  tensors.push_back(OutputTensor::i64("rows.prompt", {rows}, prompt.data()));
  tensors.push_back(OutputTensor::i64("rows.position", {rows}, position.data()));
  nlohmann::json texts = nlohmann::json::array(), ids = nlohmann::json::array();
  for (const PromptSpec& p : request.prompts) {
    texts.push_back(p.text);
    ids.push_back(p.id);
  }
  write_safetensors(o.out, tensors,
                    {{"format", "pt"},
                     {"bertscope", "collect"},
                     {"model", encoder.dir()},
                     {"positions", request.positions.describe()},
                     {"texts", json_text(texts)},
                     {"prompt_ids", json_text(ids)},
                     {"tokens", json_text(nlohmann::json(c.row_token))}});
  std::printf("wrote %s: %lld rows (%zu prompts at %s) x %zu site(s), %s to %s\n", printable(o.out).c_str(),
              static_cast<long long>(rows), request.prompts.size(), request.positions.describe().c_str(), c.sites.size(),
              c.sites.front().name().c_str(), c.sites.back().name().c_str());
}

}  // namespace

void add_collect_command(CLI::App& app) {
  auto o = std::make_shared<CollectOptions>();
  CLI::App* c = app.add_subcommand("collect", "Activations at sites and positions over a prompt file, as rows, to a safetensors file");
  add_model_options(*c, o->model);
  c->add_flag("--quiet", o->model.quiet, "No progress meter");
  add_prompts_option(*c, o->prompts, "The prompts whose activations are collected");
  c->get_option("--prompts")->required();
  c->add_option("--sites", o->sites,
                "Hook sites: names or globs, comma-separated (blocks.*.mlp.post; bertscope hooks lists them)")
      ->required();
  c->add_option("--positions", o->positions,
                "Rows kept of each prompt: mask, last, all, word:WORD (every piece of every occurrence) or "
                "indices like 1,3")
      ->capture_default_str();
  c->add_option("--max-batch-tokens", o->max_batch_tokens, "Token rows per padded batch of prompts")
      ->check(whole_number(1, 1 << 24))
      ->capture_default_str();
  c->add_option("--out", o->out, "Output file (.safetensors), written atomically")->required();
  c->footer("Example:\n  bertscope collect --prompts him.txt --sites 'blocks.*.mlp.post' --positions word:him --out him.safetensors\n"
            "Tensors: one per site [rows, width]; rows.prompt and rows.position [rows]. In Python, Model.collect "
            "returns the same rows as arrays.");
  c->callback([o] { run_collect(*o); });
}

}  // namespace bertscope::cli
