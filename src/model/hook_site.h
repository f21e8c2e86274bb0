#pragma once
// The named places in the forward pass where a hook may read or overwrite activations.
// One name per site, TransformerLens style; the table with HF module paths is in the README.
//
//   embed.out              bert.embeddings                          hidden_states[0]
//   blocks.L.attn.q/k/v    attention.self.query/key/value           [seq, heads, head_dim]
//   blocks.L.attn.scores   attention.self, before softmax           [heads, seq_q, seq_k]
//   blocks.L.attn.pattern  attention.self probs (output_attentions) [heads, seq_q, seq_k]
//   blocks.L.attn.z        attention.self, split by head            [seq, heads, head_dim]
//   blocks.L.attn.context  encoder.layer[L].attention.self          heads concatenated
//   blocks.L.attn.head_out one head's term of attention.output.dense [seq, heads, hidden]
//   blocks.L.attn.out      encoder.layer[L].attention.output.dense  before residual + LayerNorm
//   blocks.L.ln1.out       encoder.layer[L].attention.output        after its LayerNorm
//   blocks.L.mlp.pre       encoder.layer[L].intermediate.dense      before GELU, width = ffn
//   blocks.L.mlp.post      encoder.layer[L].intermediate            after GELU, width = ffn
//   blocks.L.mlp.out       encoder.layer[L].output.dense            before residual + LayerNorm
//   blocks.L.out           encoder.layer[L]                         hidden_states[L+1]
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bertscope {

enum class SiteKind {
  EmbedOut,
  AttnQ,
  AttnK,
  AttnV,
  AttnScores,
  AttnPattern,
  AttnZ,
  AttnContext,
  AttnHeadOut,
  AttnOut,
  Ln1Out,
  MlpPre,
  MlpPost,
  MlpOut,
  BlockOut
};
inline constexpr int kSiteKinds = static_cast<int>(SiteKind::BlockOut) + 1;

// Sites inside self-attention that the fast path never materializes (the per-head q, k, v,
// scores, pattern, z and output terms): a block computes them only when one is hooked.
bool is_attention_detail(SiteKind kind);
// Sites whose activations are split by head (q, k, v, scores, pattern, z, head_out): the
// ones that head interventions (--heads) apply to.
bool is_per_head(SiteKind kind);
// Sites whose rows are token positions (a vector per position): all but the attention
// scores and pattern, whose rows are (head, query) pairs of a distribution over keys.
bool rows_are_positions(SiteKind kind);

struct HookSite {
  SiteKind kind = SiteKind::BlockOut;
  int layer = -1;  // 0-based block; -1 for embed.out

  static HookSite embed_out() { return {SiteKind::EmbedOut, -1}; }
  static HookSite block(SiteKind kind, int layer) { return {kind, layer}; }
  static HookSite block_out(int layer) { return {SiteKind::BlockOut, layer}; }

  std::string name() const;
  // "blocks.3.mlp.out" -> site; std::nullopt for an unknown name.
  static std::optional<HookSite> parse(std::string_view name);
  // All sites of a model with `layers` blocks, in forward order.
  static std::vector<HookSite> all(int layers);

  bool operator==(const HookSite&) const = default;
};

struct HookSiteDoc {
  SiteKind kind;
  const char* pattern;       // "blocks.{L}.attn.out"
  const char* hf_module;     // "bert.encoder.layer[L].attention.output.dense"
  const char* transformer_lens;  // "blocks.{L}.hook_attn_out"
  const char* meaning;
  const char* shape;         // of one prompt: "[seq, hidden]", "[heads, seq_q, seq_k]"
};
const std::vector<HookSiteDoc>& hook_site_docs();

}  // namespace bertscope
