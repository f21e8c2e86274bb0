#pragma once
// A prompt with one [MASK] and a target word, tokenized and checked against a model.
#include <string>
#include <vector>

#include "model/encoder.h"

namespace bertscope {

// The model's mask token as a user writes it: "[MASK]" (BERT), "<mask>" (RoBERTa, XLM-R).
std::string mask_token(const Encoder& model);
// The positions of the mask token in `ids` (a causal model's: the last token, whose next
// token it predicts); `what` empty: any number, else an Error when
// there is none, saying "the text has no [MASK] token: nothing to <what> (write [MASK] ...)".
std::vector<int> mask_positions(const Encoder& model, const std::vector<int>& ids, const std::string& what = "");

struct MaskedPrompt {
  std::string text;
  std::string target;
  std::vector<std::string> tokens;  // with [CLS] and [SEP]
  std::vector<int> ids;
  int mask_index = -1;  // the prediction position: the [MASK], a causal model's last token; -1 when none (statistics only)
  int target_id = -1;  // -1 when no target was given
  // A foil word (the contrast of logit(target) - logit(foil), as in IOI's Mary - John or
  // the course's he - she bias score); empty and -1 when none.
  std::string foil = {};
  int foil_id = -1;
  // Further target words read at the prediction row beside the target (the spec's
  // `targets`), and their ids (single_piece_id).
  std::vector<std::string> words = {};
  std::vector<int> word_ids = {};

  // Throws Error when the text has several [MASK]s, or none while `require_mask`, when the
  // target or foil is not a single word piece of the vocabulary, when the foil is the
  // target's word piece (the difference would be 0 whatever the edit), or when the text is
  // too long.
  static MaskedPrompt prepare(const Encoder& model, const std::string& text, const std::string& target,
                              bool require_mask = true, const std::string& foil = "");
};

// The vocabulary id of `word` as it is written after a space mid-sentence; Error naming its
// `role` ("target", "foil") when it is not one word piece.
int single_piece_id(const Encoder& model, const std::string& word, const std::string& role);

}  // namespace bertscope
