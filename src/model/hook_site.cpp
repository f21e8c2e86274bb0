#include "model/hook_site.h"

#include <charconv>
#include <string_view>

namespace bertscope {

const std::vector<HookSiteDoc>& hook_site_docs() {
  static const std::vector<HookSiteDoc> docs = {
      {SiteKind::EmbedOut, "embed.out", "bert.embeddings", "hook_full_embed",
       "embedding output after its LayerNorm = hidden_states[0]", "[seq, hidden]"},
      {SiteKind::AttnQ, "blocks.{L}.attn.q", "bert.encoder.layer[L].attention.self.query", "blocks.{L}.attn.hook_q",
       "queries split by head (transpose_for_scores)", "[seq, heads, head_dim]"},
      {SiteKind::AttnK, "blocks.{L}.attn.k", "bert.encoder.layer[L].attention.self.key", "blocks.{L}.attn.hook_k",
       "keys split by head", "[seq, heads, head_dim]"},
      {SiteKind::AttnV, "blocks.{L}.attn.v", "bert.encoder.layer[L].attention.self.value", "blocks.{L}.attn.hook_v",
       "values split by head", "[seq, heads, head_dim]"},
      {SiteKind::AttnScores, "blocks.{L}.attn.scores", "bert.encoder.layer[L].attention.self (attention_scores)",
       "blocks.{L}.attn.hook_attn_scores", "q k^T / sqrt(head_dim) plus the padding mask (-10000), before softmax",
       "[heads, seq_q, seq_k]"},
      {SiteKind::AttnPattern, "blocks.{L}.attn.pattern", "bert.encoder.layer[L].attention.self (attention_probs)",
       "blocks.{L}.attn.hook_pattern", "softmax of the scores over keys (HF output_attentions)", "[heads, seq_q, seq_k]"},
      {SiteKind::AttnZ, "blocks.{L}.attn.z", "bert.encoder.layer[L].attention.self (context_layer by head)",
       "blocks.{L}.attn.hook_z", "pattern-weighted values of each head", "[seq, heads, head_dim]"},
      {SiteKind::AttnContext, "blocks.{L}.attn.context", "bert.encoder.layer[L].attention.self",
       "blocks.{L}.attn.hook_z (heads flattened)", "attention-weighted values, heads concatenated", "[seq, hidden]"},
      {SiteKind::AttnHeadOut, "blocks.{L}.attn.head_out", "bert.encoder.layer[L].attention.output.dense (per head)",
       "blocks.{L}.attn.hook_result", "each head's term of the output projection: summed over heads, plus the bias, = attn.out",
       "[seq, heads, hidden]"},
      {SiteKind::AttnOut, "blocks.{L}.attn.out", "bert.encoder.layer[L].attention.output.dense",
       "blocks.{L}.hook_attn_out", "attention output projection, before residual and LayerNorm", "[seq, hidden]"},
      {SiteKind::Ln1Out, "blocks.{L}.ln1.out", "bert.encoder.layer[L].attention.output",
       "blocks.{L}.ln1.hook_normalized", "LayerNorm(input + attention): the FFN input", "[seq, hidden]"},
      {SiteKind::MlpPre, "blocks.{L}.mlp.pre", "bert.encoder.layer[L].intermediate.dense",
       "blocks.{L}.mlp.hook_pre", "FFN pre-activations: the input of GELU (width = intermediate_size)", "[seq, ffn]"},
      {SiteKind::MlpPost, "blocks.{L}.mlp.post", "bert.encoder.layer[L].intermediate",
       "blocks.{L}.mlp.hook_post", "FFN hidden activations after GELU (width = intermediate_size)", "[seq, ffn]"},
      {SiteKind::MlpOut, "blocks.{L}.mlp.out", "bert.encoder.layer[L].output.dense",
       "blocks.{L}.hook_mlp_out", "FFN output projection, before residual and LayerNorm", "[seq, hidden]"},
      {SiteKind::BlockOut, "blocks.{L}.out", "bert.encoder.layer[L]",
       "blocks.{L}.hook_normalized_resid_post", "block output = hidden_states[L+1]", "[seq, hidden]"},
  };
  return docs;
}

namespace {

// The part after "blocks.{L}." of each block site: the pattern of its doc row.
std::string_view block_suffix(SiteKind kind) {
  for (const HookSiteDoc& doc : hook_site_docs()) {
    if (doc.kind == kind && kind != SiteKind::EmbedOut) return std::string_view(doc.pattern).substr(std::string_view("blocks.{L}.").size());
  }
  return "";
}

}  // namespace

bool is_attention_detail(SiteKind kind) {
  return kind == SiteKind::AttnQ || kind == SiteKind::AttnK || kind == SiteKind::AttnV || kind == SiteKind::AttnScores ||
         kind == SiteKind::AttnPattern || kind == SiteKind::AttnZ || kind == SiteKind::AttnHeadOut;
}

bool is_per_head(SiteKind kind) { return is_attention_detail(kind); }

bool rows_are_positions(SiteKind kind) { return kind != SiteKind::AttnScores && kind != SiteKind::AttnPattern; }

std::string HookSite::name() const {
  if (kind == SiteKind::EmbedOut) return "embed.out";
  return "blocks." + std::to_string(layer) + "." + std::string(block_suffix(kind));
}

std::optional<HookSite> HookSite::parse(std::string_view name) {
  if (name == "embed.out") return embed_out();
  constexpr std::string_view prefix = "blocks.";
  if (!name.starts_with(prefix)) return std::nullopt;
  name.remove_prefix(prefix.size());
  int layer = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), layer);
  if (ec != std::errc() || layer < 0 || end == name.data() || *end != '.') return std::nullopt;
  const std::string_view suffix(end + 1, name.data() + name.size() - (end + 1));
  for (const HookSiteDoc& doc : hook_site_docs()) {
    if (doc.kind != SiteKind::EmbedOut && suffix == block_suffix(doc.kind)) return block(doc.kind, layer);
  }
  return std::nullopt;
}

std::vector<HookSite> HookSite::all(int layers) {
  std::vector<HookSite> sites{embed_out()};
  for (int layer = 0; layer < layers; ++layer) {
    for (const HookSiteDoc& doc : hook_site_docs()) {
      if (doc.kind != SiteKind::EmbedOut) sites.push_back(block(doc.kind, layer));
    }
  }
  return sites;
}

}  // namespace bertscope
