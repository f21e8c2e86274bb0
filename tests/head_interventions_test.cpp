// Head-level interventions, patch grids and the logit lens, each against an independent
// computation: a hand-written hook, an identity of the math, or the model's own output.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "experiments/experiment.h"
#include "experiments/logit_lens.h"
#include "experiments/patch_grid.h"
#include "experiments/sweep.h"
#include "model/encoder.h"
#include "model/predictions.h"
#include "reports/figure_lens.h"
#include "test_support.h"

namespace bertscope {
namespace {

const std::string kPrompt = "Pay no attention to that man [MASK] the curtain!";
const std::string kOther = "Pay no attention to this dog [MASK] the window!";  // as many tokens

const Encoder& small() {
  static const Encoder model = Encoder::load(test::reference_model("small-bf16"));
  return model;
}

SweepResult sweep_of(InterventionSpec spec, const std::string& site) {
  SweepRequest r;
  r.prompt = kPrompt;
  r.target = "the";
  r.interventions = {std::move(spec)};
  r.site = parse_edit_site(site);
  return run_sweep(small(), r);
}

InterventionSpec spec_of(InterventionKind kind, std::vector<int> heads = {}, const std::string& positions = "all") {
  InterventionSpec spec = InterventionSpec::of_kind(kind);
  spec.heads = std::move(heads);
  spec.positions = Positions::parse(positions);
  return spec;
}

void expect_same_runs(const SweepResult& a, const SweepResult& b, double tolerance) {
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_NEAR(a.runs[i].prediction.target_logsoftmax, b.runs[i].prediction.target_logsoftmax, tolerance) << "block " << i;
  }
}

TEST(HeadInterventions, ScalingEveryHeadByOneChangesNothing) {
  InterventionSpec spec = spec_of(InterventionKind::Scale, {0, 1, 2, 3, 4, 5, 6, 7});
  spec.factor = 1.0;
  const SweepResult result = sweep_of(spec, "attn.head_out");
  for (const TrialResult& t : result.runs) {
    EXPECT_NEAR(t.prediction.target_logsoftmax, result.clean.target_logsoftmax, 1e-5) << t.layer;
    EXPECT_NEAR(t.kl_from_clean, 0.0, 1e-6);
  }
}

TEST(HeadInterventions, ZeroingAHeadsZEqualsZeroingItsOutputTerm) {
  const SweepResult z = sweep_of(spec_of(InterventionKind::Zero, {2, 5}), "attn.z");
  const SweepResult term = sweep_of(spec_of(InterventionKind::Zero, {2, 5}), "attn.head_out");
  expect_same_runs(z, term, 1e-5);
  int changed = 0;
  for (const TrialResult& t : z.runs) changed += std::fabs(t.prediction.target_logsoftmax - z.clean.target_logsoftmax) > 1e-4;
  EXPECT_GT(changed, 0);
  // Every head zeroed is the whole context zeroed: attn.out is then its bias alone.
  expect_same_runs(sweep_of(spec_of(InterventionKind::Zero), "attn.head_out"),
                   sweep_of(spec_of(InterventionKind::Zero), "attn.context"), 1e-5);
}

TEST(HeadInterventions, MeanAblationPutsTheHeadsCleanMeanOverPositionsAtEveryPosition) {
  const Encoder& bert = small();
  const SweepResult result = sweep_of(spec_of(InterventionKind::Mean, {3}), "attn.head_out");
  const MaskedPrompt prompt = MaskedPrompt::prepare(bert, kPrompt, "the");
  for (int layer = 0; layer < bert.layers(); ++layer) {
    // The same edit by hand: head 3's clean term averaged over positions, put everywhere.
    std::vector<double> mean;
    Hooks read;
    read.add(HookSite::block(SiteKind::AttnHeadOut, layer), [&](const HookSite&, ActivationView v) {
      const int H = v.dims[3];
      mean.assign(static_cast<size_t>(H), 0.0);
      for (int s = 0; s < v.seq; ++s) {
        for (int i = 0; i < H; ++i) mean[static_cast<size_t>(i)] += static_cast<double>(v.row(0, s)[3 * H + i]) / v.seq;
      }
    });
    bert.forward(TokenBatch::single(prompt.ids), &read);
    Hooks edit;
    edit.add(HookSite::block(SiteKind::AttnHeadOut, layer), [&](const HookSite&, ActivationView v) {
      const int H = v.dims[3];
      for (int s = 0; s < v.seq; ++s) {
        for (int i = 0; i < H; ++i) v.row(0, s)[3 * H + i] = static_cast<float>(mean[static_cast<size_t>(i)]);
      }
    });
    const std::vector<float> expected = log_softmax(bert.mlm_logits(bert.forward(TokenBatch::single(prompt.ids), &edit), 0,
                                                                    prompt.mask_index));
    EXPECT_NEAR(result.runs[static_cast<size_t>(layer)].prediction.target_logsoftmax,
                expected[static_cast<size_t>(prompt.target_id)], 1e-5);
  }
}

TEST(HeadInterventions, MeanOverAPromptFileOfThePromptItselfIsTheMeanOverItsPositions) {
  InterventionSpec own = spec_of(InterventionKind::Mean, {3});
  InterventionSpec file = own;
  file.mean_prompts = {kPrompt};
  expect_same_runs(sweep_of(own, "attn.head_out"), sweep_of(file, "attn.head_out"), 1e-5);
  expect_same_runs(sweep_of(spec_of(InterventionKind::Mean), "mlp.out"), [] {
    InterventionSpec s = spec_of(InterventionKind::Mean);
    s.mean_prompts = {kPrompt};
    return sweep_of(s, "mlp.out");
  }(), 1e-5);
  // Other prompts give another mean, hence other results.
  file.mean_prompts = {kOther, "a [MASK] b"};
  EXPECT_EQ(file.label(), "mean of 2 prompts heads 3 @all");
  const SweepResult other = sweep_of(file, "attn.head_out"), mine = sweep_of(own, "attn.head_out");
  double largest = 0.0;
  for (size_t i = 0; i < other.runs.size(); ++i) {
    largest = std::max(largest, std::fabs(other.runs[i].prediction.target_logsoftmax - mine.runs[i].prediction.target_logsoftmax));
  }
  EXPECT_GT(largest, 1e-5);
}

TEST(HeadInterventions, AttendToOnePositionMakesEachHeadsZThatPositionsValue) {
  const Encoder& bert = small();
  const MaskedPrompt prompt = MaskedPrompt::prepare(bert, kPrompt, "the");
  InterventionSpec spec = spec_of(InterventionKind::Attend, {1, 6});
  spec.attend_to = 4;
  const int d = bert.config().head_dim();
  std::vector<float> v_values, z_values;
  Hooks hooks;
  hooks.add(HookSite::block(SiteKind::AttnV, 2),
            [&](const HookSite&, ActivationView v) { v_values.assign(v.data, v.data + v.size()); });
  hooks.add(HookSite::block(SiteKind::AttnPattern, 2), [&](const HookSite&, ActivationView v) {
    RandomStream stream(0, {0});
    const std::vector<int> positions = spec.positions.resolve(prompt.mask_index, prompt.ids, bert.tokenizer());
    apply_intervention(spec, v, 0, edit_segments(v.shape(), SiteKind::AttnPattern, positions, spec.heads), stream, {}, 0.0);
  });
  hooks.add(HookSite::block(SiteKind::AttnZ, 2),
            [&](const HookSite&, ActivationView v) { z_values.assign(v.data, v.data + v.size()); });
  bert.forward(TokenBatch::single(prompt.ids), &hooks);
  const int H = bert.config().hidden_size;
  for (int head : {1, 6}) {
    for (size_t q = 0; q < prompt.ids.size(); ++q) {
      for (int e = 0; e < d; ++e) {
        EXPECT_NEAR(z_values[q * H + static_cast<size_t>(head * d + e)], v_values[4 * static_cast<size_t>(H) + static_cast<size_t>(head * d + e)], 1e-6);
      }
    }
  }
  // Head 0 was left alone: its z is not position 4's value.
  EXPECT_GT(std::fabs(z_values[0] - v_values[4 * static_cast<size_t>(H)]), 1e-4);
  // The sweep runs the same edit, and uniform attention is another, different one.
  const SweepResult attend = sweep_of(spec, "attn.pattern");
  const SweepResult uniform = sweep_of(spec_of(InterventionKind::Uniform, {1, 6}), "attn.pattern");
  EXPECT_GT(std::fabs(attend.runs[2].prediction.target_logsoftmax - uniform.runs[2].prediction.target_logsoftmax), 1e-6);
}

TEST(HeadInterventions, PatchingEveryPositionOfABlockOutputGivesTheOtherPromptsResult) {
  InterventionSpec spec = spec_of(InterventionKind::Patch);
  spec.other_prompt = kOther;
  const SweepResult patched = sweep_of(spec, "out");
  SweepRequest other;
  other.prompt = kOther;
  other.target = "the";
  other.interventions = {InterventionSpec::of_kind(InterventionKind::Zero)};
  const SweepResult other_clean = run_sweep(small(), other);
  for (const TrialResult& t : patched.runs) {
    EXPECT_NEAR(t.prediction.target_logsoftmax, other_clean.clean.target_logsoftmax, 1e-5) << t.layer;
  }
  // Patching the other prompt's heads from the same prompt at a head site changes nothing.
  InterventionSpec same = spec_of(InterventionKind::Patch, {0, 7});
  same.other_prompt = kPrompt;
  for (const TrialResult& t : sweep_of(same, "attn.pattern").runs) {
    EXPECT_NEAR(t.prediction.target_logsoftmax, patched.clean.target_logsoftmax, 1e-5);
  }
}

TEST(HeadInterventions, BadOptionsAreRefusedWithTheirName) {
  auto message = [](InterventionSpec spec, const std::string& site) {
    try {
      sweep_of(std::move(spec), site);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(spec_of(InterventionKind::Zero, {1}), "mlp.out").find("--heads selects heads at the per-head sites"),
            std::string::npos);
  EXPECT_NE(message(spec_of(InterventionKind::Zero, {8}), "attn.z").find("head 8 is out of range (the model has heads 0-7)"),
            std::string::npos);
  EXPECT_NE(message(spec_of(InterventionKind::Uniform), "attn.z").find("--site must be attn.pattern for uniform, which edits attention patterns, not attn.z"), std::string::npos);
  InterventionSpec far = spec_of(InterventionKind::Attend);
  far.attend_to = 40;
  EXPECT_NE(message(far, "attn.pattern").find("--attend-to 40 is outside the prompt's 12 tokens"), std::string::npos);
}

TEST(PatchGrid, PatchingTheMaskRowOfTheLastBlockGivesTheCleanMetricAndCellsCoverTheGrid) {
  const Encoder& bert = small();
  PatchGridRequest request{kPrompt, kOther, "the", "of", {SiteKind::BlockOut, SiteKind::AttnOut}, false};
  const PatchGridResult r = run_patch_grid(bert, request);
  const int seq = static_cast<int>(r.clean.ids.size()), layers = bert.layers();
  ASSERT_EQ(r.cells.size(), static_cast<size_t>(2 * layers * seq));
  EXPECT_EQ(r.metric_name, "logit_diff");
  // The clean and corrupted metrics are the plain runs' logit differences.
  for (const auto& [prompt, metric] : {std::pair{r.clean, r.clean_metric}, std::pair{r.corrupted, r.corrupted_metric}}) {
    const std::vector<float> logits = bert.mlm_logits(bert.forward(TokenBatch::single(prompt.ids)), 0, prompt.mask_index);
    EXPECT_NEAR(metric, logits[static_cast<size_t>(r.clean.target_id)] - logits[static_cast<size_t>(r.foil_id)], 1e-4);
  }
  ASSERT_GT(std::fabs(r.clean_metric - r.corrupted_metric), 1e-3);
  for (const PatchCell& c : r.cells) {
    EXPECT_NEAR(c.normalized, (c.metric - r.corrupted_metric) / (r.clean_metric - r.corrupted_metric), 1e-9);
    // The head reads only the [MASK] row of the last block's output: patching it is the clean run.
    if (c.site == SiteKind::BlockOut && c.layer == layers - 1) {
      EXPECT_NEAR(c.normalized, c.position == r.corrupted.mask_index ? 1.0 : 0.0, 1e-4) << c.position;
    }
  }
  // Heads: one cell per (layer, head); each is the corrupted run with that head's z patched
  // in from the clean run at every position, as a sweep patching it computes too.
  request.heads = true;
  request.foil.clear();  // metric: the target's log-prob, which a sweep records
  const PatchGridResult heads = run_patch_grid(bert, request);
  ASSERT_EQ(heads.cells.size(), static_cast<size_t>(layers * bert.config().num_attention_heads));
  EXPECT_EQ(heads.metric_name, "target_logsoftmax");
  SweepRequest sweep;
  sweep.prompt = kOther;
  sweep.target = "the";
  InterventionSpec patch = spec_of(InterventionKind::Patch, {5});
  patch.other_prompt = kPrompt;
  sweep.interventions = {patch};
  sweep.site = SiteKind::AttnZ;
  const SweepResult swept = run_sweep(bert, sweep);
  int compared = 0;
  for (const PatchCell& c : heads.cells) {
    if (c.head != 5) continue;
    EXPECT_NEAR(c.metric, swept.runs[static_cast<size_t>(c.layer)].prediction.target_logsoftmax, 1e-5) << c.layer;
    ++compared;
  }
  EXPECT_EQ(compared, layers);
}

// The lens figure's word cells share the width beside the target's plot: three columns are
// wider than five, and either table ends where the plot's band begins.
TEST(LogitLens, FigureCellsFillTheWidthBesideThePlot) {
  const std::regex head(R"re(<text [^>]*x="([0-9.]+)"[^>]*>top ([0-9]+)</text>)re");
  for (const int k : {3, 5}) {
    const LensResult lens = run_logit_lens(small(), kPrompt, "the", k);
    const std::string svg = lens_figure(lens, small().tokenizer().vocab(), ImageFormat::Svg);
    std::vector<double> x;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), head); it != std::sregex_iterator(); ++it) {
      x.push_back(std::stod((*it)[1].str()));
    }
    ASSERT_EQ(x.size(), static_cast<size_t>(k)) << "one head per column";
    const double cell = x[1] - x[0];
    EXPECT_GE(cell, 100.0);
    // The table's right edge (first cell's left + k cells) against 1000 - margin - plot band.
    const double right = x[0] - 7 + k * cell;
    EXPECT_LE(right, 1000.0 - 24 - (24 + 220 + 40)) << k;
    EXPECT_GE(right, 1000.0 - 24 - (24 + 220 + 40) - k) << k << ": the cells leave the width unused";
  }
}

