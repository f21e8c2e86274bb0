#pragma once
// The whole tokenizer.json pipeline of the Rust tokenizers library, for one sequence:
// added tokens cut out, normalizer, pre-tokenizer, model, post-processor; and the decoder.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/decoders.h"
#include "tokenizer/normalizers.h"
#include "tokenizer/post_processors.h"
#include "tokenizer/pre_tokenizers.h"
#include "tokenizer/token_models.h"

namespace bertscope {

class JsonPipeline {
 public:
  // Throws Error naming `path` when the file is missing, not JSON, or uses a component
  // or field bertscope does not implement.
  static std::shared_ptr<const JsonPipeline> load(const std::string& path);
  static std::shared_ptr<const JsonPipeline> parse(std::string_view json_text, const std::string& path);
  static std::shared_ptr<const JsonPipeline> from_json(const nlohmann::json& root, const std::string& path);

  // Tokens without special tokens (add_special_tokens=false) / with them.
  ModelOutput tokenize(std::string_view text) const;
  ModelOutput encode(std::string_view text) const;
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens) const;

  // Every id's token (model vocabulary, then added tokens over it); "" for unused ids.
  std::vector<std::string> tokens_by_id() const;
  const AddedVocabulary& added() const { return added_; }
  const TokenModel& model() const { return *model_; }
  bool lower_cases() const { return normalizer_ && normalizer_->lower_cases(); }
  bool has_post_processor() const { return post_processor_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  static std::shared_ptr<const JsonPipeline> build(const nlohmann::json& root, const std::string& path);

  std::string path_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<TokenModel> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  AddedVocabulary added_;
};

}  // namespace bertscope
