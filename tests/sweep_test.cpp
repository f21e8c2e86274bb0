// The sweep scheduler: the batched, prefix-reusing path equals a plain full forward pass
// with a hook per trial; the same seed gives the same draws and results whatever the
// thread count and batch size; summaries agree with the runs; bad requests are refused.
#include <gtest/gtest.h>

#include <omp.h>

#include "common/threads.h"
#include "experiments/experiment.h"
#include "experiments/sweep.h"
#include "interventions/vector_edits.h"
#include "experiments/sweep_summary.h"
#include "model/encoder.h"
#include "model/predictions.h"
#include "test_support.h"

namespace bertscope {
namespace {

const std::string kPrompt = "Pay no attention to that man [MASK] the curtain!";

const Encoder& small() {
  static const Encoder model = Encoder::load(test::reference_model("small-bf16"));
  return model;
}

SweepRequest request_of(InterventionKind kind, int trials) {
  SweepRequest r;
  r.prompt = kPrompt;
  r.target = "the";
  r.interventions = {InterventionSpec::of_kind(kind)};
  r.trials = trials;
  r.seed = 11;
  return r;
}

// The same trial computed the slow, obvious way: a full forward pass of one sequence
// with a hook at the site that applies the trial's edit from the trial's own stream.
std::vector<float> unbatched_trial(const Encoder& bert, const SweepRequest& r, const SweepResult& result,
                                   const TrialResult& trial) {
  const InterventionSpec& spec = r.interventions[static_cast<size_t>(trial.intervention)];
  const std::vector<int> positions = spec.positions.resolve(result.prompt.mask_index, result.prompt.ids, bert.tokenizer());
  std::vector<float> layer_values;
  Hooks capture;
  capture.add(HookSite::block(r.site, trial.layer), [&](const HookSite&, ActivationView v) {
    layer_values.assign(v.data, v.data + static_cast<size_t>(v.seq * v.width));
  });
  bert.forward(TokenBatch::single(result.prompt.ids), &capture);
  Hooks hooks;
  hooks.add(HookSite::block(r.site, trial.layer), [&](const HookSite&, ActivationView v) {
    RandomStream stream = trial_stream(r.seed, trial.intervention, r.paired, trial.layer, trial.trial);
    apply_intervention(spec, v, 0, edit_segments(v.shape(), r.site, positions, spec.heads), stream, {},
                       unbiased_std(layer_values.data(), static_cast<long long>(layer_values.size())));
  });
  const HiddenState last = bert.forward(TokenBatch::single(result.prompt.ids), &hooks);
  return log_softmax(bert.mlm_logits(last, 0, result.prompt.mask_index));
}

// Float32 sums taken in another order (oneDNN picks its kernel and split by row count and
// thread count) differ in the last bits, so "equal" is within 1e-5 relative to the value
// (log-softmax values here are around -10: a few float32 ulps).
::testing::AssertionResult near(double a, double b, double tolerance) {
  if (std::fabs(a - b) <= tolerance * std::max(1.0, std::fabs(b))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " vs " << b << " differ by " << std::fabs(a - b);
}

void expect_runs_equal(const SweepResult& a, const SweepResult& b, double tolerance) {
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_EQ(a.runs[i].layer, b.runs[i].layer);
    EXPECT_EQ(a.runs[i].trial, b.runs[i].trial);
    EXPECT_TRUE(near(a.runs[i].prediction.target_logsoftmax, b.runs[i].prediction.target_logsoftmax, tolerance)) << i;
    EXPECT_TRUE(near(a.runs[i].kl_from_clean, b.runs[i].kl_from_clean, tolerance)) << i;
    EXPECT_TRUE(near(a.runs[i].noise_std, b.runs[i].noise_std, tolerance)) << i;
    for (size_t k = 0; k < a.runs[i].prediction.top.size(); ++k) {
      EXPECT_TRUE(near(a.runs[i].prediction.top[k].log_prob, b.runs[i].prediction.top[k].log_prob, tolerance)) << i;
    }
  }
}

TEST(Sweep, BatchedPrefixReuseEqualsUnbatchedFullPasses) {
  const Encoder& bert = small();
  for (const char* site : {"out", "mlp.out", "attn.context", "attn.v", "attn.head_out"}) {
    for (InterventionKind kind : {InterventionKind::Shuffle, InterventionKind::Noise}) {
      SweepRequest r = request_of(kind, 5);
      r.site = parse_edit_site(site);
      if (is_per_head(r.site)) r.interventions[0].heads = {1, 3};  // each head's slice edited alone
      if (kind == InterventionKind::Noise) r.interventions[0].std_of = NoiseScale::Layer;
      const SweepResult result = run_sweep(bert, r);
      ASSERT_EQ(result.runs.size(), static_cast<size_t>(5 * bert.layers()));
      for (const TrialResult& trial : result.runs) {
        SCOPED_TRACE(std::string(site) + " L" + std::to_string(trial.layer) + " trial " + std::to_string(trial.trial));
        const std::vector<float> expected = unbatched_trial(bert, r, result, trial);
        EXPECT_TRUE(near(trial.prediction.target_logsoftmax, expected[static_cast<size_t>(result.prompt.target_id)], 1e-5));
        EXPECT_EQ(trial.prediction.top[0].id, top_k(expected, 1)[0].id);
      }
    }
  }
}

// embed.out is edited once, before block 0, and gives what a hook at embed.out gives in a
// full forward pass.
TEST(Sweep, EditsOfTheEmbeddingsEqualAHookAtEmbedOut) {
  const Encoder& bert = small();
  for (InterventionKind kind : {InterventionKind::Shuffle, InterventionKind::Noise, InterventionKind::Zero}) {
    SweepRequest r = request_of(kind, 3);
    r.site = parse_edit_site("embed.out");
    const SweepResult result = run_sweep(bert, r);
    const size_t trials = InterventionSpec::of_kind(kind).is_random() ? 3 : 1;
    ASSERT_EQ(result.runs.size(), trials);
    for (const TrialResult& trial : result.runs) {
      EXPECT_EQ(trial.layer, -1);
      const std::vector<float> expected = unbatched_trial(bert, r, result, trial);
      EXPECT_TRUE(near(trial.prediction.target_logsoftmax, expected[static_cast<size_t>(result.prompt.target_id)], 1e-5));
      EXPECT_GT(std::fabs(trial.prediction.target_logsoftmax - result.clean.target_logsoftmax), 1e-4) << "an edit";
    }
  }
}

TEST(Sweep, SameSeedSameResultsAcrossThreadsAndBatchSizes) {
  const Encoder& bert = small();
  SweepRequest r = request_of(InterventionKind::Noise, 12);
  const int threads = omp_get_max_threads();
  set_thread_count(1);
  const SweepResult one_thread = run_sweep(bert, r);
  const SweepResult repeated = run_sweep(bert, r);
  set_thread_count(2);
  const SweepResult two_threads = run_sweep(bert, r);
  r.max_batch_tokens = 1;  // one trial per batch
  const SweepResult unbatched = run_sweep(bert, r);
  r.max_batch_tokens = 5 * 12;  // 5 trials per batch: uneven chunks
  const SweepResult chunked = run_sweep(bert, r);
  set_thread_count(threads);
  expect_runs_equal(one_thread, repeated, 0.0);  // same settings: bit for bit
  expect_runs_equal(one_thread, two_threads, 1e-5);
  expect_runs_equal(one_thread, unbatched, 1e-5);
  expect_runs_equal(one_thread, chunked, 1e-5);

  r.seed = 12;
  const SweepResult other_seed = run_sweep(bert, r);
  int differ = 0;
  for (size_t i = 0; i < other_seed.runs.size(); ++i) {
    differ += std::fabs(other_seed.runs[i].prediction.target_logsoftmax - one_thread.runs[i].prediction.target_logsoftmax) > 1e-4;
  }
  EXPECT_GT(differ, static_cast<int>(other_seed.runs.size()) / 2);
}

// Streams are keyed by the intervention's index: two noise arms (x1 and x2) draw their own
// z, so their trials are independent. `paired` gives them the same z on purpose (common
// random numbers): then the noise actually added by x2 is exactly twice that of x1.
TEST(Sweep, NoiseArmsDrawIndependentStreamsUnlessPaired) {
  const Encoder& bert = small();
  SweepRequest r = request_of(InterventionKind::Noise, 6);
  r.layers = {0, 1};
  InterventionSpec x1 = InterventionSpec::of_kind(InterventionKind::Noise), x2 = x1;
  x1.factor = 1.0;
  x2.factor = 2.0;
  r.interventions = {x1, x2, x2};
  auto arm = [](const SweepResult& s, int i) {
    std::vector<const TrialResult*> out;
    for (const TrialResult& t : s.runs) {
      if (t.intervention == i) out.push_back(&t);
    }
    return out;
  };
  const SweepResult independent = run_sweep(bert, r);
  const auto a = arm(independent, 0), b = arm(independent, 1), c = arm(independent, 2);
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), a.size());
  int ratio_two = 0, same_as_twin = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ratio_two += std::fabs(b[i]->noise_std / a[i]->noise_std - 2.0) < 1e-4;
    same_as_twin += std::fabs(b[i]->prediction.target_logsoftmax - c[i]->prediction.target_logsoftmax) < 1e-6;
  }
  EXPECT_EQ(ratio_two, 0) << "x1 and x2 drew different z";
  EXPECT_EQ(same_as_twin, 0) << "two identical noise arms are independent draws, not copies";

  r.paired = true;
  const SweepResult paired = run_sweep(bert, r);
  const auto pa = arm(paired, 0), pb = arm(paired, 1), pc = arm(paired, 2);
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_NEAR(pb[i]->noise_std / pa[i]->noise_std, 2.0, 1e-5) << "the same z, scaled by 2";
    EXPECT_TRUE(near(pb[i]->prediction.target_logsoftmax, pc[i]->prediction.target_logsoftmax, 1e-5)) << "identical arms";
  }
  // Different trials still draw different z.
  EXPECT_NE(pa[0]->noise_std, pa[1]->noise_std);
}

