// The registry of families: one row per family. A new family is a new file beside this
// one and a row here.
#include <string>

#include "common/error.h"
#include "model/families/common.h"

namespace bertscope {

const std::vector<const Family*>& families() {
  static const std::vector<const Family*> all = {&recipes::bert,       &recipes::roberta, &recipes::xlm_roberta,
                                                 &recipes::distilbert, &recipes::albert,  &recipes::electra};
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

std::vector<HookSiteDoc> family_site_docs(const Family& family) {
  std::vector<HookSiteDoc> docs = hook_site_docs();
  for (HookSiteDoc& doc : docs) doc.hf_module = family.modules[static_cast<size_t>(doc.kind)].c_str();
  return docs;
}

}  // namespace bertscope
