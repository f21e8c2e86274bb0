#include "experiments/prompt.h"

#include "common/error.h"
#include "common/printable.h"
#include "experiments/prompt_spec.h"

namespace bertscope {

std::string mask_token(const Encoder& model) {
  const std::string token = model.tokenizer().mask_token();
  return token.empty() ? "[MASK]" : token;
}

std::vector<int> mask_positions(const Encoder& model, const std::vector<int>& ids, const std::string& what) {
  // A causal model has no mask: it predicts the token after the prompt's last.
  if (model.config().causal) return ids.empty() ? std::vector<int>{} : std::vector<int>{static_cast<int>(ids.size()) - 1};
  std::vector<int> masks;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == model.tokenizer().mask_id()) masks.push_back(static_cast<int>(i));
  }
  if (masks.empty() && !what.empty()) {
    const std::string mask = mask_token(model);
    throw Error("the text has no " + mask + " token: nothing to " + what + " (write " + mask + " where a word should go)");
  }
  return masks;
}

int single_piece_id(const Encoder& model, const std::string& word, const std::string& role) {
  const Tokenizer& tokenizer = model.tokenizer();
  check_prompt_text(word, role + " \"" + printable(word.substr(0, 60)) + "\"", "word");
  // As the word is written after a space mid-sentence: "Ġbehind" for byte-level BPE (and
  // so GPT-2's next word after a prompt that ends before a space),
  // "▁behind" for SentencePiece, "behind" for WordPiece.
  const Encoding pieces = tokenizer.word_pieces(word);
  if (pieces.ids.size() != 1 || pieces.ids[0] == tokenizer.vocab().unk_id()) {
    std::string listed;
    for (const auto& t : pieces.tokens) listed += (listed.empty() ? "" : " ") + t;
    throw Error(role + " \"" + word + "\" is not one word piece of the vocabulary (it tokenizes to: " +
                (listed.empty() ? "nothing" : listed) + "); choose a word that is a single vocabulary entry");
  }
  return pieces.ids[0];
}

MaskedPrompt MaskedPrompt::prepare(const Encoder& model, const std::string& text, const std::string& target,
                                   bool require_mask, const std::string& foil) {
  const Tokenizer& tokenizer = model.tokenizer();
  // Its bytes before its tokens: a text far too long is refused before it is tokenized.
  check_prompt_text(text, "prompt", "text");
  check_prompt_text(target, "target \"" + printable(target.substr(0, 60)) + "\"", "word");
  const Encoding encoding = tokenizer.encode(text);
  MaskedPrompt p{text, target, encoding.tokens, encoding.ids, -1, -1};
  const std::string mask = mask_token(model);
  const std::vector<int> positions = mask_positions(model, p.ids);
  const auto masks = positions.size();
  if (masks == 1) p.mask_index = positions[0];
  if (masks == 0 && require_mask) throw Error("prompt has no " + mask + " token: \"" + text + "\"");
  if (masks > 1) {
    throw Error("prompt has " + std::to_string(masks) + " " + mask + " tokens; this command reads the prediction at one: \"" +
                text + "\"");
  }
  model.validate(TokenBatch::single(p.ids));
  if (!target.empty()) p.target_id = single_piece_id(model, target, "target");
  if (!foil.empty()) {
    if (target.empty()) throw Error("foil \"" + foil + "\" without a target: the metric is logit(target) - logit(foil)");
    p.foil = foil;
    p.foil_id = single_piece_id(model, foil, "foil");
    if (p.foil_id == p.target_id) {
      throw Error("foil \"" + foil + "\" is the same word piece as target \"" + target +
                  "\": logit(target) - logit(foil) would be 0 whatever the edit; choose another foil");
    }
  }
  return p;
}

}  // namespace bertscope
