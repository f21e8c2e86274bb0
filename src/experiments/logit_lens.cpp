#include "experiments/logit_lens.h"

namespace bertscope {

LensResult run_logit_lens(const Encoder& model, const std::string& prompt, const std::string& target, int top_k,
                          const std::string& foil) {
  LensResult result;
  result.prompt = MaskedPrompt::prepare(model, prompt, target, true, foil);
  std::vector<HiddenState> hidden;
  model.forward(TokenBatch::single(result.prompt.ids), nullptr, &hidden);
  for (size_t l = 0; l < hidden.size(); ++l) {
    const std::vector<float> log_probs = log_softmax(model.mlm_logits(hidden[l], 0, result.prompt.mask_index));
    const HookSite site = l == 0 ? HookSite::embed_out() : HookSite::block_out(static_cast<int>(l) - 1);
    result.states.push_back({site, MaskPrediction::from_log_probs(log_probs, result.prompt.target_id, top_k, result.prompt.foil_id)});
  }
  return result;
}

}  // namespace bertscope
