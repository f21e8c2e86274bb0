// Fuzz target: arbitrary bytes as a tokenizer.json. Tokenizer::from_json either refuses
// with an Error naming the file, or gives a tokenizer whose ids on a fixed text are in its
// vocabulary; tokenizing may refuse too (a Unigram model without unk), naming the file.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"

using namespace bertscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::scratch_path("tokenizer.json");
  fuzz::write_input(path, data, size);
  try {
    const Tokenizer tokenizer = Tokenizer::from_json(path);
    const Encoding e = tokenizer.encode("Crème brûlée, <mask> [MASK] ##ing 你好 \xF0\x9F\x98\x80 word  end ");
    fuzz::expect(e.tokens.size() == e.ids.size(), "tokens and ids differ in length");
    for (int id : e.ids) fuzz::expect(id >= 0 && id < tokenizer.vocab().size(), "token id out of range");
    (void)tokenizer.decode(e.ids, false);
  } catch (const Error& e) {
    fuzz::check_refusal(e, path);
  }
  return 0;
}
