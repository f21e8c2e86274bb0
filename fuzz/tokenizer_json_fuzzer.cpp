// Fuzz target: arbitrary text through two tokenizer.json pipelines of the family fixtures,
// roberta-tiny (added <mask> with lstrip, ByteLevel, BPE, RobertaProcessing) and
// xlm-roberta-tiny (Precompiled charsmap, Metaspace, Unigram, TemplateProcessing).
// Tokenizing never fails: every input gives ids in the vocabulary with their own token
// strings (or, for an unknown Unigram piece, unk), encode() is tokenize() inside the
// post-processor's specials, and decode() returns well-formed UTF-8.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode_text.h"

#ifndef BERTSCOPE_FUZZ_FAMILIES
#error "BERTSCOPE_FUZZ_FAMILIES must name tests/data/families/models"
#endif

using namespace bertscope;

namespace {

Tokenizer load(const std::string& name) {
  const std::string dir = std::string(BERTSCOPE_FUZZ_FAMILIES) + "/" + name;
  return Tokenizer::from_json(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
}

void check(const Tokenizer& tokenizer, std::string_view text) {
  const Encoding pieces = tokenizer.tokenize(text);
  const Encoding encoded = tokenizer.encode(text);
  const Vocab& vocab = tokenizer.vocab();
  fuzz::expect(pieces.tokens.size() == pieces.ids.size(), "tokens and ids differ in length");
  fuzz::expect(encoded.ids.size() == pieces.ids.size() + 2, "encode() is not <s> pieces </s>");
  fuzz::expect(encoded.ids.front() == vocab.cls_id() && encoded.ids.back() == vocab.sep_id(), "encode() lacks <s>/</s>");
  for (size_t i = 0; i < pieces.ids.size(); ++i) {
    const int id = pieces.ids[i];
    fuzz::expect(id >= 0 && id < vocab.size(), "token id out of range");
    fuzz::expect(encoded.ids[i + 1] == id, "encode() pieces differ from tokenize()");
    // An added token with lstrip carries the whitespace it took (" <mask>"); an unknown
    // Unigram piece keeps its text under unk's id.
    const std::string& token = pieces.tokens[i];
    const bool same = vocab.token(id) == token || id == vocab.unk_id() ||
                      (token.size() > vocab.token(id).size() && token.ends_with(vocab.token(id)));
    fuzz::expect(same, "token text disagrees with its id");
  }
  fuzz::expect(unicode::is_valid_utf8(tokenizer.decode(encoded.ids, false)), "decode() is not UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Built once: parsing the files per input would hide the tokenizers in the profile.
  static const Tokenizer roberta = load("roberta-tiny");
  static const Tokenizer xlmr = load("xlm-roberta-tiny");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // No try: tokenizing has no error to report, so any exception is a finding.
  check(roberta, text);
  check(xlmr, text);
  return 0;
}
