#include "model/hook_site.h"

#include <charconv>

namespace bertscope {

const std::vector<HookSiteDoc>& hook_site_docs() {
  static const std::vector<HookSiteDoc> docs = {
      {SiteKind::EmbedOut, "embed.out", "bert.embeddings", "hook_full_embed",
       "embedding output after its LayerNorm = hidden_states[0]"},
      {SiteKind::AttnContext, "blocks.{L}.attn.context", "bert.encoder.layer[L].attention.self",
       "blocks.{L}.attn.hook_z (heads flattened)", "attention-weighted values, heads concatenated"},
      {SiteKind::AttnOut, "blocks.{L}.attn.out", "bert.encoder.layer[L].attention.output.dense",
       "blocks.{L}.hook_attn_out", "attention output projection, before residual and LayerNorm"},
      {SiteKind::Ln1Out, "blocks.{L}.ln1.out", "bert.encoder.layer[L].attention.output",
       "blocks.{L}.ln1.hook_normalized", "LayerNorm(input + attention): the FFN input"},
      {SiteKind::MlpPost, "blocks.{L}.mlp.post", "bert.encoder.layer[L].intermediate",
       "blocks.{L}.mlp.hook_post", "FFN hidden activations after GELU (width = intermediate_size)"},
      {SiteKind::MlpOut, "blocks.{L}.mlp.out", "bert.encoder.layer[L].output.dense",
       "blocks.{L}.hook_mlp_out", "FFN output projection, before residual and LayerNorm"},
      {SiteKind::BlockOut, "blocks.{L}.out", "bert.encoder.layer[L]",
       "blocks.{L}.hook_normalized_resid_post", "block output = hidden_states[L+1]"},
  };
  return docs;
}

namespace {

// The part after "blocks.{L}." of each block site.
const char* block_suffix(SiteKind kind) {
  switch (kind) {
    case SiteKind::AttnContext: return "attn.context";
    case SiteKind::AttnOut: return "attn.out";
    case SiteKind::Ln1Out: return "ln1.out";
    case SiteKind::MlpPost: return "mlp.post";
    case SiteKind::MlpOut: return "mlp.out";
    case SiteKind::BlockOut: return "out";
    case SiteKind::EmbedOut: break;
  }
  return "";
}

constexpr SiteKind kBlockKinds[] = {SiteKind::AttnContext, SiteKind::AttnOut, SiteKind::Ln1Out,
                                    SiteKind::MlpPost,     SiteKind::MlpOut,  SiteKind::BlockOut};

}  // namespace

std::string HookSite::name() const {
  if (kind == SiteKind::EmbedOut) return "embed.out";
  return "blocks." + std::to_string(layer) + "." + block_suffix(kind);
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
  for (SiteKind kind : kBlockKinds) {
    if (suffix == block_suffix(kind)) return block(kind, layer);
  }
  return std::nullopt;
}

std::vector<HookSite> HookSite::all(int layers) {
  std::vector<HookSite> sites{embed_out()};
  for (int layer = 0; layer < layers; ++layer) {
    for (SiteKind kind : kBlockKinds) sites.push_back(block(kind, layer));
  }
  return sites;
}

}  // namespace bertscope
