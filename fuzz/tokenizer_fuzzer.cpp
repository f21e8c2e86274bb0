// Fuzz target: the tokenizer on arbitrary bytes (invalid UTF-8, control and combining
// characters, special-token fragments), with the real bert-base-uncased vocabulary of the
// reference data, lower-cased and cased. Tokenizing never fails: every input gives pieces
// that are vocabulary entries, with their ids.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"

#ifndef BERTSCOPE_FUZZ_VOCAB
#error "BERTSCOPE_FUZZ_VOCAB must name the reference vocab.txt"
#endif

using namespace bertscope;

namespace {

void check(const Tokenizer& tokenizer, std::string_view text) {
  const Encoding pieces = tokenizer.tokenize(text);
  const Encoding encoded = tokenizer.encode(text);
  const Vocab& vocab = tokenizer.vocab();
  fuzz::expect(pieces.tokens.size() == pieces.ids.size(), "tokens and ids differ in length");
  fuzz::expect(encoded.ids.size() == pieces.ids.size() + 2, "encode() is not [CLS] pieces [SEP]");
  fuzz::expect(encoded.ids.front() == vocab.cls_id() && encoded.ids.back() == vocab.sep_id(), "encode() lacks [CLS]/[SEP]");
  for (size_t i = 0; i < pieces.ids.size(); ++i) {
    fuzz::expect(pieces.ids[i] >= 0 && pieces.ids[i] < vocab.size(), "token id out of range");
    fuzz::expect(vocab.token(pieces.ids[i]) == pieces.tokens[i], "token text disagrees with its id");
    fuzz::expect(encoded.ids[i + 1] == pieces.ids[i], "encode() pieces differ from tokenize()");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Built once: loading 30522 tokens per input would hide the tokenizer in the profile.
  static const Tokenizer lower(Vocab::load(BERTSCOPE_FUZZ_VOCAB), true);
  static const Tokenizer cased(Vocab::load(BERTSCOPE_FUZZ_VOCAB), false);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // No try: the tokenizer has no error to report, so any exception is a finding.
  check(lower, text);
  check(cased, text);
  return 0;
}
