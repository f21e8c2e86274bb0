#pragma once
// tokenizer.json "post_processor", for a single sequence with special tokens added:
// BertProcessing / RobertaProcessing ([CLS] A [SEP]), TemplateProcessing ("single"),
// ByteLevel (offsets only: no change to ids) and Sequence.
#include <memory>

#include "tokenizer/json_spec.h"
#include "tokenizer/token_models.h"

namespace bertscope {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void add_special_tokens(ModelOutput& encoding) const = 0;
};

std::unique_ptr<PostProcessor> make_post_processor(const JsonSpec& spec);

}  // namespace bertscope