TEST(LogitLens, TheLastStateIsTheModelsPredictionAndEveryStateIsRead) {
  const Encoder& bert = small();
  const LensResult lens = run_logit_lens(bert, kPrompt, "the", 4);
  ASSERT_EQ(lens.states.size(), static_cast<size_t>(bert.layers() + 1));
  EXPECT_EQ(lens.states.front().site.name(), "embed.out");
  EXPECT_EQ(lens.states.back().site.name(), "blocks.3.out");
  const std::vector<float> final_log_probs =
      log_softmax(bert.mlm_logits(bert.forward(TokenBatch::single(lens.prompt.ids)), 0, lens.prompt.mask_index));
  const MaskPrediction& last = lens.states.back().prediction;
  EXPECT_NEAR(last.target_logsoftmax, final_log_probs[static_cast<size_t>(lens.prompt.target_id)], 1e-5);
  EXPECT_EQ(last.top[0].id, top_k(final_log_probs, 1)[0].id);
  // An earlier state read by hand: the head on block 1's output at the [MASK].
  std::vector<HiddenState> hidden;
  bert.forward(TokenBatch::single(lens.prompt.ids), nullptr, &hidden);
  const std::vector<float> middle = log_softmax(bert.mlm_logits(hidden[2], 0, lens.prompt.mask_index));
  EXPECT_NEAR(lens.states[2].prediction.target_logsoftmax, middle[static_cast<size_t>(lens.prompt.target_id)], 1e-6);
  EXPECT_EQ(lens.states[2].prediction.target_rank, rank_of(middle, lens.prompt.target_id));
  EXPECT_EQ(lens.states[2].prediction.top.size(), 4u);
}

