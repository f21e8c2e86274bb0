// bertscope-gradients-bench: the backward pass and attribution patching, side by side with
// what they replace, in one run (bench/gradients.py drives it on the bert-large-shaped model):
//   forward        one forward pass of the corrupted prompt and the metric at its [MASK]
//   gradients      the same pass keeping every site (head_out aside), then the backward pass
//   atp_positions  attribution patching over 3 sites x blocks x positions
//   patch_positions  the exhaustive patch grid over the same cells
//   atp_heads, patch_heads  the same over blocks x heads
// Rounds are interleaved (every case once per round, from a different one each round), and
// each case reports its median. The FLOPs of the forward and of the backward pass are counted
// from the shapes, so that their rates can be set beside the FMA peak (bench/fma_peak).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bertscope.h"
#include "experiments/attribution_patching.h"
#include "experiments/patch_grid.h"
#include "model/gradients.h"

namespace {

using namespace bertscope;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Multiply-adds x 2 of one forward pass over `seq` tokens through the blocks, and of the
// head on one row; the backward's input gradients cost the blocks' matmuls once more (a GLU
// FFN's gate recomputed too: the forward keeps mlp.pre, not the gate), plus the attention's
// backward (4 products of [seq, seq] by [seq, head_dim] against the forward's 2), plus the
// head's, whose logit difference reads 2 rows of the decoder.
struct Flops {
  double forward = 0.0, backward = 0.0;
};

Flops count_flops(const ModelConfig& c, int seq) {
  const double S = seq, H = c.hidden_size, I = c.intermediate_size, L = c.num_hidden_layers, V = c.vocab_size;
  const double D = c.head_size > 0 ? c.head_size : H;
  const double ffn_in = (c.glu_ffn ? 2 : 1) * H * I;
  const double matmuls = 2 * S * (4 * H * H + ffn_in + I * H);
  const double attention = 2 * 2 * S * S * H;
  const double head = 2 * (H * D + D * V);
  Flops f;
  f.forward = L * (matmuls + attention) + head;
  f.backward = L * (matmuls + (c.glu_ffn ? 2 * S * H * I : 0) + 2 * attention) + 2 * (H * D + D * 2);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("bertscope-gradients-bench: backward pass and attribution patching against patching, side by side");
  std::string model_dir, prompt = "Pay no attention to that man [MASK] the curtain!",
                         other = "Pay no attention to this dog [MASK] the window!", target = "behind", foil = "on";
  int repeats = 3;
  bool skip_exhaustive = false;
  app.add_option("--model", model_dir, "Model folder")->required();
  app.add_option("--prompt", prompt, "Clean prompt");
  app.add_option("--other-prompt", other, "Corrupted prompt (as many tokens)");
  app.add_option("--target", target, "Target word");
  app.add_option("--foil", foil, "Foil word");
  app.add_option("--repeats", repeats, "Rounds (each case once per round)")->check(CLI::PositiveNumber);
  app.add_flag("--skip-exhaustive", skip_exhaustive, "Leave out the exhaustive patch grids (the slow cases)");
  CLI11_PARSE(app, argc, argv);
  try {
    const Encoder model = Encoder::load(model_dir);
    const GradientModel gradients(model);
    const PatchGridRequest positions{prompt, other, target, foil, {SiteKind::BlockOut, SiteKind::AttnOut, SiteKind::MlpOut}, false, {}};
    PatchGridRequest heads = positions;
    heads.heads = true;
    const MaskedPrompt corrupted = MaskedPrompt::prepare(model, other, target, true, foil);
    const TokenBatch tokens = TokenBatch::single(corrupted.ids);
    GradientRequest request;
    // Every site but head_out, which splits the forward's attention output matmul by head:
    // the gradients case is then the forward pass plus the backward pass, nothing more.
    request.sites = HookSite::all(model.layers());
    std::erase_if(request.sites, [](const HookSite& site) { return site.kind == SiteKind::AttnHeadOut; });
    request.metric = GradientMetric::LogitDifference;
    request.position = corrupted.mask_index;
    request.target = corrupted.target_id;
    request.foil = corrupted.foil_id;

    std::vector<std::pair<std::string, std::function<void()>>> cases = {
        {"forward", [&] {
           const HiddenState last = model.forward(tokens);
           (void)model.mlm_logits(last, 0, corrupted.mask_index);
         }},
        {"gradients", [&] { (void)gradients.run(tokens, request); }},
        {"atp_positions", [&] { (void)run_attribution_patching(gradients, positions); }},
        {"atp_heads", [&] { (void)run_attribution_patching(gradients, heads); }},
    };
    if (!skip_exhaustive) {
      cases.push_back({"patch_positions", [&] { (void)run_patch_grid(model, positions); }});
      cases.push_back({"patch_heads", [&] { (void)run_patch_grid(model, heads); }});
    }
    for (auto& c : cases) c.second();  // warm-up: pages, caches, thread pool
    std::vector<std::vector<double>> times(cases.size());
    for (int round = 0; round < repeats; ++round) {
      for (size_t i = 0; i < cases.size(); ++i) {
        const size_t at = (i + static_cast<size_t>(round)) % cases.size();
        const auto start = Clock::now();
        cases[at].second();
        times[at].push_back(std::chrono::duration<double>(Clock::now() - start).count());
      }
    }
    nlohmann::json out;
    const Flops flops = count_flops(model.config(), static_cast<int>(corrupted.ids.size()));
    out["model"] = model_dir;
    out["tokens"] = corrupted.ids.size();
    out["cells"] = {{"positions", 3 * model.layers() * static_cast<int>(corrupted.ids.size())},
                    {"heads", model.layers() * model.config().num_attention_heads}};
    for (size_t i = 0; i < cases.size(); ++i) out["cases"][cases[i].first] = {{"times_s", times[i]}, {"median_s", median(times[i])}};
    const double forward = median(times[0]), with_backward = median(times[1]);
    out["forward_gflops"] = flops.forward / 1e9;
    out["backward_gflops"] = flops.backward / 1e9;
    // The backward alone: the gradients case less one forward pass (its own, with every site kept).
    out["backward_s_estimate"] = with_backward - forward;
    out["forward_gflop_per_s"] = flops.forward / forward / 1e9;
    out["backward_gflop_per_s"] = flops.backward / std::max(1e-9, with_backward - forward) / 1e9;
    for (const char* grid : {"positions", "heads"}) {
      const std::string atp = std::string("atp_") + grid, patch = std::string("patch_") + grid;
      out["forward_equivalents"][atp] = out["cases"][atp]["median_s"].get<double>() / forward;
      if (!skip_exhaustive) {
        out["forward_equivalents"][patch] = out["cases"][patch]["median_s"].get<double>() / forward;
        out["speedup_over_patching"][grid] =
            out["cases"][patch]["median_s"].get<double>() / out["cases"][atp]["median_s"].get<double>();
      }
    }
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
