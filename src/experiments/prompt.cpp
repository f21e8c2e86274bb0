#include "experiments/prompt.h"

#include "common/error.h"
#include "common/printable.h"
#include "experiments/prompt_spec.h"

namespace bertscope {

MaskedPrompt MaskedPrompt::prepare(const BertModel& model, const std::string& text, const std::string& target,
                                   bool require_mask) {
  const Tokenizer& tokenizer = model.tokenizer();
  // Its bytes before its tokens: a text far too long is refused before it is tokenized.
  check_prompt_text(text, "prompt", "text");
  check_prompt_text(target, "target \"" + printable(target.substr(0, 60)) + "\"", "word");
  const Encoding encoding = tokenizer.encode(text);
  MaskedPrompt p{text, target, encoding.tokens, encoding.ids, -1, -1};
  int masks = 0;
  for (size_t i = 0; i < p.ids.size(); ++i) {
    if (p.ids[i] == tokenizer.vocab().mask_id()) {
      p.mask_index = static_cast<int>(i);
      ++masks;
    }
  }
  if (masks == 0 && require_mask) throw Error("prompt has no [MASK] token: \"" + text + "\"");
  if (masks > 1) {
    throw Error("prompt has " + std::to_string(masks) + " [MASK] tokens; this command reads the prediction at one: \"" +
                text + "\"");
  }
  model.validate(TokenBatch::single(p.ids));
  if (!target.empty()) {
    const Encoding pieces = tokenizer.tokenize(target);
    if (pieces.ids.size() != 1 || pieces.ids[0] == tokenizer.vocab().unk_id()) {
      std::string listed;
      for (const auto& t : pieces.tokens) listed += (listed.empty() ? "" : " ") + t;
      throw Error("target \"" + target + "\" is not one word piece of the vocabulary (it tokenizes to: " +
                  (listed.empty() ? "nothing" : listed) + "); choose a word that is a single vocabulary entry");
    }
    p.target_id = pieces.ids[0];
  }
  return p;
}

}  // namespace bertscope