TEST(LogitLens, AFoilGivesTheLogitDifferenceAtEveryState) {
  const Encoder& bert = small();
  const LensResult lens = run_logit_lens(bert, kPrompt, "the", 3, "of");
  const LensResult plain = run_logit_lens(bert, kPrompt, "the", 3);
  std::vector<HiddenState> hidden;
  bert.forward(TokenBatch::single(lens.prompt.ids), nullptr, &hidden);
  ASSERT_EQ(lens.states.size(), hidden.size());
  for (size_t s = 0; s < hidden.size(); ++s) {
    // The raw logits of the head at this state, not the log-softmax the lens ranks by.
    const std::vector<float> logits = bert.mlm_logits(hidden[s], 0, lens.prompt.mask_index);
    const double expected = static_cast<double>(logits[static_cast<size_t>(lens.prompt.target_id)]) -
                            static_cast<double>(logits[static_cast<size_t>(lens.prompt.foil_id)]);
    EXPECT_NEAR(lens.states[s].prediction.logit_diff, expected, 1e-4) << s;
    EXPECT_TRUE(std::isnan(plain.states[s].prediction.logit_diff));
    EXPECT_EQ(lens.states[s].prediction.target_logsoftmax, plain.states[s].prediction.target_logsoftmax);
  }
  EXPECT_THROW(run_logit_lens(bert, kPrompt, "", 3, "of"), Error);     // a foil needs a target
  EXPECT_THROW(run_logit_lens(bert, kPrompt, "the", 3, "the"), Error);  // and is another word
}

}  // namespace
}  // namespace bertscope