TEST(Sweep, TrialsAreIndependentDrawsAndDeterministicKindsRunOnce) {
  const Encoder& bert = small();
  const SweepResult shuffled = run_sweep(bert, request_of(InterventionKind::Shuffle, 4));
  EXPECT_NE(shuffled.runs[0].prediction.target_logsoftmax, shuffled.runs[1].prediction.target_logsoftmax);
  const SweepResult scaled = run_sweep(bert, request_of(InterventionKind::Scale, 4));
  EXPECT_EQ(scaled.runs.size(), static_cast<size_t>(bert.layers()));
  const SweepResult noise = run_sweep(bert, request_of(InterventionKind::Noise, 3));
  for (const TrialResult& t : noise.runs) EXPECT_GT(t.noise_std, 0.0);
}

TEST(Sweep, MixAndPatchUseTheOtherPromptsState) {
  const Encoder& bert = small();
  SweepRequest same = request_of(InterventionKind::Patch, 1);
  same.interventions[0].other_prompt = kPrompt;  // patching a prompt into itself changes nothing
  InterventionSpec keep = InterventionSpec::of_kind(InterventionKind::Mix);
  keep.factor = 1.0;  // a = 1 keeps the own state
  keep.other_prompt = "The capital of France is [MASK].";
  same.interventions.push_back(keep);
  const SweepResult unchanged = run_sweep(bert, same);
  for (const TrialResult& t : unchanged.runs) {
    EXPECT_NEAR(t.prediction.target_logsoftmax, unchanged.clean.target_logsoftmax, 1e-5);
    EXPECT_NEAR(t.kl_from_clean, 0.0, 1e-6);
  }

  // Patching the other prompt's [MASK] state at the last block equals reading the other
  // prompt's own prediction there: after the last block only the head remains.
  SweepRequest patch = request_of(InterventionKind::Patch, 1);
  patch.interventions[0].other_prompt = "The capital of France is [MASK].";
  patch.layers = {bert.layers() - 1};
  const SweepResult patched = run_sweep(bert, patch);
  const Encoding other = bert.tokenizer().encode("The capital of France is [MASK].");
  const HiddenState other_last = bert.forward(TokenBatch::single(other.ids));
  const auto other_log_probs = log_softmax(bert.mlm_logits(other_last, 0, 6));
  EXPECT_NEAR(patched.runs[0].prediction.target_logsoftmax, other_log_probs[static_cast<size_t>(patched.prompt.target_id)], 1e-5);
}

