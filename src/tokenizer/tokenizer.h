#pragma once
// HuggingFace tokenizers, exactly. Two sources:
// - tokenizer.json (from_json): the Rust `tokenizers` pipeline the file describes (added
//   tokens, normalizer, pre-tokenizer, WordPiece / BPE / Unigram model, post-processor,
//   decoder), for RoBERTa, XLM-R, ALBERT, DistilBERT, ELECTRA, ModernBERT, GPT-2, ...
// - vocab.txt (the constructors): BERT, as follows.
//
// Exact re-implementation of HuggingFace's BERT tokenizer as AutoTokenizer gives it today
// (BertTokenizerFast) on UTF-8 text: special tokens split out first, then BertNormalizer
// (clean, CJK spacing, accent stripping, lower case, each as tokenizer_config.json says),
// the punctuation split, and greedy longest-match WordPiece. It differs from the 2019
// Python BertTokenizer only in lower-casing character by character (a final capital sigma
// becomes σ, not ς).
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer_options.h"
#include "tokenizer/vocab.h"

namespace bertscope {

struct Encoding {
  std::vector<std::string> tokens;  // word pieces, in order
  std::vector<int> ids;             // their vocabulary ids
};

class JsonPipeline;

class Tokenizer {
 public:
  Tokenizer(Vocab vocab, TokenizerOptions options);
  Tokenizer(Vocab vocab, bool do_lower_case) : Tokenizer(std::move(vocab), TokenizerOptions::for_lower_case(do_lower_case)) {}

  // The tokenizer a tokenizer.json describes. Special tokens (mask, pad, cls, sep, bos,
  // eos, unk) are named by `tokenizer_config_path` when given (else ""), then by
  // special_tokens_map.json beside it or beside tokenizer.json, then guessed from the
  // added special tokens ([MASK]/<mask>, [PAD]/<pad>, [CLS]/<s>, [SEP]/</s>). Throws Error
  // naming the file for anything malformed or not implemented.
  static Tokenizer from_json(const std::string& tokenizer_json_path, const std::string& tokenizer_config_path = "");
  // A byte-level BPE checkpoint without tokenizer.json (GPT-2, RoBERTa: vocab.json +
  // merges.txt): the pipeline HF's GPT2Converter / RobertaConverter would write, with the
  // added tokens and specials of tokenizer_config.json (add_prefix_space; cls_token and
  // sep_token named: <s> ... </s> around the text, as RoBERTa; "" for GPT-2's defaults).
  static Tokenizer from_bpe_files(const std::string& vocab_json_path, const std::string& merges_txt_path,
                                  const std::string& tokenizer_config_path = "");

  // Tokens of `text` without special tokens (HF tokenizer.tokenize(), or
  // encode(text, add_special_tokens=False)).
  Encoding tokenize(std::string_view text) const;
  // With the special tokens the post-processor adds, e.g. [CLS] pieces [SEP]
  // (HF tokenizer(text)["input_ids"]).
  Encoding encode(std::string_view text) const;
  // The pieces `word` gets in the middle of a sentence, after a space: "Ġword" for
  // byte-level BPE, "▁word" for SentencePiece, "word" / "wo ##rd" for WordPiece (the
  // pieces of "a word" after those of "a").
  Encoding word_pieces(std::string_view word) const;
  // Text of `ids` for display (HF decode), special tokens left out unless asked for.
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const;

  const Vocab& vocab() const { return vocab_; }
  // Names the embedding rows a checkpoint has beyond the vocabulary (Vocab::name_extra_rows).
  void name_extra_rows(int rows) { vocab_.name_extra_rows(rows); }
  // "[MASK]", "<mask>", ... or "" when the tokenizer has no mask token.
  std::string mask_token() const;
  int mask_id() const { return vocab_.mask_id(); }
  // vocab.txt: do_lower_case. tokenizer.json: whether the normalizer lower-cases.
  bool do_lower_case() const { return options_.lower_case; }
  const TokenizerOptions& options() const { return options_; }

 private:
  Tokenizer(Vocab vocab, TokenizerOptions options, std::shared_ptr<const JsonPipeline> pipeline);
  static Tokenizer from_pipeline(std::shared_ptr<const JsonPipeline> pipeline, const std::string& config_path);

  Vocab vocab_;
  TokenizerOptions options_;
  std::shared_ptr<const JsonPipeline> pipeline_;  // null for vocab.txt
};

}  // namespace bertscope
