#pragma once
// A family of models (BERT, RoBERTa, ...) as a recipe the one encoder runs: how its
// config.json reads, what its tensors are named, and where its hook sites are in
// HuggingFace's modules. Each family is one file in model/families/ and one row of the
// registry (families/registry.cpp), as llama.cpp keeps a tensor-name table per architecture.
#include <array>
#include <string>
#include <vector>

#include "model/hook_site.h"
#include "model/model_config.h"

namespace bertscope {

// The checkpoint's tensor names. Prefixes name a module whose parameters are
// PREFIX.weight and PREFIX.bias; "" means the family has no such module.
struct TensorNames {
  std::string word_embeddings;      // full tensor names
  std::string position_embeddings;
  std::string token_type_embeddings;
  std::string embeddings_norm;      // prefix
  std::string embeddings_project;   // prefix of the E -> H projection (ALBERT, ELECTRA)
  std::string block;                // prefix of block L's module, with "{L}" (or "{G}" for a shared group)
  std::string query, key, value, attention_output, attention_norm, ffn_in, ffn_out, output_norm;  // under `block`
  std::string head_dense, head_norm;  // prefixes
  std::string decoder;              // the decoder's weight; absent from the file when tied to the word embeddings
  std::string decoder_bias;         // full name (HF stores it under the head's name even when tied)
  // Pre-LayerNorm families (ModelConfig::block_layout): `query` names the fused q|k|v matmul
  // (key and value are ""), attention_norm the norm before attention, output_norm the one
  // before the FFN, final_norm the one after the last block (prefix).
  std::string final_norm;
  // A prefix some files of the family leave off: GPT-2's "transformer." (the hub's original
  // gpt2 file has "h.0.attn.c_attn.weight", save_pretrained writes "transformer.h.0...").
  std::string optional_prefix;
  bool transposed = false;            // matmul weights stored [in, out] (GPT-2's Conv1D)
  bool first_attention_norm_identity = false;  // block 0 has no attention norm (ModernBERT)

  // block with {L} (and {G}) replaced.
  std::string block_prefix(int layer, int group) const;
};

struct Family {
  const char* model_type;     // config.json's model_type
  const char* architecture;   // the HuggingFace class, "RobertaForMaskedLM"
  const char* display_name;   // "RoBERTa"
  const char* differs;        // one line for the README's table: what differs from BERT
  void (*read_config)(const ConfigReader& reader, ModelConfig& config);
  TensorNames (*tensor_names)(const ModelConfig& config);
  // HuggingFace module path of each site (indexed by SiteKind), "{L}" for the block.
  std::array<std::string, kSiteKinds> modules;
};

// The family whose model_type this is; Error naming the supported ones otherwise.
const Family& family_of(const std::string& model_type, const std::string& origin);
const std::vector<const Family*>& families();

// The site table of `family`: hook_site_docs() with the family's module paths, and for a
// pre-LayerNorm layout the residual sites' meanings and TransformerLens names as they are
// there (ln1.out is resid_mid, blocks.L.out resid_post).
std::vector<HookSiteDoc> family_site_docs(const Family& family, BlockLayout layout = BlockLayout::PostNorm);

}  // namespace bertscope