TEST(Sweep, SummaryAgreesWithTheRuns) {
  const Encoder& bert = small();
  const SweepResult result = run_sweep(bert, request_of(InterventionKind::Shuffle, 6));
  const auto summaries = summarize(result, bert.tokenizer().vocab());
  ASSERT_EQ(summaries.size(), static_cast<size_t>(bert.layers()));
  for (const LayerSummary& s : summaries) {
    std::vector<double> values;
    int hits = 0;
    for (const TrialResult& t : result.runs) {
      if (t.layer != s.layer) continue;
      values.push_back(t.prediction.target_logsoftmax);
      hits += t.prediction.top[0].id == result.prompt.target_id;
    }
    ASSERT_EQ(values.size(), 6u);
    double mean = 0.0;
    for (double v : values) mean += v / 6.0;
    EXPECT_NEAR(s.target_logsoftmax.mean, mean, 1e-9);
    EXPECT_LT(s.target_logsoftmax.ci_low, mean);
    EXPECT_GT(s.target_logsoftmax.ci_high, mean);
    EXPECT_DOUBLE_EQ(s.share_top1_target, hits / 6.0);
    int counted = 0;
    for (const auto& [id, n] : s.top1_counts) counted += n;
    EXPECT_EQ(counted, 6);
  }
}

