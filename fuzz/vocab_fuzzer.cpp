// Fuzz target: vocab.txt as Vocab::load reads it (line splitting, UTF-8 check, duplicates,
// special tokens), then a tokenizer built on the accepted vocabulary, which must give ids
// and tokens that agree with it whatever odd tokens it holds ("##", "[UNK]x", control bytes).
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

using namespace bertscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::scratch_path("vocab.txt");
  fuzz::write_input(path, data, size);
  try {
    Vocab vocab = Vocab::load(path);
    for (int id = 0; id < vocab.size(); ++id) {
      fuzz::expect(vocab.find(vocab.token(id)) == id, "find(token(" + std::to_string(id) + ")) is another id");
    }
    for (int special : {vocab.pad_id(), vocab.unk_id(), vocab.cls_id(), vocab.sep_id(), vocab.mask_id()}) {
      fuzz::expect(special >= 0 && special < vocab.size(), "special token id out of range");
    }
    const int size_before = vocab.size();
    const Tokenizer tokenizer(std::move(vocab), /*do_lower_case=*/true);
    const Encoding e = tokenizer.encode("Crème brûlée, [MASK] ##ing unaffable 你好 [UNK]x word");
    fuzz::expect(e.tokens.size() == e.ids.size(), "tokens and ids differ in length");
    for (size_t i = 0; i < e.ids.size(); ++i) {
      fuzz::expect(e.ids[i] >= 0 && e.ids[i] < size_before, "token id out of range");
      fuzz::expect(tokenizer.vocab().token(e.ids[i]) == e.tokens[i], "token text disagrees with its id");
    }
  } catch (const Error& e) {
    fuzz::check_refusal(e, path);
  }
  return 0;
}
