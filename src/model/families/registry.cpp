// The registry of families: one row per family. A new family is a new file beside this
// one and a row here.
#include <string>

#include "common/error.h"
#include "model/families/common.h"

namespace bertscope {

const std::vector<const Family*>& families() {
  static const std::vector<const Family*> all = {&recipes::bert,       &recipes::roberta, &recipes::xlm_roberta,
                                                 &recipes::distilbert, &recipes::albert,  &recipes::electra,
                                                 &recipes::modernbert, &recipes::gpt2};
  return all;
}

const Family& family_of(const std::string& model_type, const std::string& origin) {
  std::string supported;
  for (const Family* family : families()) {
    if (model_type == family->model_type) return *family;
    supported += (supported.empty() ? "" : ", ") + std::string(family->model_type);
  }
  throw Error(origin + ": model_type \"" + model_type.substr(0, 40) + "\" is not supported (supported: " + supported + ")");
}

std::string TensorNames::block_prefix(int layer, int group) const {
  std::string out = block;
  for (const auto& [marker, number] : {std::pair<std::string, int>{"{L}", layer}, {"{G}", group}}) {
    if (const size_t at = out.find(marker); at != std::string::npos) out.replace(at, marker.size(), std::to_string(number));
  }
  return out;
}

std::vector<HookSiteDoc> family_site_docs(const Family& family, BlockLayout layout) {
  std::vector<HookSiteDoc> docs = hook_site_docs();
  for (HookSiteDoc& doc : docs) {
    doc.hf_module = family.modules[static_cast<size_t>(doc.kind)].c_str();
    if (layout != BlockLayout::PreNorm) continue;
    switch (doc.kind) {
      case SiteKind::EmbedOut:
        doc.meaning = "embedding output = hidden_states[0], the residual stream's start";
        doc.transformer_lens = "hook_resid_pre of block 0";
        break;
      case SiteKind::AttnScores:
        doc.meaning = "q k^T / sqrt(head_dim), before softmax; keys the causal or window mask excludes hold the lowest float";
        break;
      case SiteKind::MlpPre: doc.meaning = "FFN pre-activations: the activation's input (in a GLU FFN, not the gate)"; break;
      case SiteKind::MlpPost: doc.meaning = "FFN hidden activations: act(input), or act(input) * gate in a GLU FFN"; break;
      case SiteKind::AttnOut: doc.meaning = "attention output projection, the branch added to the residual"; break;
      case SiteKind::Ln1Out:
        doc.meaning = "resid_mid: input + attention output, the input of the FFN's LayerNorm";
        doc.transformer_lens = "blocks.{L}.hook_resid_mid";
        break;
      case SiteKind::MlpOut: doc.meaning = "FFN output projection, the branch added to the residual"; break;
      case SiteKind::BlockOut:
        doc.meaning = "resid_post: the residual stream after block L (the last one before the final norm)";
        doc.transformer_lens = "blocks.{L}.hook_resid_post";
        break;
      default: break;
    }
  }
  return docs;
}

}  // namespace bertscope
