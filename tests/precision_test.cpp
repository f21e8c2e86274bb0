// The opt-in bf16 matmul mode against float32 on the reference models: close logits and
// the same top-1 token wherever float32's margin exceeds the rounding error. (Its speed is measured by bench/, not here.)
#include <gtest/gtest.h>

#include "common/error.h"
#include "kernels/linear.h"
#include "model/encoder.h"
#include "model/predictions.h"
#include "test_support.h"

namespace bertscope {
namespace {

// Where oneDNN has no bf16 kernels (an AVX2 CPU), asking for bf16 is a clear error before
// anything runs; where it has them, the layers load.
TEST(Bf16Matmuls, AreRefusedWithAClearErrorWhereTheCpuRunsNone) {
  const std::string model = test::reference_model(test::reference_cases().front());
  if (bf16_matmuls_supported()) {
    EXPECT_NO_THROW(Encoder::load(model, MatmulPrecision::BF16));
    return;
  }
  try {
    Encoder::load(model, MatmulPrecision::BF16);
    ADD_FAILURE() << "bf16 loaded on a CPU without bf16 matmuls";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bf16 matmuls need a CPU with AVX-512"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("use dtype f32"), std::string::npos) << e.what();
  }
  EXPECT_EQ(auto_precision(), MatmulPrecision::F32) << "auto never picks what this CPU cannot run";
}

TEST(Bf16Matmuls, StayCloseToFloat32AndKeepTheTopTokenUnlessNearTied) {
  if (!bf16_matmuls_supported()) GTEST_SKIP() << "this CPU runs no bf16 matmuls";
  int compared = 0;
  for (const std::string& name : test::reference_cases()) {
    const Encoder f32 = Encoder::load(test::reference_model(name));
    const Encoder bf16 = Encoder::load(test::reference_model(name), MatmulPrecision::BF16);
    const auto readable = test::read_json(test::data_path("reference/golden/" + name + ".json"));
    for (const auto& prompt : readable["prompts"]) {
      SCOPED_TRACE(name + ": " + prompt["text"].get<std::string>());
      const TokenBatch tokens = TokenBatch::single(prompt["ids"].get<std::vector<int>>());
      const int mask = prompt["mask_index"];
      const std::vector<float> exact = f32.mlm_logits(f32.forward(tokens), 0, mask);
      const std::vector<float> rounded = bf16.mlm_logits(bf16.forward(tokens), 0, mask);
      double max_diff = 0.0, max_abs = 0.0;
      for (size_t i = 0; i < exact.size(); ++i) {
        max_diff = std::max(max_diff, static_cast<double>(std::fabs(exact[i] - rounded[i])));
        max_abs = std::max(max_abs, static_cast<double>(std::fabs(exact[i])));
      }
      EXPECT_GT(max_diff, 0.0);               // it really computes in another precision
      EXPECT_LT(max_diff, 0.03 * max_abs);    // bf16 keeps 8 bits of mantissa: ~0.4% per rounding
      // The top token may only change where float32's top two are closer than the error.
      const auto top2 = top_k(exact, 2);
      if (top2[0].log_prob - top2[1].log_prob > 2.0 * max_diff) {
        EXPECT_EQ(top2[0].id, top_k(rounded, 1)[0].id);
      } else {
        EXPECT_TRUE(top_k(rounded, 1)[0].id == top2[0].id || top_k(rounded, 1)[0].id == top2[1].id);
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, 9);
}

}  // namespace
}  // namespace bertscope
