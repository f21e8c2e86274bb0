// GradientModel::run on a batch (attribution patching's clean and corrupted prompts in one
// forward pass): each sequence's metric, activations and gradients are those of a run on it
// alone, up to the last bits a batched matmul may round differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/prompt.h"
#include "model/gradients.h"
#include "test_support.h"

namespace bertscope {
namespace {

// The largest difference, relative to the largest magnitude of `expected`.
double relative_difference(const std::vector<float>& actual, const std::vector<float>& expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double worst = 0.0, scale = 1e-30;
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(actual[i]) - expected[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(expected[i])));
  }
  return worst / scale;
}

void expect_same_values(const std::vector<SiteValues>& actual, const std::vector<SiteValues>& expected, const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].site, expected[i].site) << what;
    EXPECT_EQ(actual[i].shape, expected[i].shape) << what << " at " << expected[i].site.name();
    EXPECT_LT(relative_difference(actual[i].values, expected[i].values), 1e-5) << what << " at " << expected[i].site.name();
  }
}

class GradientBatch : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientBatch, EachSequenceGetsWhatItsOwnRunGives) {
  const Encoder model = Encoder::load(GetParam());
  const GradientModel gradients(model);
  const bool causal = model.config().causal;
  // Two prompts of one length (a causal model reads its last token, the others the [MASK]).
  const MaskedPrompt first = MaskedPrompt::prepare(model, causal ? "Pay no attention to that man" : "Pay no attention to that man [MASK] the curtain!", "", !causal);
  const MaskedPrompt second = MaskedPrompt::prepare(model, causal ? "Pay no attention to this dog" : "Pay no attention to this dog [MASK] the window!", "", !causal);
  ASSERT_EQ(first.ids.size(), second.ids.size());
  const int position = causal ? static_cast<int>(first.ids.size()) - 1 : first.mask_index;

  GradientRequest backward;  // every site but head_out, the logit difference of two tokens
  backward.metric = GradientMetric::LogitDifference;
  backward.position = position;
  backward.target = 5;
  backward.foil = 7;
  backward.sites = HookSite::all(model.layers());
  std::erase_if(backward.sites, [](const HookSite& s) { return s.kind == SiteKind::AttnHeadOut; });
  GradientRequest forward_only;  // a few sites, the target's log-prob, no backward pass
  forward_only.position = position;
  forward_only.target = 9;
  forward_only.backward = false;
  forward_only.sites = {HookSite::block(SiteKind::MlpOut, 0), HookSite::block(SiteKind::AttnQ, model.layers() - 1)};

  const std::vector<GradientResult> batch =
      gradients.run(TokenBatch::padded({first.ids, second.ids}, 0), {backward, forward_only});
  ASSERT_EQ(batch.size(), 2u);
  const GradientResult alone[2] = {gradients.run(TokenBatch::single(first.ids), backward),
                                   gradients.run(TokenBatch::single(second.ids), forward_only)};
  for (int b = 0; b < 2; ++b) {
    EXPECT_NEAR(batch[b].metric, alone[b].metric, 1e-5 * std::max(1.0, std::fabs(alone[b].metric))) << b;
    expect_same_values(batch[b].activations, alone[b].activations, "activations");
    expect_same_values(batch[b].gradients, alone[b].gradients, "gradients");
    EXPECT_LT(relative_difference(batch[b].input_gradients, alone[b].input_gradients), 1e-5) << b;
  }
  // The prompts differ, so a run that mixed them up would show here.
  EXPECT_GT(relative_difference(batch[1].activation(forward_only.sites[0]).values,
                                alone[0].activation(forward_only.sites[0]).values),
            1e-3);
  EXPECT_EQ(batch[1].activations.size(), 2u);
  EXPECT_TRUE(batch[1].gradients.empty());
  EXPECT_EQ(batch[0].gradients.size(), backward.sites.size());
}

INSTANTIATE_TEST_SUITE_P(Families, GradientBatch,
                         ::testing::Values(test::reference_model("tiny-fp32"), test::data_path("families/models/gpt2-tiny"),
                                           test::data_path("families/models/modernbert-tiny-bf16")),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param.substr(param.param.rfind('/') + 1);
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(GradientBatchErrors, NamesTheMismatch) {
  const Encoder model = Encoder::load(test::reference_model("tiny-fp32"));
  const GradientModel gradients(model);
  GradientRequest request;
  request.position = 1;
  request.target = 5;
  const TokenBatch two = TokenBatch::padded({{101, 2000, 102}, {101, 2001, 102}}, 0);
  try {
    (void)gradients.run(two, std::vector<GradientRequest>{request});
    FAIL() << "one request for two sequences";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 requests for 2 sequences"), std::string::npos) << e.what();
  }
  const TokenBatch ragged = TokenBatch::padded({{101, 2000, 102}, {101, 102}}, 0);
  try {
    (void)gradients.run(ragged, {request, request});
    FAIL() << "sequences of different lengths";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("same number of tokens"), std::string::npos) << e.what();
  }
  try {
    (void)gradients.run(two, request);
    FAIL() << "a batch through the one-sequence run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("one sequence at a time"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bertscope
