// GPT-2 (GPT2LMHeadModel): a causal language model. Pre-LayerNorm blocks (x + attn(ln_1(x)),
// then x + mlp(ln_2(x))), learned positions and no embedding norm (hidden_states[0] = wte +
// wpe), Conv1D weights stored [in, out] (c_attn fuses q|k|v), gelu_new, a causal mask, and
// the LM head ln_f -> lm_head tied to wte, without bias. ln_f runs inside the head, so
// blocks.L.out is the residual stream after block L for every L (TransformerLens'
// resid_post; HF's last hidden_states entry is after ln_f instead). The files name tensors
// with "transformer." (save_pretrained) or without (the hub's original gpt2): both load.
#include "model/families/common.h"

namespace bertscope::recipes {

namespace {

void read_config(const ConfigReader& r, ModelConfig& c) {
  c.vocab_size = r.integer("vocab_size", 1, 10'000'000);
  c.hidden_size = r.integer("n_embd", 1, 65'536);
  c.num_hidden_layers = r.integer("n_layer", 1, 1'000);
  c.num_attention_heads = r.integer("n_head", 1, 65'536);
  c.intermediate_size = r.integer("n_inner", 1, 1'000'000, 4 * c.hidden_size);  // null: 4 x n_embd
  c.max_position_embeddings = r.integer("n_positions", 1, 1'000'000);
  c.type_vocab_size = 0;
  // GPT-2 has no padding token: a padded batch fills with <|endoftext|>, which the mask hides.
  c.pad_token_id = r.integer("pad_token_id", 0, c.vocab_size - 1, r.integer("eos_token_id", 0, c.vocab_size - 1, 0));
  c.layer_norm_eps = r.epsilon("layer_norm_epsilon", 1e-5f);
  c.ffn_activation = r.activation("activation_function", "gelu_new", &c.hidden_act);
  c.block_layout = BlockLayout::PreNorm;
  c.causal = true;
  c.embeddings_norm = false;
  c.head_transform = false;
  c.final_norm = true;
  c.decoder_bias = false;
  // Options that change the attention's arithmetic: refused rather than ignored.
  if (r.boolean("scale_attn_by_inverse_layer_idx").value_or(false)) {
    r.fail("scale_attn_by_inverse_layer_idx true is not supported");
  }
  if (!r.boolean("scale_attn_weights").value_or(true)) r.fail("scale_attn_weights false is not supported");
  if (r.boolean("add_cross_attention").value_or(false)) r.fail("add_cross_attention true is not supported");
}

TensorNames tensor_names(const ModelConfig&) {
  TensorNames n;
  n.optional_prefix = "transformer.";
  n.transposed = true;
  n.word_embeddings = "transformer.wte.weight";
  n.position_embeddings = "transformer.wpe.weight";
  n.block = "transformer.h.{L}.";
  n.query = "attn.c_attn";
  n.attention_output = "attn.c_proj";
  n.attention_norm = "ln_1";
  n.ffn_in = "mlp.c_fc";
  n.ffn_out = "mlp.c_proj";
  n.output_norm = "ln_2";
  n.final_norm = "transformer.ln_f";
  n.decoder = "lm_head.weight";
  return n;
}

std::array<std::string, kSiteKinds> modules() {
  const std::string layer = "transformer.h[L]";
  return {"transformer.wte + transformer.wpe (hidden_states[0])",
          layer + ".attn.c_attn (query third)",
          layer + ".attn.c_attn (key third)",
          layer + ".attn.c_attn (value third)",
          layer + ".attn (attn_weights before softmax, causal mask applied)",
          layer + ".attn (attn_weights, output_attentions)",
          layer + ".attn (attn_output by head)",
          layer + ".attn (merged heads, the input of c_proj)",
          layer + ".attn.c_proj (per head)",
          layer + ".attn (c_proj's output, before the residual)",
          layer + ": residual + attention (resid_mid, the input of ln_2)",
          layer + ".mlp.c_fc",
          layer + ".mlp.act (c_fc, activated)",
          layer + ".mlp (c_proj's output, before the residual)",
          layer + " (the residual stream, resid_post; the last block's before ln_f)"};
}

}  // namespace

const Family gpt2{"gpt2", "GPT2LMHeadModel", "GPT-2",
                  "causal (predicts the last token's next); pre-LayerNorm blocks; Conv1D weights; ln_f in the head",
                  read_config, tensor_names, modules()};

}  // namespace bertscope::recipes