TEST(Sweep, PunctuationTokens) {
  for (const char* yes : {".", ",", "!", "\"", "...", "##.", "—", "«"}) EXPECT_TRUE(is_punctuation_token(yes)) << yes;
  for (const char* no : {"the", "a.", "[UNK]", "[MASK]", "##s", "", "1"}) EXPECT_FALSE(is_punctuation_token(no)) << no;
}

TEST(Sweep, BadRequestsAreRefusedWithClearErrors) {
  const Encoder& bert = small();
  auto message = [&](SweepRequest r) {
    try {
      run_sweep(bert, r);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SweepRequest no_mask = request_of(InterventionKind::Zero, 1);
  no_mask.prompt = "no mask here";
  EXPECT_NE(message(no_mask).find("no [MASK]"), std::string::npos);
  SweepRequest two_masks = request_of(InterventionKind::Zero, 1);
  two_masks.prompt = "[MASK] and [MASK]";
  EXPECT_NE(message(two_masks).find("2 [MASK]"), std::string::npos);
  SweepRequest pieces = request_of(InterventionKind::Zero, 1);
  pieces.target = "unbelievably";
  EXPECT_NE(message(pieces).find("not one word piece"), std::string::npos) << message(pieces);
  SweepRequest layer = request_of(InterventionKind::Zero, 1);
  layer.layers = {bert.layers()};
  EXPECT_NE(message(layer).find("out of range"), std::string::npos);
  EXPECT_THROW(parse_layers("0-9", 4), Error);
  EXPECT_THROW(parse_layers("2-1", 4), Error);
  EXPECT_THROW(parse_layers("x", 4), Error);
  EXPECT_EQ(parse_layers("0,2-3", 4), (std::vector<int>{0, 2, 3}));
  EXPECT_EQ(parse_layers("all", 4), (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace bertscope
