// Batching across prompts: a trial's record is the same bits whether its prompt runs alone
// or in a dataset, whatever else shares its batch (other prompts, padding) and whatever
// max_batch_tokens is. Sharding and merging rely on it (experiments/work_item.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "experiments/experiment.h"
#include "experiments/sweep.h"
#include "experiments/wavefront_plan.h"
#include "kernels/linear.h"
#include "model/encoder.h"
#include "test_support.h"

namespace bertscope {
namespace {

// Different lengths (so batches are padded), the [MASK] at different places.
const std::vector<PromptSpec> kPrompts = {
    {"The man went to the [MASK] to buy some milk and bread for the family.", "store"},
    {"Paris is the [MASK] of France.", "capital"},
    {"[MASK] is a good idea.", "this"},
    {"She put the book back on the shelf, then she sat down by the window and looked at the [MASK].", "sky"},
    {"The dog [MASK].", "sat"},
};
const std::string kOther = "The woman went to the [MASK] to buy some bread.";

// The same bits where this CPU's matmul gives a row the same bits in any call
// (kernels/linear.h: AVX-512 and up); elsewhere (oneDNN 2.6 on AVX2) the same to float
// precision, a few units of the last place of the logits.
bool same_bits(double a, double b) {
  if (matmul_rows_invariant()) return std::memcmp(&a, &b, sizeof a) == 0;
  return std::fabs(a - b) <= 1e-5 * (1.0 + std::fabs(a)) || (std::isnan(a) && std::isnan(b));
}

// Every field of two trial records, bit for bit.
void expect_same_bits(const TrialResult& a, const TrialResult& b, const std::string& where) {
  EXPECT_EQ(a.prompt, b.prompt) << where;
  EXPECT_EQ(a.intervention, b.intervention) << where;
  EXPECT_EQ(a.layer, b.layer) << where;
  EXPECT_EQ(a.trial, b.trial) << where;
  const MaskPrediction &x = a.prediction, &y = b.prediction;
  // Without bit-identity a near tie may swap places: a rank one apart, neighbours of the top-k
  // exchanged (their log-probs, in order, still agree).
  const bool exact = matmul_rows_invariant();
  EXPECT_TRUE(same_bits(x.target_logsoftmax, y.target_logsoftmax) && same_bits(x.target_prob, y.target_prob) &&
              same_bits(x.loss, y.loss) && (exact ? x.target_rank == y.target_rank : std::abs(x.target_rank - y.target_rank) <= 1))
      << where << ": " << x.target_logsoftmax << " vs " << y.target_logsoftmax << ", rank " << x.target_rank << " vs "
      << y.target_rank;
  ASSERT_EQ(x.top.size(), y.top.size()) << where;
  for (size_t k = 0; k < x.top.size(); ++k) {
    auto tied = [&](size_t other) { return other < x.top.size() && std::fabs(x.top[k].log_prob - x.top[other].log_prob) < 1e-5; };
    if (exact || !(tied(k - 1) || tied(k + 1))) {
      EXPECT_EQ(x.top[k].id, y.top[k].id) << where;
    }
    EXPECT_TRUE(same_bits(x.top[k].log_prob, y.top[k].log_prob)) << where;
  }
  EXPECT_TRUE(same_bits(a.kl_from_clean, b.kl_from_clean)) << where;
  EXPECT_TRUE(same_bits(a.noise_std, b.noise_std)) << where;
}

InterventionSpec kind(InterventionKind k) { return InterventionSpec::of_kind(k); }

InterventionSpec with_other(InterventionKind k) {
  InterventionSpec s = kind(k);
  s.other_prompt = kOther;
  return s;
}

ExperimentSpec spec_of(SiteKind site, std::vector<InterventionSpec> interventions, std::vector<PromptSpec> prompts) {
  ExperimentSpec spec;
  spec.prompts = std::move(prompts);
  spec.interventions = std::move(interventions);
  spec.site = site;
  spec.trials = 3;
  spec.seed = 5;
  return spec;
}

// The experiment on all prompts, with two max_batch_tokens (one batch of everything, and
// small batches that split and pad differently), against each prompt run alone.
void expect_dataset_equals_prompts_alone(const Encoder& model, const ExperimentSpec& spec, const std::string& name) {
  ExperimentSpec all = spec;
  all.max_batch_tokens = 1 << 20;
  ExperimentSpec small = spec;
  small.max_batch_tokens = 53;
  const ExperimentResult together = run_experiment(model, all);
  const ExperimentResult split = run_experiment(model, small);
  ASSERT_EQ(together.sweeps.size(), spec.prompts.size());
  std::set<double> distinct;
  for (size_t p = 0; p < spec.prompts.size(); ++p) {
    ExperimentSpec one = spec;
    one.prompts = {spec.prompts[p]};
    const ExperimentResult alone = run_experiment(model, one);
    const std::vector<TrialResult>& expected = alone.sweeps.front().runs;
    ASSERT_FALSE(expected.empty());
    for (const ExperimentResult* run : {&together, &split}) {
      const SweepResult& got = run->sweeps[p];
      ASSERT_EQ(got.runs.size(), expected.size()) << name;
      ASSERT_EQ(got.clean_log_probs.size(), alone.sweeps.front().clean_log_probs.size());
      for (size_t v = 0; v < got.clean_log_probs.size(); ++v) {
        if (!same_bits(got.clean_log_probs[v], alone.sweeps.front().clean_log_probs[v])) {
          ADD_FAILURE() << name << ": clean log-prob of token " << v << " differs";
          break;
        }
      }
      for (size_t i = 0; i < expected.size(); ++i) {
        TrialResult want = expected[i];
        want.prompt = static_cast<int>(p);
        expect_same_bits(got.runs[i], want, name + " prompt " + std::to_string(p) + " run " + std::to_string(i));
        distinct.insert(got.runs[i].prediction.target_logsoftmax);
      }
    }
  }
  // The edits did something, differently per prompt and trial: equal results are not vacuous.
  EXPECT_GT(distinct.size(), spec.prompts.size() * 2) << name;
}

class DatasetBatching : public ::testing::TestWithParam<std::string> {
 protected:
  const Encoder& model() {
    static std::map<std::string, Encoder> models;
    auto found = models.find(GetParam());
    if (found == models.end()) found = models.emplace(GetParam(), Encoder::load(test::reference_model(GetParam()))).first;
    return found->second;
  }
};

TEST_P(DatasetBatching, BlockOutputEditsGiveTheSameBitsAloneOrInADataset) {
  InterventionSpec all_positions = kind(InterventionKind::Noise);
  all_positions.positions = Positions::parse("all");
  expect_dataset_equals_prompts_alone(
      model(),
      spec_of(SiteKind::BlockOut,
              {kind(InterventionKind::Noise), kind(InterventionKind::Shuffle), all_positions, kind(InterventionKind::Zero),
               kind(InterventionKind::Skip), kind(InterventionKind::Mean), with_other(InterventionKind::Patch),
               with_other(InterventionKind::Mix)},
              kPrompts),
      "block out");
}

TEST_P(DatasetBatching, PerHeadAndInsideBlockEditsGiveTheSameBitsAloneOrInADataset) {
  InterventionSpec head = kind(InterventionKind::Noise);
  head.heads = {1};
  InterventionSpec mean = kind(InterventionKind::Mean);
  mean.heads = {0};
  InterventionSpec file_mean = kind(InterventionKind::Mean);
  file_mean.mean_prompts = {kOther, "a [MASK] b"};
  expect_dataset_equals_prompts_alone(model(),
                                      spec_of(SiteKind::AttnZ, {head, mean, file_mean, with_other(InterventionKind::Patch)}, kPrompts),
                                      "attn.z");
  expect_dataset_equals_prompts_alone(model(), spec_of(SiteKind::AttnQ, {head}, kPrompts), "attn.q");
  expect_dataset_equals_prompts_alone(model(), spec_of(SiteKind::AttnHeadOut, {head}, kPrompts), "attn.head_out");
  expect_dataset_equals_prompts_alone(
      model(), spec_of(SiteKind::MlpPost, {kind(InterventionKind::Noise), kind(InterventionKind::Mean)}, kPrompts), "mlp.post");
  expect_dataset_equals_prompts_alone(model(), spec_of(SiteKind::AttnOut, {kind(InterventionKind::Shuffle)}, kPrompts),
                                      "attn.out");
  expect_dataset_equals_prompts_alone(model(), spec_of(SiteKind::EmbedOut, {kind(InterventionKind::Noise)}, kPrompts),
                                      "embed.out");
}

TEST_P(DatasetBatching, AttentionPatternEditsGiveTheSameBitsAloneOrInADataset) {
  // Two prompts of each length among others: pattern rows are as long as the prompt, so these
  // batch with their own length only.
  std::vector<PromptSpec> prompts = kPrompts;
  prompts.push_back({"The cat [MASK].", "went"});
  prompts.push_back({"Rome is the [MASK] of Italy.", "capital"});
  InterventionSpec attend = kind(InterventionKind::Attend);
  expect_dataset_equals_prompts_alone(
      model(), spec_of(SiteKind::AttnPattern, {kind(InterventionKind::Noise), kind(InterventionKind::Uniform), attend}, prompts),
      "attn.pattern");
  expect_dataset_equals_prompts_alone(model(), spec_of(SiteKind::AttnScores, {kind(InterventionKind::Shuffle)}, prompts),
                                      "attn.scores");
}

INSTANTIATE_TEST_SUITE_P(ReferenceModels, DatasetBatching, ::testing::Values("tiny-fp32", "small-bf16"), test::case_name);

TEST(DatasetBatching, IncludeRunsOnlyItsItemsAndTheSinkGetsEachOnceInsteadOfStoring) {
  const Encoder model = Encoder::load(test::reference_model("tiny-fp32"));
  std::vector<SweepPrompt> prompts;
  for (const PromptSpec& p : kPrompts) prompts.push_back({p.text, p.target});
  SweepRequest request;
  request.interventions = {kind(InterventionKind::Noise), kind(InterventionKind::Zero)};
  request.trials = 4;
  request.seed = 3;
  request.max_batch_tokens = 64;
  const std::vector<SweepResult> every = run_sweeps(model, prompts, request);

  auto odd = [](const WorkItem& item) { return (item.prompt + item.layer + item.trial) % 2 == 1; };
  request.include = odd;
  std::vector<TrialResult> sunk;
  request.sink = [&](const TrialResult& t) { sunk.push_back(t); };
  const std::vector<SweepResult> shard = run_sweeps(model, prompts, request);
  size_t expected = 0;
  for (size_t p = 0; p < every.size(); ++p) {
    EXPECT_TRUE(shard[p].runs.empty()) << "a sink's trials are not kept";
    for (const TrialResult& t : every[p].runs) expected += odd({t.prompt, t.intervention, t.layer, t.trial});
  }
  ASSERT_EQ(sunk.size(), expected);
  std::set<WorkItem> seen;
  for (const TrialResult& t : sunk) {
    const WorkItem item{t.prompt, t.intervention, t.layer, t.trial};
    EXPECT_TRUE(odd(item));
    EXPECT_TRUE(seen.insert(item).second) << "each item once";
    // Its record is the one the full run made: the same bits.
    const auto& runs = every[static_cast<size_t>(t.prompt)].runs;
    const auto match = std::find_if(runs.begin(), runs.end(), [&](const TrialResult& r) {
      return WorkItem{r.prompt, r.intervention, r.layer, r.trial} == item;
    });
    ASSERT_NE(match, runs.end());
    expect_same_bits(t, *match, "sunk");
  }
  // Without a sink, an include filter keeps the included runs, in canonical order.
  request.sink = nullptr;
  const std::vector<SweepResult> kept = run_sweeps(model, prompts, request);
  size_t count = 0;
  for (const SweepResult& s : kept) {
    for (size_t i = 0; i < s.runs.size(); ++i) {
      ++count;
      if (i > 0) {
        const TrialResult &a = s.runs[i - 1], &b = s.runs[i];
        EXPECT_LT((WorkItem{a.prompt, a.intervention, a.layer, a.trial}), (WorkItem{b.prompt, b.intervention, b.layer, b.trial}));
      }
    }
  }
  EXPECT_EQ(count, expected);
}

TEST(WavefrontPlan, BoundsRowsKeepsJoiningOrderAndPadsLittle) {
  // As the bench's dataset: 48 prompts of 8-40 tokens x 10 trials per start block.
  std::vector<WavefrontTrial> trials;
  for (int block = 0; block < 24; ++block) {
    for (int prompt = 0; prompt < 48; ++prompt) {
      for (int t = 0; t < 10; ++t) trials.push_back({block, 8 + 32 * prompt / 47});
    }
  }
  const auto batches = plan_wavefront(trials, 2048, false);
  std::vector<int> seen(trials.size(), 0);
  long long real = 0, padded = 0;
  for (const WavefrontBatch& b : batches) {
    EXPECT_LE(static_cast<long long>(b.trials.size()) * b.seq, 2048);
    for (size_t i = 0; i < b.trials.size(); ++i) {
      ++seen[b.trials[i]];
      EXPECT_LE(trials[b.trials[i]].length, b.seq);
      real += trials[b.trials[i]].length;
      if (i > 0) {
        EXPECT_LE(trials[b.trials[i - 1]].start_block, trials[b.trials[i]].start_block);
      }
    }
    padded += static_cast<long long>(b.trials.size()) * b.seq;
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(trials.size())) << "each trial once";
  EXPECT_LT(static_cast<double>(padded - real) / static_cast<double>(real), 0.05) << "padding waste";

  // One trial longer than the budget still runs, alone.
  EXPECT_EQ(plan_wavefront({{0, 100}, {0, 100}}, 50, false).size(), 2u);
  // Same length only: no batch mixes lengths.
  for (const WavefrontBatch& b : plan_wavefront(trials, 4096, true)) {
    for (size_t i : b.trials) EXPECT_EQ(trials[i].length, b.seq);
  }
}

}  // namespace
}  // namespace bertscope
