// Reverses the [MASK] token's vector after block 1 (a fixed permutation of its dimensions)
// and prints the top-3 words before and after. Usage: example MODEL_DIR
#include <bertscope/bertscope.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: example MODEL_DIR\n"), 1;
  using namespace bertscope;
  const Encoder bert = Encoder::load(argv[1]);
  const Vocab& vocab = bert.tokenizer().vocab();
  const Encoding input = bert.tokenizer().encode("Pay no attention to that man [MASK] the curtain!");
  const auto mask = static_cast<int>(std::find(input.ids.begin(), input.ids.end(), vocab.mask_id()) - input.ids.begin());

  auto print_top3 = [&](const char* label, const Hooks* hooks) {
    const HiddenState last = bert.forward(TokenBatch::single(input.ids), hooks);
    std::printf("%s:", label);
    for (const TokenScore& t : top_k(log_softmax(bert.mlm_logits(last, 0, mask)), 3))
      std::printf(" %s %.3f", vocab.token(t.id).c_str(), std::exp(t.log_prob));
    std::printf("\n");
  };

  Hooks hooks;
  hooks.add(*HookSite::parse("blocks.1.out"), [&](const HookSite&, ActivationView h) {
    float* v = h.row(0, mask);  // edit in place: the forward pass continues from it
    std::reverse(v, v + h.width);
  });
  print_top3("clean", nullptr);
  print_top3("blocks.1.out reversed", &hooks);
}
