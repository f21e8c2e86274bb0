// bertscope patch-grid: activation patching of every (site, layer, position), or of every
// (layer, head), from the clean prompt into the corrupted one; a metric at the [MASK].
// bertscope attribute: the same grid estimated by attribution patching (one backward pass),
// with the same options, tables and files, and --check K to patch the largest for real.
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "commands/commands.h"
#include "common/error.h"
#include "experiments/attribution_patching.h"
#include "experiments/patch_grid.h"
#include "reports/output_folder.h"
#include "reports/patch_grid_files.h"
#include "reports/text_format.h"
#include "spec_flags.h"

namespace bertscope::cli {

namespace {

struct PatchGridOptions {
  ModelOptions model;
  std::string prompt, other_prompt, target, foil, sites = "out,attn.out,mlp.out", out;
  bool heads = false;
  bool attribute = false;  // attribution patching's estimates (bertscope attribute)
  int check = 0;           // attribute: cells to also patch for real
  bool qk_fix = false;     // attribute: AtP*'s recomputed softmax at attn.q and attn.k cells
  std::unique_ptr<SpecFlags> part;  // the option table's rows that choose the part of a vector patched
};

// Per site, a layers x positions (or heads) table of the normalized metric.
std::string grid_tables(const PatchGridResult& r, int layers) {
  std::string out = format("clean %s %.3f, corrupted %.3f; cells: normalized (0 = corrupted, 1 = clean)%s\n",
                           r.metric_name.c_str(), r.clean_metric, r.corrupted_metric,
                           r.method == "atp" ? ", estimated by attribution patching" : "");
  for (const auto& [site, part] : r.selections) {
    if (!part.whole()) out += "patched at " + grid_site_name(site) + ": " + part.describe() + "\n";
  }
  size_t at = 0;
  while (at < r.cells.size()) {
    const PatchCell& first = r.cells[at];
    out += "\n" + edit_site_name(first.site) + (first.head >= 0 ? " by head\n" : "\n") + format("%6s", "block");
    const bool by_head = first.head >= 0;
    size_t width = 0;
    while (at + width < r.cells.size() && r.cells[at + width].layer == first.layer && r.cells[at + width].site == first.site) ++width;
    for (size_t c = 0; c < width; ++c) {
      out += format(" %8.8s", by_head ? ("h" + std::to_string(c)).c_str() : r.corrupted.tokens[c].c_str());
    }
    out += "\n";
    for (int layer = 0; layer < layers; ++layer, at += width) {
      out += format("%6d", layer);
      for (size_t c = 0; c < width; ++c) {
        const double v = r.cells[at + c].normalized;
        out += std::isnan(v) ? format(" %8s", "-") : format(" %8.2f", v);  // no value: clean = corrupted
      }
      out += "\n";
    }
  }
  return out;
}

// How the estimates of the checked cells compare with their real patches.
std::string check_summary(const PatchGridResult& r) {
  std::string out = format("\ncheck: the %zu largest estimates patched for real (change of the metric)\n", r.checked.size());
  out += format("%-22s %8s %8s %10s %10s\n", "site", "block", "cell", "estimate", "patch");
  for (const PatchCell& c : r.checked) {
    for (const PatchCell& e : r.cells) {
      if (e.site != c.site || e.layer != c.layer || e.position != c.position || e.head != c.head) continue;
      const std::string cell = c.head >= 0 ? "h" + std::to_string(c.head) : r.corrupted.tokens[static_cast<size_t>(c.position)];
      out += format("%-22s %8d %8.8s %10.4f %10.4f\n", edit_site_name(c.site).c_str(), c.layer, cell.c_str(),
                    e.metric - r.corrupted_metric, c.metric - r.corrupted_metric);
    }
  }
  const double r_value = estimate_correlation(r);
  out += std::isnan(r_value) ? std::string("correlation: none (fewer than 2 cells, or no spread)\n")
                             : format("correlation of estimate and patch: r = %.3f\n", r_value);
  return out;
}

void run_patch_grid_command(const PatchGridOptions& o) {
  PatchGridRequest request{o.prompt, o.other_prompt, o.target, o.foil, {}, o.heads, {}};
  ExperimentSpec parts;  // SpecFlags sets an experiment's interventions: the one it holds is the part patched
  parts.interventions.resize(1);
  o.part->apply(parts);
  request.part = parts.interventions.front();
  std::stringstream list(o.sites);
  for (std::string site; std::getline(list, site, ',');) request.sites.push_back(parse_edit_site(site));
  std::optional<OutputFolder> folder;
  if (!o.out.empty()) folder.emplace(o.out, "patch-grid.json");  // before the model loads: a bad --out fails now
  const Encoder model = load_model(o.model);
  const PatchGridResult result =
      o.attribute ? run_attribution_patching(GradientModel(model), request, o.check, o.qk_fix) : run_patch_grid(model, request);
  std::printf("%s", grid_tables(result, model.layers()).c_str());
  if (!result.checked.empty()) std::printf("%s", check_summary(result).c_str());
  if (folder) {
    const RunContext context = run_context(o.model, is_demo_model(model_path(o.model)));
    publish_files(*folder, patch_grid_files(result, model, context));
  }
}

}  // namespace

namespace {

// The options patch-grid and attribute share.
void add_grid_options(CLI::App& c, PatchGridOptions& o) {
  add_model_options(c, o.model);
  c.add_option("--prompt", o.prompt, "The clean prompt, with one [MASK]")->required();
  c.add_option("--other-prompt", o.other_prompt, "The corrupted prompt: as many tokens, one [MASK]")->required();
  c.add_option("--target", o.target, "Word whose logit (or log-prob) at the [MASK] is the metric")->required();
  c.add_option("--foil", o.foil, "Metric = logit[target] - logit[foil] (default: the target's log-prob)");
  CLI::Option* sites = c.add_option("--sites", o.sites,
                                    "Block sites patched, comma-separated (attn.q, attn.k, attn.v, attn.z: every head "
                                    "at the position)");
  c.add_flag("--heads", o.heads, "Patch each head's z (all positions) per layer instead: a layers x heads grid")
      ->excludes(sites);
  c.add_option("--out", o.out, "Output folder: patch-grid.json, patch-grid.csv, a heatmap per site (.svg, .png)");
  o.part = std::make_unique<SpecFlags>(c, kUsedByPatchGrid);
}

}  // namespace

void add_patch_grid_command(CLI::App& app) {
  auto o = std::make_shared<PatchGridOptions>();
  CLI::App* c = app.add_subcommand("patch-grid", "Patch each (site, layer, position) or (layer, head) from a clean run into a corrupted one");
  add_grid_options(*c, *o);
  c->footer("Example:\n  bertscope patch-grid --prompt \"The capital of France is [MASK].\" \\\n"
            "    --other-prompt \"The capital of Italy is [MASK].\" --target paris --foil rome --out out/grid");
  c->callback([o] { run_patch_grid_command(*o); });
}

void add_attribute_command(CLI::App& app) {
  auto o = std::make_shared<PatchGridOptions>();
  o->attribute = true;
  CLI::App* c = app.add_subcommand(
      "attribute", "Attribution patching: patch-grid's every cell estimated from one backward pass (AtP)");
  add_grid_options(*c, *o);
  c->add_option("--check", o->check, "Also patch the K cells of the largest estimates for real, and compare")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--qk-fix", o->qk_fix,
              "AtP*'s fix for attention saturation: attn.q and attn.k cells (add them to --sites) recompute the "
              "softmax of the pattern rows they change, linear from the pattern on");
  c->footer("Each cell: (a_clean - a_corrupted) . d metric / d a on the corrupted run, a first-order estimate of\n"
            "patching it (one batched forward pass of both prompts and 1 backward pass for the grid). Example:\n"
            "  bertscope attribute --prompt \"The capital of France is [MASK].\" \\\n"
            "    --other-prompt \"The capital of Italy is [MASK].\" --target paris --foil rome --check 10 --out out/atp");
  c->callback([o] { run_patch_grid_command(*o); });
}

}  // namespace bertscope::cli
