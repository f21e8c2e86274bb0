#pragma once
// Finds the files of a HuggingFace model: a plain directory (config.json, vocab.txt,
// model.safetensors or model.safetensors.index.json, optional tokenizer_config.json) or
// a hub cache folder (models--org--name/ with refs/main and snapshots/<hash>/).
#include <optional>
#include <string>

namespace bertscope {

struct ModelFiles {
  std::string dir;               // the resolved directory holding the files
  std::string config;            // config.json
  std::string vocab;             // vocab.txt
  std::string tokenizer_config;  // tokenizer_config.json, or "" when absent
};

// Throws Error naming what is missing.
ModelFiles resolve_model_dir(const std::string& path);

// The fields of tokenizer_config.json that change tokenization, with HuggingFace's defaults
// when the file or a field is absent (null counts as absent).
struct TokenizerConfig {
  bool do_lower_case = true;              // uncased models
  std::optional<bool> strip_accents;      // absent: strip when lower-casing
  bool tokenize_chinese_chars = true;     // space out CJK ideographs
};
TokenizerConfig read_tokenizer_config(const ModelFiles& files);

// do_lower_case from tokenizer_config.json when present, else true (uncased models).
bool read_do_lower_case(const ModelFiles& files);

}  // namespace bertscope
