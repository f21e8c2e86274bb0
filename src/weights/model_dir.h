#pragma once
// Finds the files of a HuggingFace model: a plain directory (config.json, the tokenizer's
// files, model.safetensors or model.safetensors.index.json, optional tokenizer_config.json)
// or a hub cache folder (models--org--name/ with refs/main and snapshots/<hash>/). The
// tokenizer is tokenizer.json when the folder has one (as AutoTokenizer's fast tokenizers
// read it), else vocab.txt (WordPiece), else vocab.json + merges.txt (byte-level BPE).
#include <optional>
#include <string>
#include <vector>

namespace bertscope {

struct ModelFiles {
  std::string dir;               // the resolved directory holding the files
  std::string config;            // config.json
  std::string tokenizer_json;    // tokenizer.json, or "" when absent
  std::string vocab;             // vocab.txt, or "" when absent
  std::string vocab_json;        // vocab.json and merges.txt, or "" when either is absent
  std::string merges;
  std::string tokenizer_config;  // tokenizer_config.json, or "" when absent

  // The files the tokenizer is read from, in the order above, present ones only.
  std::vector<std::string> tokenizer_files() const;
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
